package engine

import (
	"testing"
)

// TestSpanishTextsComplete: every one of the engine's texts has its
// Spanish wording, so a Spanish customer never reads the engine in English.
func TestSpanishTextsComplete(t *testing.T) {
	es := spanishTexts()
	for name, text := range textsByName(&es) {
		if *text == "" {
			t.Errorf("engine text %s has no Spanish wording", name)
		}
	}
}
