package intent_test

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/allmyleads/allmyleads/engine/intent"
	"github.com/allmyleads/allmyleads/internal/golden"
)

// sample is one labelled message of testdata/corpus.yaml.
type sample struct {
	lang   string        // the language it is written in
	intent intent.Intent // None for a message that asks for nothing
	target string        // Language: the language asked for
	text   string
}

// label names what a sample (or a result) is, as the corpus writes it.
func label(in intent.Intent, target string) string {
	switch in {
	case intent.None:
		return "none"
	case intent.Language:
		return "language " + target
	}
	return string(in)
}

// loadCorpus reads testdata/corpus.yaml strictly: every language must
// have a phrase set and every label must be an intent, "language XX" or
// "none".
func loadCorpus(t testing.TB) []sample {
	t.Helper()
	raw, err := os.ReadFile("testdata/corpus.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("testdata/corpus.yaml: %v", err)
	}
	var out []sample
	langs := doc.Content[0]
	for i := 0; i < len(langs.Content); i += 2 {
		lang, labels := langs.Content[i], langs.Content[i+1]
		if !slices.Contains(intent.Languages(), lang.Value) {
			t.Fatalf("testdata/corpus.yaml:%d: no phrase set for language %q", lang.Line, lang.Value)
		}
		for j := 0; j < len(labels.Content); j += 2 {
			key, msgs := labels.Content[j], labels.Content[j+1]
			in, target, ok := parseLabel(key.Value)
			if !ok {
				t.Fatalf("testdata/corpus.yaml:%d: unknown label %q", key.Line, key.Value)
			}
			for _, m := range msgs.Content {
				out = append(out, sample{lang: lang.Value, intent: in, target: target, text: m.Value})
			}
		}
	}
	return out
}

func parseLabel(s string) (intent.Intent, string, bool) {
	if s == "none" {
		return intent.None, "", true
	}
	if code, ok := strings.CutPrefix(s, "language "); ok {
		return intent.Language, code, len(code) == 2
	}
	return intent.Intent(s), "", slices.Contains(intent.Intents(), intent.Intent(s))
}

// figures are one intent's counts over the corpus.
type figures struct{ labelled, tp, fp, fn int }

func (f figures) precision() float64 { return ratio(f.tp, f.tp+f.fp) }
func (f figures) recall() float64    { return ratio(f.tp, f.tp+f.fn) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// TestCorpus matches every message of testdata/corpus.yaml, computes
// precision and recall per intent and compares them (and every miss) with
// testdata/figures.golden. It fails when an opt-out or an erasure is read
// where none was asked for (precision below 100%), or when any intent's
// recall is below 90%.
//
//	go test ./engine/intent -run TestCorpus -v        prints the table
//	go test ./engine/intent -run TestCorpus -update   rewrites figures.golden
func TestCorpus(t *testing.T) {
	m, err := intent.New(intent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	samples := loadCorpus(t)
	per := map[intent.Intent]*figures{}
	for _, in := range intent.Intents() {
		per[in] = &figures{}
	}
	var misses []string
	negatives, negativesRight := 0, 0
	for _, s := range samples {
		r := m.Match(s.text)
		got, want := label(r.Intent, r.Lang), label(s.intent, s.target)
		if s.intent != intent.None {
			per[s.intent].labelled++
		} else {
			negatives++
		}
		if got == want {
			if s.intent != intent.None {
				per[s.intent].tp++
			} else {
				negativesRight++
			}
			continue
		}
		misses = append(misses, fmt.Sprintf("%s: %q is %s, read as %s (%s)", s.lang, s.text, want, got, r.Phrase))
		if s.intent != intent.None {
			per[s.intent].fn++
		}
		if r.Intent != intent.None {
			per[r.Intent].fp++
		}
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "# %d labelled messages in %d languages (testdata/corpus.yaml)\n", len(samples), len(intent.Languages()))
	fmt.Fprintf(&b, "# go test ./engine/intent -run TestCorpus -v   (-update rewrites this file)\n\n")
	fmt.Fprintf(&b, "%-18s %9s %10s %8s\n", "intent", "messages", "precision", "recall")
	for _, in := range intent.Intents() {
		f := per[in]
		fmt.Fprintf(&b, "%-18s %9d %9.1f%% %7.1f%%\n", in, f.labelled, 100*f.precision(), 100*f.recall())
	}
	fmt.Fprintf(&b, "%-18s %9d %9s %7.1f%%  (read as no intent)\n", "none", negatives, "", 100*ratio(negativesRight, negatives))
	fmt.Fprintf(&b, "\nmisses (%d):\n", len(misses))
	for _, m := range misses {
		fmt.Fprintf(&b, "  %s\n", m)
	}
	t.Logf("\n%s", b.String())
	golden.Check(t, "testdata/figures.golden", b.Bytes())

	for _, in := range []intent.Intent{intent.OptOut, intent.Erase} {
		if p := per[in].precision(); p < 1 {
			t.Errorf("%s precision %.1f%%: a customer would be opted out or erased without asking", in, 100*p)
		}
	}
	for _, in := range intent.Intents() {
		if r := per[in].recall(); r < 0.9 {
			t.Errorf("%s recall %.1f%%, want at least 90%%", in, 100*r)
		}
	}
}
