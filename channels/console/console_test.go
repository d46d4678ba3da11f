package console_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/channels/console"
	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/internal/golden"
)

// TestShippedQuoteConversation chats through the console channel with the
// shipped flows and plugins, from greeting to accepted quote, and checks
// the transcript and the quote the store kept.
func TestShippedQuoteConversation(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	r := engine.NewRouter(h.Engine, 2)
	defer r.Close()
	in, err := os.Open("testdata/quote.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out bytes.Buffer
	err = console.Run(context.Background(), console.Options{
		In: in, Out: &out, Contact: "+447700900100", Name: "Ana", Handler: r, Outbox: h.Store, Echo: true, Clock: h.Clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/quote.golden", out.Bytes())

	s := h.Session("+447700900100")
	if s == nil || s.Quote == nil || s.Quote.Status != core.QuoteAccepted {
		t.Fatalf("want an accepted quote in the session, got %+v", s)
	}
	if got := s.Vars["lead"].(map[string]any)["phone"]; got != "+447700900123" {
		t.Fatalf("lead.phone = %v, want the E.164 number", got)
	}
	pending, err := h.Store.PendingOutbound(context.Background(), console.Channel, 10)
	if err != nil || len(pending) != 0 {
		t.Fatalf("outbox not drained: %d left, err %v", len(pending), err)
	}
}

// TestResumesOnTheSameDatabase runs the chat twice on one store: the second
// run continues where the first stopped.
func TestResumesOnTheSameDatabase(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	run := func(lines string) string {
		r := engine.NewRouter(h.Engine, 1)
		defer r.Close()
		var out bytes.Buffer
		err := console.Run(context.Background(), console.Options{
			In: strings.NewReader(lines), Out: &out, Contact: "15550100", Handler: r, Outbox: h.Store, Reminder: h.Engine, Echo: true, Clock: h.Clock.Now,
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	run("hi\nyes\n")
	h.Reopen()
	second := run("Ana Lima\n")
	if !strings.Contains(second, "Hi again! 👋 Here's where we were:\nbot> Great, let's get started! What's your full name?") {
		t.Fatalf("second run did not show the waiting question first:\n%s", second)
	}
	if !strings.Contains(second, "Thanks, Ana Lima! What's your email address?") {
		t.Fatalf("second run did not resume at the name question:\n%s", second)
	}
}

func TestPhotoErrors(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	r := engine.NewRouter(h.Engine, 1)
	defer r.Close()
	var out bytes.Buffer
	big := t.TempDir() + "/big.jpg"
	if err := os.WriteFile(big, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	small := t.TempDir() + "/notes.jpg"
	if err := os.WriteFile(small, []byte("just some text"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := console.Run(context.Background(), console.Options{
		In: strings.NewReader("/photo /does/not/exist.jpg\n/photo " + big + "\n/photo " + small + "\n/help\n"), Out: &out, Contact: "+15550100",
		Handler: r, Outbox: h.Store, Echo: true, Clock: h.Clock.Now, MaxImageBytes: 1024,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"no such file", "over the 1024 byte limit", "not an image (it looks like text/plain", "/quit"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
