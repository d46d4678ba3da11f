package engine

import (
	"testing"

	"github.com/allmyleads/allmyleads/flows"
)

// TestEveryKindHasAHandler keeps the language's registry and the engine's
// in step.
func TestEveryKindHasAHandler(t *testing.T) {
	for _, k := range flows.Kinds() {
		sk, ok := stepKinds[k.Kind]
		if !ok {
			t.Errorf("step kind %q has no handler in the engine", k.Kind)
			continue
		}
		if k.Waits != (sk.answer != nil) && k.Kind != flows.KindExtract {
			t.Errorf("step kind %q: the language says waits=%v, the engine's handler disagrees", k.Kind, k.Waits)
		}
	}
	if len(stepKinds) != len(flows.Kinds()) {
		t.Errorf("engine has %d step kinds, the language %d", len(stepKinds), len(flows.Kinds()))
	}
}
