package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// personalSections are the export's sections seed fills for a customer;
// an erasure must empty them all.
var personalSections = []string{"ai_records", "consents", "contact", "conversation", "media", "messages", "opt_events", "projects", "quotes"}

// assertHoldsAll fails unless the export holds every personal section, so
// that an empty export after an erasure means something.
func assertHoldsAll(t *testing.T, doc *exportDoc) {
	t.Helper()
	held := map[string]bool{}
	for _, s := range doc.held() {
		held[s] = true
	}
	for _, s := range personalSections {
		if !held[s] {
			t.Fatalf("before the erasure the export holds nothing in %q; the case cannot tell an erasure from nothing", s)
		}
	}
}

// assertErased checks that the store holds nothing readable of the
// customer: an empty export whose audit names them by a keyed hash only,
// no session, no queued message but the ones in keep, no pending webhook
// payload that mentions them, no photo.
func (e *env) assertErased(c customer, s seeded, keep ...string) {
	t := e.t
	t.Helper()
	doc := e.export(c)
	held := doc.held()
	if len(held) != 0 {
		t.Errorf("after the erasure the export still holds %v:\n%s", held, doc.raw)
	}
	assertNoneIn(t, "the export after the erasure", doc.raw, c.Name, c.Email, c.Address, c.Text)
	for _, a := range doc.Audit {
		if a.Contact == c.URN || bytes.Contains([]byte(a.Contact+a.Detail), []byte(c.Digits)) {
			t.Errorf("an audit entry names the erased contact: %+v", a)
		}
	}
	if sess := e.session(c.URN); sess != nil {
		t.Errorf("session after the erasure = %+v, want none", sess)
	}
	var left []string
	for _, it := range ofContact(e.pending("whatsapp"), c.URN) {
		left = append(left, it.ID)
	}
	if jsonOf(t, left) != jsonOf(t, keep) && !(len(left) == 0 && len(keep) == 0) {
		t.Errorf("queued for the erased contact: %v, want %v", left, keep)
	}
	for _, it := range e.pendingInbox() {
		assertNoneIn(t, "pending webhook payload "+it.ID, it.Body, c.Digits, c.Name, c.Text)
	}
	if _, err := e.b.Media(e.ctx, s.photo); !isNotFound(err) {
		t.Errorf("the erased contact's photo: %v, want ErrNotFound", err)
	}
	// A late status report finds nothing to update.
	if err := e.b.UpdateDelivery(e.ctx, s.pid, core.Delivery{Status: "read", Time: e.now()}); err != nil && !isNotFound(err) {
		t.Errorf("a late status report for the erased contact: %v, want nil or ErrNotFound", err)
	}
	if again := e.export(c).held(); len(held) == 0 && len(again) != 0 {
		t.Errorf("a late status report brought back %v", again)
	}
}

// otherState is what must not change for a customer who was not erased.
type otherState struct {
	export  []byte
	outbox  string
	inbox   []byte
	session string
}

func (e *env) stateOf(c customer, s seeded) otherState {
	e.t.Helper()
	st := otherState{export: e.export(c).raw, outbox: jsonOf(e.t, ofContact(e.pending("whatsapp"), c.URN)), session: jsonOf(e.t, e.session(c.URN))}
	for _, it := range e.pendingInbox() {
		if it.ID == s.inboxID {
			st.inbox = it.Body
		}
	}
	return st
}

func (e *env) assertUnchanged(c customer, before otherState, s seeded) {
	e.t.Helper()
	after := e.stateOf(c, s)
	if !bytes.Equal(after.export, before.export) || after.outbox != before.outbox || after.session != before.session {
		e.t.Errorf("erasing another contact changed %s:\nexport %s\n    -> %s\noutbox %s\n    -> %s", c.URN, before.export, after.export, before.outbox, after.outbox)
	}
	if !bytes.Equal(after.inbox, before.inbox) || after.inbox == nil {
		e.t.Errorf("erasing another contact changed %s's pending webhook payload:\n%s\n-> %s", c.URN, before.inbox, after.inbox)
	}
	if _, err := e.b.Media(e.ctx, s.photo); err != nil {
		e.t.Errorf("erasing another contact lost %s's photo: %v", c.URN, err)
	}
}

// testErase: Rights.Erase leaves nothing readable of the customer, keeps
// the seen ids so a redelivery is still a duplicate, and changes nothing
// of other customers.
func testErase(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	sa := e.seed(a, "a")
	sb := e.seed(b, "b")
	assertHoldsAll(t, e.export(a))
	bBefore := e.stateOf(b, sb)

	if err := e.b.Erase(e.ctx, a.URN, "owner"); err != nil {
		t.Fatalf("erase: %v", err)
	}
	e.assertErased(a, sa)
	e.assertUnchanged(b, bBefore, sb)
	if err := e.b.Commit(e.ctx, a.turn(sa.inIDs[0], e.now())); !errors.Is(err, core.ErrDuplicate) {
		t.Errorf("a redelivery of a message from before the erasure: %v, want ErrDuplicate", err)
	}
	if err := e.b.Erase(e.ctx, a.URN, "owner"); err != nil {
		t.Errorf("erasing again: %v", err)
	}
	if err := e.b.Erase(e.ctx, cust(3).URN, "owner"); err != nil {
		t.Errorf("erasing a contact the store never knew: %v", err)
	}
	e.reopen()
	e.assertErased(a, sa)
	assertNoneIn(t, "the stored bytes after the erasure (in the clear)", e.raw(), a.secrets()...)
}

// testEraseTurn: a turn with Erase set erases the customer in its own
// transaction, writes nothing of the turn about them, and queues its
// outbound messages (the confirmation) alone; once sent, nothing is left.
func testEraseTurn(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	sa := e.seed(a, "a")
	sb := e.seed(b, "b")
	assertHoldsAll(t, e.export(a))
	bBefore := e.stateOf(b, sb)

	at := e.now()
	turn := a.turn("a.erase", at)
	turn.Inbound.Text = "yes"
	turn.Inbound.Media = []core.Media{{MIME: "image/jpeg", Data: []byte("a photo sent with the yes by " + a.Name)}}
	turn.Session.Ended, turn.Session.Waiting = true, false
	turn.Project = &core.Project{ID: "a-p9", Contact: a.URN, Description: a.Text, Status: "open", Created: at, Updated: at}
	turn.Quotes = []*core.QuoteRecord{{ID: "a-q9", Contact: a.URN, Status: core.QuoteDraft, Currency: "EUR", Total: 1, Notes: a.Name}}
	turn.Consents = []core.ConsentRecord{{ID: "c9", Contact: a.URN, Purpose: "quote", Text: "ok " + a.Name, Granted: true, Time: at}}
	turn.OptEvents = []core.OptEvent{{Contact: a.URN, Keyword: "STOP", Channel: "whatsapp", Time: at}}
	turn.AI = []core.AIRecord{{ID: "ai9", Contact: a.URN, Time: at, Extractor: "offline", Outcome: "ok", Fields: map[string]core.FieldResult{"email": {Value: a.Email}}}}
	turn.Outbound = []core.Outbound{a.reply("Done: your data has been deleted.", "a.erase", at)}
	turn.Erase = true
	e.commit(turn)
	confirmation := turn.Outbound[0].ID
	if confirmation == "" {
		t.Fatal("the confirmation got no outbox id")
	}
	e.assertErased(a, sa, confirmation)
	if _, err := e.b.Media(e.ctx, mediaID(turn.Inbound.Media[0].Data)); !isNotFound(err) {
		t.Errorf("the photo sent with the yes was stored: %v", err)
	}
	e.assertUnchanged(b, bBefore, sb)
	for _, id := range append(sa.inIDs, "a.erase") {
		if err := e.b.Commit(e.ctx, a.turn(id, at)); !errors.Is(err, core.ErrDuplicate) {
			t.Errorf("a redelivery of %s: %v, want ErrDuplicate", id, err)
		}
	}

	e.reopen()
	e.assertErased(a, sa, confirmation)
	if err := e.b.MarkSent(e.ctx, confirmation, "wamid.confirmation", at); err != nil {
		t.Fatalf("mark the confirmation sent: %v", err)
	}
	e.assertErased(a, sa)
	assertNoneIn(t, "the stored bytes after the erasure (in the clear)", e.raw(), a.secrets()...)
}

// testEncryptionAtRest: nothing personal of any kind of record is in the
// stored bytes in the clear.
func testEncryptionAtRest(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	e.seed(a, "a")
	e.seed(b, "b")
	at := e.now()
	// Every other place a customer's words can land: a pending retry, a
	// failed message, a held one, the session's scratch, a document sent.
	turn := a.turn("a.3", at)
	turn.Session.Scratch = map[string]any{"draft": a.Text}
	turn.Session.Quote = &core.QuoteRecord{ID: "a-q1", Contact: a.URN, Notes: a.Address}
	turn.Outbound = []core.Outbound{
		a.reply("Retrying for "+a.Name, "a.3", at),
		a.reply("Failing for "+a.Email, "a.3", at),
		a.reply("Held for "+a.Address, "a.3", at),
		{Channel: "whatsapp", Contact: a.URN, Kind: core.OutDocument, Created: at, Media: &core.Media{MIME: "application/json", Filename: "export.json", Data: []byte(`{"name":"` + a.Name + `"}`)}},
	}
	e.commit(turn)
	if err := e.b.MarkRetry(e.ctx, turn.Outbound[0].ID, at.Add(time.Hour), "429 for "+a.Name); err != nil {
		t.Fatal(err)
	}
	if err := e.b.MarkFailed(e.ctx, turn.Outbound[1].ID, 131026, "undeliverable to "+a.Digits, false); err != nil {
		t.Fatal(err)
	}
	if err := e.b.MarkFailed(e.ctx, turn.Outbound[2].ID, 131047, "outside the window", true); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	raw := e.raw()
	if len(raw) < len(photoOf(a))+len(photoOf(b)) {
		t.Fatalf("Raw returned %d bytes, fewer than the two photos stored (%d): it does not return what the store wrote", len(raw), len(photoOf(a))+len(photoOf(b)))
	}
	for _, c := range []customer{a, b} {
		assertNoneIn(t, "the stored bytes (in the clear)", raw, append(c.secrets(), "JPEG-photo-of-"+c.Digits)...)
	}
	assertNoneIn(t, "the stored bytes (in the clear)", raw, consentText)
}

// testRetention: RunRetention deletes each kind of record once its period
// is over and nothing earlier; a dry run counts the same and changes
// nothing; once every period is over nothing is left of the customer.
func testRetention(t *testing.T, h Harness) {
	e := open(t, h)
	const day = 24 * time.Hour
	policy := core.RetentionPolicy{Communications: 30 * day, AIRecords: 10 * day, Projects: 60 * day, Payments: 90 * day}
	a, b := cust(1), cust(2)
	t0 := e.now()
	sa := e.seed(a, "a") // messages, seen ids, the photo, the AI record, the project and its quote at t0
	e.clock.Set(t0.Add(25 * day))
	e.seed(b, "b") // the same 25 days later
	for _, c := range []customer{a, b} {
		if held := e.export(c).held(); len(held) != len(personalSections) {
			t.Fatalf("before retention %s holds %v, want %v", c.URN, held, personalSections)
		}
	}

	steps := []struct {
		name  string
		after time.Duration
		check func(e *env, rep core.RetentionReport)
	}{
		{"nothing is due before the AI period", 5 * day, func(e *env, rep core.RetentionReport) {
			t := e.t
			if rep != (core.RetentionReport{Now: rep.Now}) {
				t.Errorf("report = %s, want nothing deleted", rep)
			}
			for _, c := range []customer{a, b} {
				if held := e.export(c).held(); len(held) != len(personalSections) {
					t.Errorf("%s holds %v, want everything", c.URN, held)
				}
			}
		}},
		{"AI records go after their period", 11 * day, func(e *env, rep core.RetentionReport) {
			t := e.t
			if rep.AI != 1 || rep.Messages != 0 || rep.Projects != 0 {
				t.Errorf("report = %s, want a's AI record alone", rep)
			}
			if doc := e.export(a); len(doc.AIRecords) != 0 || len(doc.Messages) == 0 {
				t.Errorf("a: %d AI records, %d messages; want none and all", len(doc.AIRecords), len(doc.Messages))
			}
			if doc := e.export(b); len(doc.AIRecords) != 1 {
				t.Errorf("b's AI record, 14 days younger, is gone")
			}
		}},
		{"communications go after theirs; the project keeps its photo", 31 * day, func(e *env, rep core.RetentionReport) {
			t := e.t
			doc := e.export(a)
			if rep.Messages != 4 || rep.SeenIDs != 2 || len(doc.Messages) != 0 {
				t.Errorf("report = %s and a keeps %d messages; want a's 4 messages and 2 seen ids", rep, len(doc.Messages))
			}
			if len(doc.Projects) != 1 || len(doc.Quotes) != 1 || doc.Contact == nil {
				t.Errorf("a's project, quote or contact went with the messages: %v", doc.held())
			}
			if _, err := e.b.Media(e.ctx, sa.photo); err != nil {
				t.Errorf("the live project's photo: %v", err)
			}
			if e.seen("whatsapp", sa.inIDs[0]) {
				t.Errorf("a's inbound id is still seen after the communications period")
			}
			if doc := e.export(b); len(doc.Messages) != 4 {
				t.Errorf("b keeps %d messages, want 4", len(doc.Messages))
			}
		}},
		{"the project goes after its period, and the customer with it", 61 * day, func(e *env, rep core.RetentionReport) {
			t := e.t
			if rep.Projects != 1 || rep.Quotes != 1 {
				t.Errorf("report = %s, want a's project and quote", rep)
			}
			if held := e.export(a).held(); len(held) != 0 {
				t.Errorf("after every period a still holds %v", held)
			}
			if sess := e.session(a.URN); sess != nil {
				t.Errorf("a's session is left: %+v", sess)
			}
			if _, err := e.b.Media(e.ctx, sa.photo); !isNotFound(err) {
				t.Errorf("a's photo after its project went: %v, want ErrNotFound", err)
			}
		}},
	}
	parent := e
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			e := parent.in(t)
			now := t0.Add(st.after)
			before := [][]byte{e.export(a).raw, e.export(b).raw}
			dry, err := e.b.RunRetention(e.ctx, policy, now, true, "test")
			if err != nil {
				t.Fatalf("dry run: %v", err)
			}
			if after := [][]byte{e.export(a).raw, e.export(b).raw}; !bytes.Equal(after[0], before[0]) || !bytes.Equal(after[1], before[1]) {
				t.Fatal("a dry run changed what the store holds")
			}
			rep, err := e.b.RunRetention(e.ctx, policy, now, false, "test")
			if err != nil {
				t.Fatalf("retention: %v", err)
			}
			if !dry.DryRun || rep.DryRun || !rep.Now.Equal(now) {
				t.Errorf("dry run report says dry %v, real one %v, now %v; want true, false, %v", dry.DryRun, rep.DryRun, rep.Now, now)
			}
			dry.DryRun = false
			if dry != rep {
				t.Errorf("the dry run said %s, the run did %s", dry, rep)
			}
			st.check(e, rep)
		})
	}
	parent.reopen()
	if held := parent.export(a).held(); len(held) != 0 {
		t.Errorf("after a restart a holds %v again", held)
	}
}
