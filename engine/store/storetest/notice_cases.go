package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// testNotices: the business hearing what happens (core/events.go). A
// turn's notices are queued in their channels' outboxes with the turn but
// never enter the contact's transcript; a webhook's deliveries are held
// back per lead and receiver, not across receivers; a notice that fails
// for good is kept without its body (core.NoticeLog); an echo is logged as
// the business's message and moves no window; the funnel counts each
// contact once per step (core.Funnel). A backend without NoticeLog or
// Funnel skips those cases, and the console shows none.
func testNotices(t *testing.T, h Harness) {
	runCases(t, h, []suiteCase{
		{"QueuedNotLogged", testNoticesQueued},
		{"Lanes", testNoticeLanes},
		{"Failed", testNoticeFailed},
		{"Echo", testEcho},
		{"Funnel", testFunnel},
	})
}

// webhookNotice is a delivery of an event about c to url.
func webhookNotice(c customer, url, event string, at time.Time) core.Outbound {
	return core.Outbound{Channel: core.WebhookChannel, Contact: c.URN, Kind: core.OutWebhook, Created: at,
		Notice: &core.Notice{Event: event, EventID: "evt-" + event, Lead: "lead-" + c.Digits, URL: url, DeliveryID: "dlv-" + event + "-" + url, Body: `{"name":"` + c.Name + `"}`}}
}

func testNoticesQueued(t *testing.T, h Harness) {
	e := open(t, h)
	a := cust(1)
	turn := a.turn("wamid.n1", e.now())
	turn.Notices = []core.Outbound{
		webhookNotice(a, "https://crm.test/hook", core.EventLeadCreated, e.now()),
		{Channel: "whatsapp", Contact: cust(900).URN, Kind: core.OutText, Text: "New lead: " + a.Name, Created: e.now(),
			Notice: &core.Notice{Event: core.EventLeadCreated, EventID: "evt-1", Lead: "lead-1"}},
	}
	e.commit(turn)
	if turn.Notices[0].ID == "" || turn.Notices[1].ID == "" {
		t.Fatalf("commit assigned no ids to the notices: %+v", turn.Notices)
	}
	e.reopen()
	hooks := e.pending(core.WebhookChannel)
	if len(hooks) != 1 {
		t.Fatalf("webhook outbox: %+v", hooks)
	}
	sameOutbound(t, hooks[0].Outbound, turn.Notices[0])
	if hooks[0].Notice == nil || *hooks[0].Notice != *turn.Notices[0].Notice {
		t.Fatalf("notice %+v, want %+v", hooks[0].Notice, turn.Notices[0].Notice)
	}
	if cards := ofContact(e.pending("whatsapp"), cust(900).URN); len(cards) != 1 || cards[0].Notice == nil {
		t.Fatalf("the owner's card: %+v", cards)
	}
	for _, m := range e.export(a).Messages {
		if m.Channel == core.WebhookChannel || m.ID == turn.Notices[0].ID || m.ID == turn.Notices[1].ID {
			t.Fatalf("a notice is in the customer's transcript: %+v", m)
		}
	}
	if err := e.b.MarkSent(e.ctx, hooks[0].ID, hooks[0].Notice.DeliveryID, e.now()); err != nil {
		t.Fatal(err)
	}
	if left := e.pending(core.WebhookChannel); len(left) != 0 {
		t.Fatalf("a delivered notice stays queued: %+v", left)
	}
}

func testNoticeLanes(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	at := e.now()
	e.commit(&core.Turn{Notices: []core.Outbound{
		webhookNotice(a, "https://one.test", "a1", at), webhookNotice(a, "https://two.test", "a1", at),
		webhookNotice(a, "https://one.test", "a2", at), webhookNotice(a, "https://two.test", "a2", at),
		webhookNotice(b, "https://one.test", "b1", at),
	}})
	items := e.pending(core.WebhookChannel)
	if len(items) != 5 {
		t.Fatalf("queued %d, want 5", len(items))
	}
	if err := e.b.MarkRetry(e.ctx, items[0].ID, at.Add(time.Hour), "503"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range e.pending(core.WebhookChannel) {
		got = append(got, it.Notice.Event+"@"+it.Notice.URL)
	}
	want := "a1@https://two.test a2@https://two.test b1@https://one.test"
	if jsonOf(t, got) != jsonOf(t, strings.Fields(want)) {
		t.Errorf("while a1 to one.test backs off: %v, want %s (a2 to one.test waits; the other receiver and lead go on)", got, want)
	}
}

func testNoticeFailed(t *testing.T, h Harness) {
	e := open(t, h)
	if _, ok := e.b.(core.NoticeLog); !ok {
		t.Skip("the backend keeps no failed notices (core.NoticeLog)")
	}
	a := cust(1)
	n := webhookNotice(a, "https://crm.test/hook?token=abc", core.EventQuoteSent, e.now())
	turn := &core.Turn{Notices: []core.Outbound{n}}
	e.commit(turn)
	id := turn.Notices[0].ID
	if err := e.b.MarkRetry(e.ctx, id, e.now(), "503"); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(24 * time.Hour)
	if err := e.b.MarkFailed(e.ctx, id, 503, "the receiver answered 503", false); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	list, err := e.b.(core.NoticeLog).FailedNotices(e.ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("failed notices %+v, want one", list)
	}
	f := list[0]
	if f.ID != id || f.Event != core.EventQuoteSent || f.Lead != n.Notice.Lead || f.Target != "https://crm.test/hook" ||
		f.Delivery != n.Notice.DeliveryID || f.Attempts != 2 || f.Error != "the receiver answered 503" {
		t.Errorf("failed notice %+v", f)
	}
	sameTime(t, "failed", f.Failed, e.now())
	if l2, _ := e.b.(core.NoticeLog); l2 != nil {
		if err := l2.DismissNotice(e.ctx, id, "owner"); err != nil {
			t.Fatal(err)
		}
		if err := l2.DismissNotice(e.ctx, id, "owner"); !isNotFound(err) {
			t.Errorf("dismissing twice: %v, want not found", err)
		}
		if left, _ := l2.FailedNotices(e.ctx, 10); len(left) != 0 {
			t.Errorf("dismissed notice still listed: %+v", left)
		}
	}
	e.close()
	assertNoneIn(t, "the store after a failed notice", e.raw(), a.Name, "token=abc")
}

func testEcho(t *testing.T, h Harness) {
	e := open(t, h)
	a := cust(1)
	first := e.now()
	e.commit(a.turn("wamid.in1", first))
	e.clock.Add(time.Hour)
	echo := &core.Turn{Inbound: &core.Inbound{Channel: "whatsapp", Contact: a.URN, ID: "wamid.echo1", Time: e.now(), Kind: core.InText, Text: "I'll call you, " + a.Name, Echo: true}}
	echo.Session = e.session(a.URN)
	echo.Session.Handoff = true
	e.commit(echo)
	if !e.seen("whatsapp", "wamid.echo1") {
		t.Fatal("an echo's id is not marked seen")
	}
	if err := e.b.Commit(e.ctx, echo); !isDuplicate(err) {
		t.Fatalf("an echo committed twice: %v", err)
	}
	m := e.export(a).message(t, "wamid.echo1")
	if m.Direction != core.DirOut || m.Status != core.StatusSent || m.ProviderID != "wamid.echo1" {
		t.Errorf("echo in the transcript: %+v, want the business's message, sent", m)
	}
	if w, ok := e.b.(core.Windows); ok {
		last, err := w.LastInbound(e.ctx, a.URN)
		if err != nil {
			t.Fatal(err)
		}
		sameTime(t, "the customer's last message after an echo", last, first)
	}
}

func testFunnel(t *testing.T, h Harness) {
	e := open(t, h)
	if _, ok := e.b.(core.Funnel); !ok {
		t.Skip("the backend keeps no funnel (core.Funnel)")
	}
	a, b := cust(1), cust(2)
	ask := core.StepMark{Flow: "quote", Step: "ask_email"}
	answered := core.StepMark{Flow: "quote", Step: "ask_email", Answered: true}
	for i, m := range []struct {
		c     customer
		marks []core.StepMark
	}{{a, []core.StepMark{ask}}, {a, []core.StepMark{answered, ask}}, {b, []core.StepMark{ask}}, {a, []core.StepMark{answered}}} {
		turn := m.c.turn("wamid.f"+string(rune('a'+i)), e.now())
		turn.Steps = m.marks
		e.commit(turn)
	}
	e.reopen()
	steps, err := e.b.(core.Funnel).Funnel(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || steps[0] != (core.FunnelStep{Flow: "quote", Step: "ask_email", Reached: 2, Answered: 1}) {
		t.Fatalf("funnel %+v, want ask_email reached by 2 and answered by 1", steps)
	}
}

func isDuplicate(err error) bool { return errors.Is(err, core.ErrDuplicate) }
