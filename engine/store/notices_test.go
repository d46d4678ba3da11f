package store

import (
	"testing"

	"github.com/allmyleads/allmyleads/engine/core"
)

// TestFunnelMarksThroughRekeyAndErasure: a contact counts once per step,
// also after a rekey; an erasure forgets which steps it reached while the
// counts, which name nobody, stay.
func TestFunnelMarksThroughRekeyAndErasure(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	mark := func(phone, id string, marks ...core.StepMark) {
		t.Helper()
		tr := turnFor(phone, id, "hi", td.clock.Now())
		tr.Steps = marks
		if err := td.Commit(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	reached := core.StepMark{Flow: "quote", Step: "ask_email"}
	answered := core.StepMark{Flow: "quote", Step: "ask_email", Answered: true}
	mark(testPhone, "m1", reached)
	mark(testPhone, "m2", answered, reached)
	mark(phoneN(2), "m3", reached)
	want := func(r, a int) {
		t.Helper()
		steps, err := td.Funnel(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(steps) != 1 || steps[0].Reached != r || steps[0].Answered != a {
			t.Fatalf("funnel %+v, want reached %d answered %d", steps, r, a)
		}
	}
	want(2, 1)
	if err := td.Rekey(ctx, testKey(9), "owner"); err != nil {
		t.Fatal(err)
	}
	mark(testPhone, "m4", answered, reached)
	want(2, 1)
	if _, err := td.Erase(ctx, testPhone, "owner"); err != nil {
		t.Fatal(err)
	}
	want(2, 1)
	mark(testPhone, "m5", reached) // a new conversation after erasure is a new person
	want(3, 1)
}

// TestEchoIsLoggedAsTheBusinesss: an echo is in the transcript as the
// business's message, sent, and does not move the customer's last message.
func TestEchoIsLoggedAsTheBusinesss(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	first := td.clock.Now()
	if err := td.Commit(ctx, turnFor(testPhone, "in.1", "hello", first)); err != nil {
		t.Fatal(err)
	}
	td.clock.Add(3600e9)
	echo := turnFor(testPhone, "wamid.echo", "I'll call you", td.clock.Now())
	echo.Inbound.Echo = true
	echo.Outbound = nil
	if err := td.Commit(ctx, echo); err != nil {
		t.Fatal(err)
	}
	if last, _ := td.LastInbound(ctx, core.PhoneURN(testPhone)); !last.Equal(first) {
		t.Fatalf("last inbound %v, want the customer's %v", last, first)
	}
	e, err := td.Export(ctx, testPhone)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, m := range e.Messages {
		if m.ID == "wamid.echo" {
			found = m.Direction == DirOut && m.Status == StatusSent && m.Author == core.AuthorOwnerApp && m.ProviderID == "wamid.echo"
		}
	}
	if !found {
		t.Fatalf("echo not logged as the business's: %+v", e.Messages)
	}
}
