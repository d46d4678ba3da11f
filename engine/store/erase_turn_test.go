package store

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

const eraseConfirmation = "Done: your data has been deleted. If you message us again, we'll start fresh."

// eraseTurn is the turn the engine commits when the customer confirms
// DELETE MY DATA: the "yes", the ended session and the confirmation. It
// carries every kind of record a turn can, so the test can see that none
// of them is written.
func eraseTurn(phone, id string, at time.Time) *core.Turn {
	t := turnFor(phone, id, "yes", at)
	p := personFor(phone)
	t.Session.Ended, t.Session.Waiting = true, false
	t.Inbound.Media = []core.Media{{MIME: "image/jpeg", Data: []byte("PHOTO-sent-with-the-yes-" + phone)}}
	t.Project = &core.Project{ID: id + "-p", Contact: phone, Service: "roofing", Description: p.text, Created: at, Updated: at}
	t.Quotes = []*core.QuoteRecord{{ID: id + "-q", Contact: phone, Status: core.QuoteDraft, Currency: "EUR", Total: 1, Notes: p.name}}
	t.Consents = []core.ConsentRecord{{ID: "c9", Contact: phone, Purpose: "quote", Text: "ok " + p.name, Granted: true, Time: at}}
	t.OptEvents = []core.OptEvent{{Contact: phone, Keyword: "STOP", Channel: "whatsapp", Time: at}}
	t.AI = []core.AIRecord{{ID: "ai9", Contact: phone, Time: at, Extractor: "offline", Outcome: "ok", Fields: map[string]core.FieldResult{"email": {Value: p.email}}}}
	t.Media = []core.Media{{MIME: "application/json", Filename: "export.json", Data: []byte(`{"name":"` + p.name + `"}`)}}
	t.Outbound = []core.Outbound{{Kind: core.OutText, Text: eraseConfirmation}}
	t.Erase = true
	return t
}

func TestCommitEraseTurn(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	seedContact(t, td, phoneN(2), "b")
	at := td.clock.Now()
	// The customer asks; the question waits in the outbox unsent.
	ask := turnFor(testPhone, "a.8", "DELETE MY DATA", at)
	ask.Outbound = []core.Outbound{{Kind: core.OutButtons, Text: "Delete everything?", Options: []core.Option{{ID: "yes", Title: "Yes"}, {ID: "no", Title: "No"}}}}
	if err := td.Commit(ctx, ask); err != nil {
		t.Fatal(err)
	}
	otherBefore, err := td.Export(ctx, phoneN(2))
	if err != nil {
		t.Fatal(err)
	}

	turn := eraseTurn(testPhone, "a.9", at)
	if err := td.Commit(ctx, turn); err != nil {
		t.Fatalf("commit erase turn: %v", err)
	}
	if turn.Outbound[0].ID == "" {
		t.Error("the confirmation got no outbox id")
	}

	if sess, err := td.Session(ctx, testPhone); err != nil || sess != nil {
		t.Errorf("session after erase = %+v, %v; want none", sess, err)
	}
	e, err := td.Export(ctx, testPhone)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Empty() {
		t.Errorf("export after erase is not empty: %+v", e)
	}
	if li, err := td.LastInbound(ctx, testPhone); err != nil || !li.IsZero() {
		t.Errorf("last inbound after erase = %v, %v", li, err)
	}
	ck := td.ContactKey(testPhone)
	var erasure *core.AuditEntry
	for i, a := range e.Audit {
		if a.Contact != ck {
			t.Errorf("audit entry names the contact by %q, not its key", a.Contact)
		}
		if a.Action == "erase" {
			erasure = &e.Audit[i]
		}
	}
	if erasure == nil || erasure.Actor != "customer" || erasure.Detail == "" || !erasure.Time.Equal(at) {
		t.Errorf("erasure audit entry = %+v", erasure)
	}

	// Exactly the confirmation waits to be sent to the contact; the other
	// contact's queue is untouched.
	items, err := td.PendingOutbound(ctx, "whatsapp", 100)
	if err != nil {
		t.Fatal(err)
	}
	var mine, others []core.OutboxItem
	for _, it := range items {
		if it.Contact == core.PhoneURN(testPhone) {
			mine = append(mine, it)
		} else {
			others = append(others, it)
		}
	}
	if len(mine) != 1 || mine[0].Text != eraseConfirmation || mine[0].ID != turn.Outbound[0].ID || mine[0].ReplyTo != "a.9" {
		t.Fatalf("outbox of the erased contact = %+v; want the confirmation alone", mine)
	}
	if len(others) != 1 {
		t.Errorf("other contact's outbox: %d items, want 1", len(others))
	}
	if other, _ := td.Export(ctx, phoneN(2)); len(other.Messages) != len(otherBefore.Messages) || len(other.Media) != len(otherBefore.Media) || other.Contact == nil {
		t.Errorf("other contact changed: %d messages, %d media", len(other.Messages), len(other.Media))
	}

	// Nothing personal is held, only the number the confirmation goes to.
	personal := []string{testName, testEmail, testText, "Marigold", "PHOTO-of-" + testPhone, "PHOTO-sent-with-the-yes", "DELETE MY DATA"}
	held := td.plaintexts(t)
	for _, s := range personal {
		if bytes.Contains(held, []byte(s)) {
			t.Errorf("after the erase turn the store still holds %q", s)
		}
	}
	assertNoPlaintext(t, td.path, append(personal, testPhone, "15550100123")...)

	// A redelivery of the "yes" is a duplicate and changes nothing.
	if err := td.Commit(ctx, eraseTurn(testPhone, "a.9", at)); !errors.Is(err, core.ErrDuplicate) {
		t.Errorf("redelivered erase turn: %v, want ErrDuplicate", err)
	}
	if n := td.count(t, bOutbox); n != 2 {
		t.Errorf("outbox holds %d items after the duplicate, want 2", n)
	}
	// So is a redelivery of a message from before the erasure.
	if err := td.Commit(ctx, turnFor(testPhone, "a.1", "again", at)); !errors.Is(err, core.ErrDuplicate) {
		t.Errorf("redelivery of an earlier message: %v, want ErrDuplicate", err)
	}

	// The confirmation survives a restart, and once sent nothing of the
	// contact is left, not even the phone number.
	td.closeDB(t)
	td.reopen(t)
	if err := td.MarkSent(ctx, mine[0].ID, "wamid.confirmation", at); err != nil {
		t.Fatalf("mark the confirmation sent: %v", err)
	}
	if e, _ := td.Export(ctx, testPhone); !e.Empty() {
		t.Errorf("export after the confirmation was sent: %+v", e)
	}
	held = td.plaintexts(t)
	for _, s := range append(personal, testPhone, "15550100123") {
		if bytes.Contains(held, []byte(s)) {
			t.Errorf("after the confirmation was sent the store still holds %q", s)
		}
	}
}

// TestCommitEraseTurnWithinGroup erases one contact while other contacts'
// turns share its transactions: theirs are all kept.
func TestCommitEraseTurnWithinGroup(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	at := td.clock.Now()
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n+1)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- td.Commit(ctx, turnFor(phoneN(100+i), fmt.Sprintf("g.%d", i), "hello", at))
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- td.Commit(ctx, eraseTurn(testPhone, "a.9", at))
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if e, _ := td.Export(ctx, testPhone); !e.Empty() {
		t.Errorf("erased contact's export: %+v", e)
	}
	for i := range n {
		sess, err := td.Session(ctx, phoneN(100+i))
		if err != nil || sess == nil {
			t.Fatalf("contact %d lost its session: %v", i, err)
		}
		if msgs := td.messages(t, phoneN(100+i)); len(msgs) != 2 {
			t.Errorf("contact %d has %d messages, want 2", i, len(msgs))
		}
	}
	if got := td.count(t, bOutbox); got != n+1 {
		t.Errorf("outbox holds %d items, want %d", got, n+1)
	}
}

// TestEraseTurnWithoutInbound erases in a turn the business started: there
// is no inbound id to mark, the rest is the same.
func TestEraseTurnWithoutInbound(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	turn := eraseTurn(testPhone, "unused", td.clock.Now())
	turn.Inbound = nil
	turn.Outbound[0].Channel = "whatsapp"
	if err := td.Commit(ctx, turn); err != nil {
		t.Fatal(err)
	}
	if e, _ := td.Export(ctx, testPhone); !e.Empty() {
		t.Errorf("export after erase: %+v", e)
	}
	items, _ := td.PendingOutbound(ctx, "whatsapp", 100)
	if len(items) != 1 || items[0].Text != eraseConfirmation {
		t.Errorf("outbox = %+v", items)
	}
}
