package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/engine/store"
)

// TestUnderageGoodbye: a customer who answers the consent question (which
// asks for the minimum age) saying they are under it, in any shipped
// language, gets a polite goodbye, and what the conversation stored is
// erased in the same turn: no export, nothing in the raw database file
// that any key opens; only an anonymous audit entry counts them.
func TestUnderageGoodbye(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	answers := []string{"no, I'm 16", "I'm under 18", "no, tengo 16 años", "nein, ich bin 16", "non, j'ai 16 ans", "nee, ik ben 16", "não, tenho 16 anos"}
	for i, answer := range answers {
		contact := fmt.Sprintf("whatsapp:4477009003%02d", i)
		in := h.Message(contact, "hi")
		in.ProfileName = fmt.Sprintf("Youngster Quibblefort %d", i)
		out := h.Send(in)
		if !strings.Contains(enginetest.Format(out), "18 or over") {
			t.Fatalf("the consent question does not ask for the age:\n%s", enginetest.Format(out))
		}
		out = h.Say(contact, answer)
		if len(out) != 1 || !strings.Contains(out[0].Text, "only for people aged 18 or over") {
			t.Fatalf("%q: want the goodbye, got\n%s", answer, enginetest.Format(out))
		}
		if s := h.Session(contact); s != nil {
			t.Errorf("%q: the session is kept: %+v", answer, s)
		}
		exp, err := h.Store.Export(context.Background(), contact)
		if err != nil || !exp.Empty() {
			t.Errorf("%q: the export after the goodbye holds something: %v", answer, err)
		}
	}
	audit, err := h.Store.AuditLog(context.Background(), enginetest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audit {
		if a.Action == "underage" {
			n++
			if a.Contact != "" {
				t.Errorf("the underage entry names a contact: %+v", a)
			}
		}
	}
	if n != len(answers) {
		t.Errorf("%d anonymous underage entries, want %d", n, len(answers))
	}
	// The goodbyes go out; then nothing of them is left either.
	items, err := h.Store.PendingOutbound(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if err := h.Store.MarkSent(context.Background(), it.ID, "sent-"+it.ID, enginetest.Epoch); err != nil {
			t.Fatal(err)
		}
	}
	h.Store.Close()
	found, err := store.ScanFile(h.Path, [][]byte{h.Key})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range found {
		if bytes.Contains(r.Body, []byte("Quibblefort")) || bytes.Contains(r.Body, []byte("4477009003")) {
			t.Errorf("the database file still opens to %s: %.200s", r.Bucket, r.Body)
		}
	}
	h.Reopen()
}

// TestAdultConsentRecordsAge: a yes to the consent question records that
// the minimum age was confirmed, under the policy version.
func TestAdultConsentRecordsAge(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	c := enginetest.DefaultContact
	h.Say(c, "hi")
	h.Say(c, "yes, I'm 45")
	exp, err := h.Store.Export(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Consents) != 1 || !exp.Consents[0].Granted || exp.Consents[0].AgeConfirmed != 18 || exp.Consents[0].PolicyVersion == "" {
		t.Fatalf("consent records: %+v", exp.Consents)
	}
}

// TestPolicyChangeAsksOnce: after the policy version changes, a returning
// customer's next message first gets the new policy's link and what
// changed; agreeing records a consent under the new version and the
// conversation goes on where it was, and the question is not asked again.
// Declining withdraws consent.
func TestPolicyChangeAsksOnce(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	ana, bob := "whatsapp:447700900501", "whatsapp:447700900502"
	for _, c := range []string{ana, bob} {
		h.Say(c, "hi")
		h.Say(c, "yes")
	}
	h.Opts.Config.PolicyVersion = "2026-03-01"
	h.Opts.Config.Privacy.PolicyChanges = "Payments now go through Stripe."
	h.Reopen()

	out := enginetest.Format(h.Say(ana, "Ana Lima"))
	for _, want := range []string{"updated our privacy policy (version 2026-03-01)", "Payments now go through Stripe.", "https://example.com/privacy", "[1 Yes, go on]"} {
		if !strings.Contains(out, want) {
			t.Errorf("the new policy's question lacks %q:\n%s", want, out)
		}
	}
	out = enginetest.Format(h.Say(ana, "yes"))
	if !strings.Contains(out, "Let's carry on") || !strings.Contains(out, "full name") {
		t.Errorf("after agreeing, the conversation does not go on where it was:\n%s", out)
	}
	if out := enginetest.Format(h.Say(ana, "Ana Lima")); strings.Contains(out, "privacy policy") || !strings.Contains(out, "email") {
		t.Errorf("asked again, or the answer was not taken:\n%s", out)
	}
	exp, _ := h.Store.Export(context.Background(), ana)
	if n := len(exp.Consents); n != 2 || exp.Consents[1].PolicyVersion != "2026-03-01" || !exp.Consents[1].Granted || exp.Consents[1].AgeConfirmed != 18 {
		t.Errorf("consents after agreeing: %+v", exp.Consents)
	}

	h.Say(bob, "Bob")
	out = enginetest.Format(h.Say(bob, "no"))
	if !strings.Contains(out, "consent has been withdrawn") {
		t.Errorf("declining the new policy is not a withdrawal:\n%s", out)
	}
	exp, _ = h.Store.Export(context.Background(), bob)
	if len(exp.Consents) != 1 || exp.Consents[0].Withdrawn.IsZero() {
		t.Errorf("bob's consent after declining: %+v", exp.Consents)
	}
}

// TestRightsAfterStop: opting out stops the bot's conversation, not the
// customer's rights: MY DATA, a correction, NO MARKETING, DELETE MY DATA
// with its confirmation, and START are answered and acted on.
func TestRightsAfterStop(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	c := enginetest.DefaultContact
	ctx := context.Background()
	h.Say(c, "hi")
	h.Say(c, "yes")
	h.Say(c, "Ana Lima")
	h.Say(c, "ana@example.com")
	h.Say(c, "STOP")
	h.Say(c, "hello?") // the day's one notice: unsubscribed, send START
	if out := h.Say(c, "hello again?"); len(out) != 0 {
		t.Fatalf("after STOP the conversation answered: %s", enginetest.Format(out))
	}
	steps := []struct{ say, want string }{
		{"MY DATA", "Shall I send it here as a file?"},
		{"yes", "[document allmyleads-export-"},
		{"CORRECT MY DATA", "What should we correct?"},
		{"email: ana.lima@example.org", "your email is now ana.lima@example.org"},
		{"no marketing please", "won't send you offers"},
	}
	for _, st := range steps {
		out := enginetest.Format(h.Say(c, st.say))
		if !strings.Contains(out, st.want) {
			t.Fatalf("after STOP, %q: want %q, got\n%s", st.say, st.want, out)
		}
	}
	exp, err := h.Store.Export(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if exp.Contact.Email != "ana.lima@example.org" || exp.Contact.NoMarketing.IsZero() || !exp.Contact.OptedOut {
		t.Errorf("contact after the corrections: %+v", exp.Contact)
	}
	if core.MarketingAllowed(h.Session(c)) {
		t.Error("marketing is allowed after NO MARKETING")
	}
	if out := enginetest.Format(h.Say(c, "DELETE MY DATA")); !strings.Contains(out, "Delete everything?") {
		t.Fatalf("DELETE MY DATA after STOP: %s", out)
	}
	if out := enginetest.Format(h.Say(c, "yes")); !strings.Contains(out, "your data has been deleted") {
		t.Fatalf("the confirmation after STOP: %s", out)
	}
	if exp, _ := h.Store.Export(ctx, c); !exp.Empty() {
		t.Errorf("after DELETE MY DATA the export holds %+v", exp)
	}

	// START after STOP opts in again.
	d := "whatsapp:447700900777"
	h.Say(d, "hi")
	h.Say(d, "STOP")
	if out := enginetest.Format(h.Say(d, "START")); !strings.Contains(out, "subscribed again") {
		t.Errorf("START after STOP: %s", out)
	}
}

// TestNoMarketingSwitch: the objection is a switch of its own, kept on the
// session and the contact record (shown in the export), that does not
// touch the consent to prepare the quote.
func TestNoMarketingSwitch(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	c := enginetest.DefaultContact
	h.Say(c, "hi")
	h.Say(c, "yes")
	if !core.MarketingAllowed(h.Session(c)) {
		t.Fatal("marketing is not allowed before any objection")
	}
	out := enginetest.Format(h.Say(c, "NO MARKETING"))
	if !strings.Contains(out, "won't send you offers") || !strings.Contains(out, "full name") {
		t.Errorf("NO MARKETING: %s", out)
	}
	s := h.Session(c)
	if core.MarketingAllowed(s) || s.Ended {
		t.Errorf("after NO MARKETING: allowed %v, conversation ended %v", core.MarketingAllowed(s), s.Ended)
	}
	raw, _, err := h.Store.ExportJSON(context.Background(), c)
	if err != nil || !bytes.Contains(raw, []byte(`"no_marketing"`)) {
		t.Errorf("the export does not show the objection: %v", err)
	}
}

// TestMarketingFollowUpNeverAfterObjection: an after entry marked
// marketing is skipped (and audited) for a customer who said NO
// MARKETING; the other reminders still go, and a customer who did not
// object gets the offer.
func TestMarketingFollowUpNeverAfterObjection(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: "testdata/after_marketing/flows"})
	ana, bob := "whatsapp:447700900601", "whatsapp:447700900602"
	for _, c := range []string{ana, bob} {
		h.Say(c, "hi")
		h.Say(c, "Name")
	}
	if out := enginetest.Format(h.Say(ana, "no marketing please")); !strings.Contains(out, "won't send you offers") {
		t.Fatalf("NO MARKETING: %s", out)
	}
	sent := map[string]string{}
	for _, f := range h.Advance(4 * time.Hour) {
		for _, o := range f.Out {
			sent[o.Contact] += o.Text + "\n"
		}
	}
	if !strings.Contains(sent[ana], "Still there") || strings.Contains(sent[ana], "10% off") {
		t.Errorf("ana, who objected, got:\n%s", sent[ana])
	}
	if !strings.Contains(sent[bob], "Still there") || !strings.Contains(sent[bob], "10% off") {
		t.Errorf("bob got:\n%s", sent[bob])
	}
	audit, _ := h.Store.AuditLog(context.Background(), enginetest.Epoch)
	skipped := 0
	for _, a := range audit {
		if a.Action == "reminder_skipped" && strings.Contains(a.Detail, "marketing") {
			skipped++
		}
	}
	if skipped != 1 {
		t.Errorf("%d marketing follow-ups audited as skipped, want 1", skipped)
	}
}
