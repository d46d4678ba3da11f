package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// testSession: Session returns nothing for a new contact, the session of
// the last turn that carried one, and the same after a restart.
func testSession(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	if s, err := e.b.Session(e.ctx, a.URN); err != nil || s != nil {
		t.Fatalf("session of a new contact = %+v, %v; want nil, nil", s, err)
	}
	t1 := a.turn("wamid.s1", e.now())
	e.commit(t1)
	sameSession(t, e.session(a.URN), t1.Session)

	e.clock.Add(time.Minute)
	t2 := a.turn("wamid.s2", e.now())
	t2.Session.Step, t2.Session.Attempts, t2.Session.Pending = "ask_photos", 2, "erase"
	t2.Session.Scratch = map[string]any{"photos": []any{"p1", "p2"}}
	t2.Session.SetVar("lead.company", "Marbleworth Glazing")
	e.commit(t2)
	sameSession(t, e.session(a.URN), t2.Session)

	// A turn without a session (a reaction, say) keeps the stored one.
	t3 := a.turn("wamid.s3", e.now())
	t3.Session = nil
	e.commit(t3)
	sameSession(t, e.session(a.URN), t2.Session)

	if s := e.session(b.URN); s != nil {
		t.Errorf("another contact's session = %+v, want none", s)
	}
	e.reopen()
	sameSession(t, e.session(a.URN), t2.Session)
	// Commits after the restart, at the same instant, add to what was
	// there: nothing written before is overwritten.
	t4 := a.turn("wamid.s4", e.now())
	e.commit(t4)
	sameSession(t, e.session(a.URN), t4.Session)
	if n := len(e.export(a).Messages); n != 8 {
		t.Errorf("after four turns (one after a restart) the log holds %d messages, want 8", n)
	}
}

// testCommitRecords: a turn's contact, project, quotes, consents, opt
// events, AI records, audit entries and messages are what the export
// shows; quotes keep their earlier revisions; a consent withdrawal keeps
// the words agreed to.
func testCommitRecords(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	at := e.now()
	project := core.Project{ID: "p1", Contact: a.URN, Service: "roofing", Description: a.Text, Status: "open", Created: at, Updated: at}
	quote := core.QuoteRecord{ID: "q1", Contact: a.URN, ProjectID: "p1", Status: core.QuoteSent, Currency: "EUR",
		Items:    []core.QuoteItem{{Description: "slate tiles", Quantity: 10, Unit: "m2", UnitPrice: 1000, Total: 10000}},
		Subtotal: 10000, Total: 10000, Plugin: "pricing.lua.roof", SourceHash: "sha256:5e6f", Created: at, Updated: at}

	t1 := a.turn("wamid.r1", at)
	t1.Project = &project
	q1 := quote
	t1.Quotes = []*core.QuoteRecord{&q1}
	t1.Consents = []core.ConsentRecord{{ID: "c1", Contact: a.URN, Purpose: "quote", Text: consentText, Channel: "whatsapp", Granted: true, Time: at}}
	t1.OptEvents = []core.OptEvent{{Contact: a.URN, Keyword: "STOP", Channel: "whatsapp", Time: at}}
	t1.AI = []core.AIRecord{{ID: "ai1", Contact: a.URN, Time: at, Extractor: "offline", Outcome: "ok"}}
	t1.Audit = []core.AuditEntry{{Time: at, Actor: "owner", Action: "correct", Contact: a.URN, Detail: "lead.email"}}
	e.commit(t1)
	if t1.Outbound[0].ID == "" {
		t.Fatal("commit gave the outbound message no id")
	}

	doc := e.export(a)
	if doc.Contact == nil || doc.Contact.Name != a.Name || doc.Contact.Email != a.Email || doc.Contact.URN != a.URN {
		t.Errorf("export contact = %+v", doc.Contact)
	}
	if doc.Conversation == nil || doc.Conversation.Step != "ask_email" {
		t.Errorf("export conversation = %+v", doc.Conversation)
	}
	if len(doc.Projects) != 1 || doc.Projects[0].Description != a.Text {
		t.Errorf("export projects = %+v", doc.Projects)
	}
	if len(doc.Quotes) != 1 || doc.Quotes[0].Revision != 1 || doc.Quotes[0].Total != 10000 || len(doc.Revisions) != 0 {
		t.Errorf("export quotes = %+v, revisions %+v; want one, revision 1", doc.Quotes, doc.Revisions)
	}
	if len(doc.Consents) != 1 || doc.Consents[0].Text != consentText || !doc.Consents[0].Granted {
		t.Errorf("export consents = %+v", doc.Consents)
	}
	if len(doc.OptEvents) != 1 || len(doc.AIRecords) != 1 || len(doc.Audit) != 1 {
		t.Errorf("export: %d opt events, %d AI records, %d audit entries; want 1 each", len(doc.OptEvents), len(doc.AIRecords), len(doc.Audit))
	}
	in, out := doc.message(t, "wamid.r1"), doc.message(t, t1.Outbound[0].ID)
	if in.Direction != "in" || in.Text != a.Text || in.Status != "received" || in.Contact != a.URN {
		t.Errorf("inbound log entry = %+v", in)
	}
	if out.Direction != "out" || out.Text != t1.Outbound[0].Text || out.Status != "queued" {
		t.Errorf("outbound log entry = %+v", out)
	}

	// The quote is accepted (no new revision), the project moves on.
	e.clock.Add(time.Minute)
	t2 := a.turn("wamid.r2", e.now())
	q2 := quote
	q2.Status = core.QuoteAccepted
	p2 := project
	p2.Status = "quoted"
	t2.Project, t2.Quotes = &p2, []*core.QuoteRecord{&q2}
	t2.OptEvents = []core.OptEvent{{Contact: a.URN, OptIn: true, Keyword: "START", Channel: "whatsapp", Time: e.now()}}
	e.commit(t2)
	// Repriced: revision 2, the first kept.
	e.clock.Add(time.Minute)
	t3 := a.turn("wamid.r3", e.now())
	q3 := q2
	q3.Items = []core.QuoteItem{{Description: "slate tiles", Quantity: 12, Unit: "m2", UnitPrice: 1000, Total: 12000}}
	q3.Subtotal, q3.Total = 12000, 12000
	t3.Quotes = []*core.QuoteRecord{&q3}
	e.commit(t3)
	// The consent is withdrawn by id, without the words.
	e.clock.Add(time.Minute)
	withdrawn := e.now()
	t4 := a.turn("wamid.r4", withdrawn)
	t4.Consents = []core.ConsentRecord{{ID: "c1", Contact: a.URN, Withdrawn: withdrawn}}
	e.commit(t4)

	doc = e.export(a)
	if len(doc.Projects) != 1 || doc.Projects[0].Status != "quoted" {
		t.Errorf("project after upsert = %+v; want one, quoted", doc.Projects)
	}
	if len(doc.Quotes) != 1 || doc.Quotes[0].Revision != 2 || doc.Quotes[0].Total != 12000 || doc.Quotes[0].Status != core.QuoteAccepted {
		t.Errorf("quote after repricing = %+v; want revision 2, 12000, accepted", doc.Quotes)
	}
	if len(doc.Revisions) != 1 || doc.Revisions[0].Total != 10000 {
		t.Errorf("earlier revisions = %+v; want the first, 10000", doc.Revisions)
	}
	if len(doc.Consents) != 1 || doc.Consents[0].Text != consentText || !doc.Consents[0].Granted {
		t.Errorf("consent after withdrawal = %+v; want the words and the grant kept", doc.Consents)
	} else {
		sameTime(t, "consent withdrawn", doc.Consents[0].Withdrawn, withdrawn)
	}
	if len(doc.OptEvents) != 2 || len(doc.Messages) != 8 {
		t.Errorf("export: %d opt events, %d messages; want 2, 8", len(doc.OptEvents), len(doc.Messages))
	}
	if held := e.export(b).held(); len(held) != 0 {
		t.Errorf("export of a contact the store knows nothing about holds %v", held)
	}
}

// testExactlyOnce: a turn whose inbound id was seen returns ErrDuplicate
// and changes nothing, also after a restart and when raced.
func testExactlyOnce(t *testing.T, h Harness) {
	e := open(t, h)
	a := cust(1)
	at := e.now()
	e.commit(a.turn("wamid.x1", at))

	type snapshot struct {
		session, outbox, inbox string
		export                 []byte
	}
	snap := func() snapshot {
		return snapshot{jsonOf(t, e.session(a.URN)), jsonOf(t, e.pending("whatsapp")), jsonOf(t, e.pendingInbox()), e.export(a).raw}
	}
	before := snap()

	dup := a.turn("wamid.x1", at.Add(time.Minute))
	dup.Inbound.Text = "a different text for the same id"
	dup.Inbound.Media = []core.Media{{MIME: "image/jpeg", Data: []byte("photo of a duplicate")}}
	dup.Session.Step = "somewhere_else"
	dup.Contact.Email = "changed@example.test"
	dup.Project = &core.Project{ID: "p-dup", Contact: a.URN, Status: "open", Created: at, Updated: at}
	dup.Quotes = []*core.QuoteRecord{{ID: "q-dup", Contact: a.URN, Status: core.QuoteSent, Currency: "EUR", Total: 1}}
	dup.Consents = []core.ConsentRecord{{ID: "c-dup", Contact: a.URN, Purpose: "quote", Text: "x", Granted: true, Time: at}}
	dup.OptEvents = []core.OptEvent{{Contact: a.URN, Keyword: "STOP", Channel: "whatsapp", Time: at}}
	dup.AI = []core.AIRecord{{ID: "ai-dup", Contact: a.URN, Time: at, Extractor: "offline", Outcome: "ok"}}
	dup.Audit = []core.AuditEntry{{Time: at, Actor: "owner", Action: "correct", Contact: a.URN}}
	dup.Media = []core.Media{{MIME: "application/pdf", Data: []byte("file of a duplicate")}}
	dup.Outbound = append(dup.Outbound, a.reply("a second reply", "wamid.x1", at))
	if err := e.b.Commit(e.ctx, dup); !errors.Is(err, core.ErrDuplicate) {
		t.Fatalf("commit of a seen inbound id: %v, want ErrDuplicate", err)
	}
	if after := snap(); after.session != before.session || after.outbox != before.outbox || after.inbox != before.inbox || !bytes.Equal(after.export, before.export) {
		t.Errorf("a duplicate changed the store:\nsession %s\n     -> %s\noutbox %s\n    -> %s\nexport %s\n    -> %s",
			before.session, after.session, before.outbox, after.outbox, before.export, after.export)
	}
	for _, data := range []string{"photo of a duplicate", "file of a duplicate"} {
		if _, err := e.b.Media(e.ctx, mediaID([]byte(data))); !isNotFound(err) {
			t.Errorf("a duplicate's file was stored: %v", err)
		}
	}

	// The same id on another channel is another message.
	other := a.turn("wamid.x1", at)
	other.Inbound.Channel, other.Outbound[0].Channel = "console", "console"
	if err := e.b.Commit(e.ctx, other); err != nil {
		t.Errorf("the same id on another channel: %v", err)
	}
	// Turns without an inbound message are never duplicates.
	for range 2 {
		if err := e.b.Commit(e.ctx, a.botTurn("whatsapp", at, "a reminder")); err != nil {
			t.Errorf("a turn without an inbound message: %v", err)
		}
	}

	e.reopen()
	if err := e.b.Commit(e.ctx, a.turn("wamid.x1", at)); !errors.Is(err, core.ErrDuplicate) {
		t.Errorf("a redelivery after a restart: %v, want ErrDuplicate", err)
	}

	// Eight deliveries of one message at once: one turn is committed.
	const racers = 8
	queued := len(e.pending("whatsapp"))
	var wg sync.WaitGroup
	errs := make([]error, racers)
	ready := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			turn := a.turn("wamid.race", at)
			turn.Session.Step = fmt.Sprintf("racer_%d", i)
			<-ready
			errs[i] = e.b.Commit(e.ctx, turn)
		}()
	}
	close(ready)
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("racers %d and %d both committed wamid.race", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, core.ErrDuplicate):
			t.Errorf("racer %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no racer committed wamid.race")
	}
	if step := e.session(a.URN).Step; step != fmt.Sprintf("racer_%d", won) {
		t.Errorf("session step %q, want the winner's racer_%d", step, won)
	}
	if n := len(e.pending("whatsapp")); n != queued+1 {
		t.Errorf("the race queued %d replies, want 1", n-queued)
	}
}

// testSeen: Seen says whether a channel's message id was handled, on both
// the Store and the Inbox, across restarts.
func testSeen(t *testing.T, h Harness) {
	e := open(t, h)
	a := cust(1)
	if e.seen("whatsapp", "wamid.n1") {
		t.Error("an id nothing committed is seen")
	}
	e.commit(a.turn("wamid.n1", e.now()))
	var store core.Store = e.b
	var inbox core.Inbox = e.b
	for name, seen := range map[string]func(string, string) (bool, error){
		"Store.Seen": func(ch, id string) (bool, error) { return store.Seen(e.ctx, ch, id) },
		"Inbox.Seen": func(ch, id string) (bool, error) { return inbox.Seen(e.ctx, ch, id) },
	} {
		for _, tc := range []struct {
			channel, id string
			want        bool
		}{
			{"whatsapp", "wamid.n1", true},
			{"console", "wamid.n1", false},
			{"whatsapp", "wamid.n2", false},
		} {
			if got, err := seen(tc.channel, tc.id); err != nil || got != tc.want {
				t.Errorf("%s(%q, %q) = %v, %v; want %v", name, tc.channel, tc.id, got, err, tc.want)
			}
		}
	}
	e.commit(a.botTurn("whatsapp", e.now(), "no inbound"))
	e.reopen()
	if !e.seen("whatsapp", "wamid.n1") {
		t.Error("a handled id is not seen after a restart")
	}
}

// testMedia: files of a turn are kept by the hex SHA-256 of their bytes,
// with their type and name, and read back with Media.
func testMedia(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	photo := bytes.Repeat([]byte{0xff, 0xd8, 0x00, 0x7f}, 50_000) // binary, 200 kB
	turn := a.turn("wamid.m1", e.now())
	turn.Inbound.Kind = core.InImage
	turn.Inbound.Media = []core.Media{{ID: "channel-media-1", MIME: "image/jpeg", Filename: "roof.jpg", Caption: "the roof", Data: photo}}
	doc := []byte(`%PDF-1.7 the quote`)
	turn.Media = []core.Media{{MIME: "application/pdf", Filename: "quote.pdf", Data: doc}}
	sent := []byte("a document the bot sends")
	turn.Outbound = append(turn.Outbound, core.Outbound{Channel: "whatsapp", Contact: a.URN, Kind: core.OutDocument, Created: e.now(),
		Media: &core.Media{MIME: "text/plain", Filename: "terms.txt", Data: sent}})
	e.commit(turn)

	ref := turn.Inbound.Media[0]
	if ref.ID != mediaID(photo) || ref.SHA256 != ref.ID || ref.Size != len(photo) {
		t.Errorf("commit filled in the photo as id %q sha256 %q size %d; want the hex SHA-256 and %d", ref.ID, ref.SHA256, ref.Size, len(photo))
	}
	if turn.Media[0].ID != mediaID(doc) {
		t.Errorf("commit filled in the turn's file as %q, want %q", turn.Media[0].ID, mediaID(doc))
	}
	items := e.pending("whatsapp")
	if len(items) != 2 || items[1].Media == nil || items[1].Media.ID != mediaID(sent) {
		t.Fatalf("outbox = %+v; want the document with its media id", items)
	}
	if in := e.export(a).message(t, "wamid.m1"); len(in.Media) != 1 || in.Media[0].ID != ref.ID {
		t.Errorf("the message log refers to %+v, want the stored photo %s", in.Media, ref.ID)
	}
	// The same bytes from another contact are the same file.
	bt := b.turn("wamid.m2", e.now())
	bt.Inbound.Media = []core.Media{{MIME: "image/jpeg", Filename: "also.jpg", Data: photo}}
	e.commit(bt)
	if bt.Inbound.Media[0].ID != ref.ID {
		t.Errorf("the same bytes got id %s, want %s", bt.Inbound.Media[0].ID, ref.ID)
	}

	e.reopen()
	for _, want := range []struct {
		data           []byte
		mime, filename string
	}{
		{photo, "image/jpeg", "roof.jpg"},
		{doc, "application/pdf", "quote.pdf"},
		{sent, "text/plain", "terms.txt"},
	} {
		id := mediaID(want.data)
		got, err := e.b.Media(e.ctx, id)
		if err != nil {
			t.Errorf("media %s (%s): %v", id, want.filename, err)
			continue
		}
		if got.ID != id || !bytes.Equal(got.Data, want.data) || got.MIME != want.mime || got.Size != len(want.data) {
			t.Errorf("media %s: id %s, %s, %d bytes (size %d); want %s, %d bytes", want.filename, got.ID, got.MIME, len(got.Data), got.Size, want.mime, len(want.data))
		}
		if got.Filename != want.filename && !(want.filename == "roof.jpg" && got.Filename == "also.jpg") {
			t.Errorf("media %s: file name %q", want.filename, got.Filename)
		}
	}
	if _, err := e.b.Media(e.ctx, mediaID([]byte("never stored"))); !isNotFound(err) {
		t.Errorf("media never stored: %v, want ErrNotFound", err)
	}
}
