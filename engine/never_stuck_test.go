package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/internal/golden"
)

// TestShippedNeverStuck plays the conversations of issue 13 through the
// shipped flows, in English (testdata/shipped/never_stuck) and in Spanish
// (testdata/shipped/es): each transcript is a golden file.
func TestShippedNeverStuck(t *testing.T) {
	for _, dir := range []string{"testdata/shipped/never_stuck", "testdata/shipped/es"} {
		scripts, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
		if len(scripts) == 0 {
			t.Fatalf("no scripts in %s", dir)
		}
		for _, path := range scripts {
			name := filepath.Base(dir) + "/" + strings.TrimSuffix(filepath.Base(path), ".txt")
			t.Run(name, func(t *testing.T) {
				raw, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				h := enginetest.New(t, enginetest.Options{})
				got := enginetest.Run(h, "testdata/shipped", string(raw))
				golden.Check(t, strings.TrimSuffix(path, ".txt")+".golden", []byte(got))
			})
		}
	}
}

// TestLanguageInTheExport: the language a customer is answered in is kept
// on the contact and shown in the export of their data.
func TestLanguageInTheExport(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	enginetest.Run(h, "testdata/shipped", "you: Hola\nyou: sí\nyou: Ana López")
	e, err := h.Store.Export(context.Background(), enginetest.DefaultContact)
	if err != nil {
		t.Fatal(err)
	}
	if e.Contact == nil || e.Contact.Language != "es" || e.Conversation == nil || e.Conversation.Language != "es" {
		t.Fatalf("want the language es on the contact and the conversation, got contact %+v", e.Contact)
	}
	raw, err := json.Marshal(e)
	if err != nil || !strings.Contains(string(raw), `"language":"es"`) {
		t.Fatalf("the export's JSON does not show the language: %v", err)
	}
}

// TestQuestionPassedOnIsStoredForTheOwner: a question no faq answers is
// kept for the owner: the message in the transcript, and an audit entry on
// the lead that says a question waits for them.
func TestQuestionPassedOnIsStoredForTheOwner(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	enginetest.Run(h, "testdata/shipped", "you: Hi\nyou: yes\nyou: do you do gutters?")
	lead, err := h.Store.Lead(context.Background(), h.Store.LeadID(enginetest.DefaultContact))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range lead.Audit {
		found = found || (a.Action == "question" && a.Actor == "customer")
	}
	asked := false
	for _, m := range lead.Messages {
		asked = asked || m.Text == "do you do gutters?"
	}
	if !found || !asked {
		t.Fatalf("want the question in the messages (%v) and a question audit entry (%v): %+v", asked, found, lead.Audit)
	}
}

// TestOwnerRepliesAreNeverHeldBack: the same words from a person three
// times are sent three times; only the bot's own texts are guarded.
func TestOwnerRepliesAreNeverHeldBack(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	enginetest.Run(h, "testdata/shipped", "you: Hi\nyou: yes")
	for i := range 3 {
		out, err := h.Engine.Reply(context.Background(), enginetest.DefaultContact, "owner", core.Outbound{Kind: core.OutText, Text: "On my way"})
		if err != nil || out.Text != "On my way" {
			t.Fatalf("reply %d: %+v, %v", i+1, out, err)
		}
	}
}
