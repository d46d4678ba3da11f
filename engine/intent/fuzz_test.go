package intent_test

import (
	"slices"
	"testing"

	"github.com/allmyleads/allmyleads/engine/intent"
)

// FuzzMatch feeds Match any text a customer could send: it must not
// panic, must return a known intent with a confidence in (0, 1] (0 for
// None), and must read a message the same after folding.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"STOP", "no quiero que borren mis datos", "ne m'effacez pas", "ÉFFACEZ-MOI", "🛑", "", "a, b. c? d! e", "ich möchte nicht, dass Sie meine Daten löschen"} {
		f.Add(s)
	}
	m, err := intent.New(intent.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r := m.Match(text)
		switch {
		case r.Intent == intent.None && r.Confidence != 0:
			t.Fatalf("%q: None with confidence %v", text, r.Confidence)
		case r.Intent != intent.None && (r.Confidence <= 0 || r.Confidence > 1 || !slices.Contains(intent.Intents(), r.Intent)):
			t.Fatalf("%q: %+v", text, r)
		case r.Intent != intent.None && r.Lang == "":
			t.Fatalf("%q: %+v has no language", text, r)
		}
		n := intent.Normalize(text)
		if intent.Normalize(n) != n {
			t.Fatalf("Normalize is not idempotent on %q: %q, then %q", text, n, intent.Normalize(n))
		}
	})
}
