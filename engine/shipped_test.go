package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/internal/golden"
)

func shippedScript(t testing.TB) []string {
	t.Helper()
	raw, err := os.ReadFile("testdata/shipped/script.txt")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(raw)), "\n")
}

// TestShippedConversation plays the whole shipped quote conversation and
// checks the transcript and the stored quote.
func TestShippedConversation(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	raw, _ := os.ReadFile("testdata/shipped/script.txt")
	got := enginetest.Run(h, "testdata/shipped", string(raw))
	golden.Check(t, "testdata/shipped/transcript.golden", []byte(got))

	s := h.Session(enginetest.DefaultContact)
	if !s.Ended || s.Quote == nil {
		t.Fatalf("conversation did not end with a quote: ended=%v quote=%v", s.Ended, s.Quote)
	}
	q := s.Quote
	if q.Status != engine.QuoteAccepted || q.Total <= 0 || q.Currency != "EUR" || len(q.Items) == 0 {
		t.Fatalf("stored quote: %+v", q)
	}
	if q.Subtotal-q.Discount+q.Tax != q.Total {
		t.Fatalf("quote does not add up: %d - %d + %d != %d", q.Subtotal, q.Discount, q.Tax, q.Total)
	}
	if q.Plugin != "pricing.quote" || q.SourceHash == "" {
		t.Fatalf("quote does not say what priced it: plugin=%q hash=%q", q.Plugin, q.SourceHash)
	}
}

// TestShippedStopAtEveryStep sends STOP after each message of the shipped
// conversation: one confirmation, one notice to the next message (you're
// unsubscribed, send START), then nothing for the rest of it.
func TestShippedStopAtEveryStep(t *testing.T) {
	lines := shippedScript(t)
	for i := range lines {
		h := enginetest.New(t, enginetest.Options{})
		enginetest.Run(h, "testdata/shipped", strings.Join(lines[:i], "\n"))
		if out := h.Say(enginetest.DefaultContact, "STOP"); len(out) != 1 {
			t.Fatalf("STOP after line %d: want one confirmation, got:\n%s", i, enginetest.Format(out))
		}
		rest := enginetest.Run(h, "testdata/shipped", strings.Join(lines[i:], "\n"))
		if n := strings.Count(rest, "bot:"); n != 1 || !strings.Contains(rest, "send START") {
			t.Fatalf("STOP after line %d: want one notice, the bot said:\n%s", i, rest)
		}
	}
}

// TestShippedCrashBetweenAnySteps closes and reopens the store between
// every two messages: the transcript is the same as without restarts.
func TestShippedCrashBetweenAnySteps(t *testing.T) {
	lines := shippedScript(t)
	h := enginetest.New(t, enginetest.Options{})
	want := enginetest.Run(h, "testdata/shipped", strings.Join(lines, "\n"))

	h2 := enginetest.New(t, enginetest.Options{})
	got := enginetest.Run(h2, "testdata/shipped", strings.Join(lines, "\nreopen\n"))
	got = strings.ReplaceAll(got, "-- restart --\n", "")
	if got != want {
		t.Fatalf("restarts changed the conversation\n--- with restarts ---\n%s\n--- without ---\n%s", got, want)
	}
	_ = context.Background
}

// TestShippedQuantities plays the shipped conversation with the size given
// in the ways issue 19 lists (typed at the size question, or as a photo
// caption): each transcript, with its quote line saying how the size was
// read, is a golden file, and the size saved is checked.
func TestShippedQuantities(t *testing.T) {
	want := map[string]struct {
		area float64
		read string
	}{
		"dimensions":          {40, "4 m × 10 m"},
		"square_feet":         {3.72, "40 ft²"},
		"range":               {35, ""},
		"thousands":           {1000, ""},
		"captions":            {40, "4 m × 10 m"},
		"caption_square_feet": {37.16, "400 ft²"},
	}
	scripts, _ := filepath.Glob("testdata/shipped/quantities/*.txt")
	if len(scripts) != len(want) {
		t.Fatalf("%d scripts, want %d", len(scripts), len(want))
	}
	for _, path := range scripts {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			h := enginetest.New(t, enginetest.Options{})
			got := enginetest.Run(h, "testdata/shipped", string(raw))
			golden.Check(t, strings.TrimSuffix(path, ".txt")+".golden", []byte(got))

			s := h.Session(enginetest.DefaultContact)
			if s.Quote == nil || s.Quote.Status != engine.QuoteAccepted {
				t.Fatalf("no accepted quote: %+v", s.Quote)
			}
			est, _ := s.Vars["project"].(map[string]any)["estimate"].(map[string]any)
			w := want[name]
			if est["area_m2"] != w.area {
				t.Errorf("area_m2 = %v, want %v", est["area_m2"], w.area)
			}
			read, _ := est["area_m2_read"].(string)
			if read != w.read {
				t.Errorf("area_m2_read = %q, want %q", read, w.read)
			}
		})
	}
}
