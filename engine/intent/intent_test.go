package intent_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/intent"
	"github.com/allmyleads/allmyleads/internal/golden"
)

func newMatcher(t testing.TB, o intent.Options) *intent.Matcher {
	t.Helper()
	m, err := intent.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMatch writes what Match returns for each message of
// testdata/match.txt to testdata/match.golden.
func TestMatch(t *testing.T) {
	m := newMatcher(t, intent.Options{})
	raw, err := os.ReadFile("testdata/match.txt")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || (line == "" && b.Len() == 0) {
			b.WriteString(line + "\n")
			continue
		}
		if line == "" {
			b.WriteString("\n")
			continue
		}
		fmt.Fprintf(&b, "%s\n    → %s\n", line, describe(m.Match(line)))
	}
	golden.Check(t, "testdata/match.golden", b.Bytes())
}

func describe(r intent.Result) string {
	if r.Intent == intent.None {
		return "none"
	}
	return fmt.Sprintf("%s %s %.2f %q", r.Intent, r.Lang, r.Confidence, r.Phrase)
}

// TestNormalize checks the folding every message and phrase goes through.
func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"¿Podéis BORRAR mis datos? 🙏":    "podeis borrar mis datos",
		"don’t  stop!!":                  "don t stop",
		"Ich möchte, dass Sie löschen":   "ich mochte dass sie loschen",
		"Straße":                         "strasse",
		"désabonnez-moi s'il vous plaît": "desabonnez moi s il vous plait",
		"ＳＴＯＰ":                           "stop",
		"İstanbul ŒUVRE":                 "istanbul oeuvre",
		"":                               "",
		"🛑 ... !!":                       "",
	} {
		if got := intent.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLanguages checks that each phrase set loads alone, that a matcher
// reads only the languages it was given, and that an unknown one fails.
func TestLanguages(t *testing.T) {
	for _, code := range intent.Languages() {
		newMatcher(t, intent.Options{Languages: []string{code}})
		if intent.LanguageName(code) == code {
			t.Errorf("language %q has no name of its own", code)
		}
	}
	en := newMatcher(t, intent.Options{Languages: []string{"en", "en"}})
	if r := en.Match("borrar mis datos"); r.Intent != intent.None {
		t.Errorf("an English-only matcher read Spanish: %+v", r)
	}
	if r := en.Match("delete my data"); r.Intent != intent.Erase || r.Lang != "en" {
		t.Errorf("delete my data: %+v", r)
	}
	if _, err := intent.New(intent.Options{Languages: []string{"en", "xx"}}); err == nil || !strings.Contains(err.Error(), `"xx"`) {
		t.Errorf("unknown language: err = %v, want one naming it", err)
	}
}

// classifier is a Classifier double that answers from a map and counts
// its calls.
type classifier struct {
	mu      sync.Mutex
	answers map[string]intent.Result
	err     error
	calls   []string
}

func (c *classifier) Classify(ctx context.Context, text string) (intent.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, text)
	if _, ok := ctx.Deadline(); !ok {
		return intent.Result{}, errors.New("no deadline")
	}
	return c.answers[text], c.err
}

// TestResolve checks when the Classifier is asked and when its answer is
// taken: only for ambiguous messages, only when confident, only known
// intents.
func TestResolve(t *testing.T) {
	ctx := context.Background()
	c := &classifier{answers: map[string]intent.Result{
		"stop the leak first, then paint":                    {Intent: intent.None, Confidence: 0.95},
		"I never said stop":                                  {Intent: intent.None, Confidence: 0.9},
		"stop by tomorrow":                                   {Intent: intent.OptOut, Confidence: 0.5},
		"the quote is fine but stop messaging me":            {Intent: intent.OptOut, Confidence: 0.99},
		"the painter was nice but we'll go in Spanish later": {Intent: intent.Language, Lang: "es", Confidence: 0.9},
		"don't stop":                                         {Intent: "dance", Confidence: 0.99},
		"no quiero que me sigan escribiendo nada":            {Intent: intent.OptOut, Confidence: 0.97, Phrase: "gpt"},
	}}
	m := newMatcher(t, intent.Options{Classifier: c, ClassifierTimeout: time.Second})
	for _, tc := range []struct {
		text  string
		want  string
		asked bool
	}{
		{"STOP", `opt_out en 1.00 "stop"`, false},                                       // sure: never asked
		{"I need a roof quote", "none", false},                                          // no hint of any intent
		{"stop the leak first, then paint", "none", true},                               // "stop" alone-only inside: asked, says none
		{"stop by tomorrow", "none", true},                                              // asked, not confident enough
		{"the quote is fine but stop messaging me", `opt_out  0.99 "classifier"`, true}, // phrase in a long message: asked, confirms
		{"don't stop", "none", true},                                                    // negated: asked, unknown intent ignored
		{"no quiero que me sigan escribiendo nada", "none", false},                      // no phrase, no hint: not asked
	} {
		c.calls = nil
		r, err := m.Resolve(ctx, tc.text)
		if err != nil {
			t.Fatalf("%q: %v", tc.text, err)
		}
		if got := describe(r); got != tc.want {
			t.Errorf("Resolve(%q) = %s, want %s", tc.text, got, tc.want)
		}
		if asked := len(c.calls) > 0; asked != tc.asked {
			t.Errorf("Resolve(%q): classifier asked = %v, want %v", tc.text, asked, tc.asked)
		}
	}

	c.err = errors.New("upstream 503")
	r, err := m.Resolve(ctx, "the quote is fine but stop messaging me")
	if err == nil || r.Intent != intent.OptOut {
		t.Errorf("classifier error: got %+v, %v; want the phrase sets' answer and the error", r, err)
	}

	plain := newMatcher(t, intent.Options{})
	if r, err := plain.Resolve(ctx, "the quote is fine but stop messaging me"); err != nil || r.Intent != intent.OptOut {
		t.Errorf("without a classifier Resolve is Match: %+v, %v", r, err)
	}
}

// TestConcurrent matches from many goroutines at once; run with -race.
func TestConcurrent(t *testing.T) {
	m := newMatcher(t, intent.Options{})
	samples := loadCorpus(t)
	want := make([]intent.Result, len(samples))
	for i, s := range samples {
		want[i] = m.Match(s.text)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range samples {
				j := (i + g*37) % len(samples)
				if got := m.Match(samples[j].text); got != want[j] {
					t.Errorf("%q: %+v, then %+v", samples[j].text, want[j], got)
				}
			}
		})
	}
	wg.Wait()
}
