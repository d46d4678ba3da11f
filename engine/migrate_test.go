package engine_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/engine/enginetest"
)

// TestFormat1FileContinues opens a database written by the first release
// (contacts were phone numbers, testdata/format1) and carries on its two
// conversations: the file is migrated to URNs on open and nothing is lost.
func TestFormat1FileContinues(t *testing.T) {
	key, err := os.ReadFile("testdata/format1/key.bin")
	if err != nil {
		t.Fatal(err)
	}
	h := enginetest.New(t, enginetest.Options{DB: "testdata/format1/allmyleads.db", Key: key})
	ctx := context.Background()

	// Both spellings of the number find the migrated conversation.
	for _, c := range []string{"+447700900100", "whatsapp:447700900100"} {
		s := h.Session(c)
		if s == nil || s.Contact != "whatsapp:447700900100" || s.Step != "ask_email" {
			t.Fatalf("session of %s after migration: %+v", c, s)
		}
	}
	in := h.Message("whatsapp:447700900100", "ana@example.com")
	in.ID = "after-migration-1" // the first file's ids were m0001...
	out := enginetest.Format(h.Send(in))
	if !strings.Contains(out, "best one to call you on") {
		t.Errorf("Ana's conversation did not go on from the email question:\n%s", out)
	}
	bob := h.Session("+31612345678")
	if bob == nil || bob.Step != "ask_photos" || bob.Vars["lead"].(map[string]any)["name"] != "Bob de Vries" {
		t.Fatalf("Bob's session after migration: %+v", bob)
	}
	exp, err := h.Store.Export(ctx, "+31612345678")
	if err != nil {
		t.Fatal(err)
	}
	if exp.URN != "whatsapp:31612345678" || exp.Contact == nil || exp.Contact.URN != exp.URN || exp.Contact.Name != "Bob de Vries" || len(exp.Messages) == 0 || len(exp.Consents) != 1 {
		t.Errorf("Bob's export after migration: urn %q contact %+v, %d messages, %d consents", exp.URN, exp.Contact, len(exp.Messages), len(exp.Consents))
	}
	for _, m := range exp.Messages {
		if m.Contact != exp.URN {
			t.Fatalf("message names %q, want %q", m.Contact, exp.URN)
		}
	}
	// Opening again does not migrate twice.
	h.Reopen()
	if s := h.Session("whatsapp:447700900100"); s == nil || s.Step == "ask_email" {
		t.Errorf("after reopening, Ana's session is %+v", s)
	}
}
