package engine_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

// recorder is a Notifier that keeps the events and queues one webhook
// notice per event, as the owner's side would.
type recorder struct {
	mu     sync.Mutex
	events []core.Event
}

func (r *recorder) Notices(_ context.Context, evs []core.Event) []core.Outbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []core.Outbound
	for _, e := range evs {
		r.events = append(r.events, e)
		out = append(out, core.Outbound{Channel: core.WebhookChannel, Contact: e.Contact, Kind: core.OutText,
			Notice: &core.Notice{Event: e.Type, EventID: e.ID, URL: "https://crm.example/hook", DeliveryID: "d-" + e.ID, Body: "{}"}})
	}
	return out
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Type)
	}
	return out
}

func (r *recorder) reset() { r.mu.Lock(); r.events = nil; r.mu.Unlock() }

// TestEventsOfTheShippedConversation: the shipped quote conversation
// tells the business once the lead consented and described the job, every
// message after that, the quote sent and its acceptance; each event's
// notice is queued with its turn and is not in the customer's transcript.
func TestEventsOfTheShippedConversation(t *testing.T) {
	rec := &recorder{}
	h := enginetest.New(t, enginetest.Options{Notifier: rec})
	c := enginetest.DefaultContact
	var perTurn [][]string
	for _, line := range shippedScript(t) {
		rec.reset()
		enginetest.Run(h, "testdata/shipped", line)
		perTurn = append(perTurn, rec.types())
	}
	all := slices.Concat(perTurn...)
	created := slices.Index(all, core.EventLeadCreated)
	if created < 0 || slices.Index(all, core.EventLeadCreated) != slices.IndexFunc(all, func(s string) bool { return s != "" }) {
		t.Fatalf("lead.created is not the first event: %v", perTurn)
	}
	for _, want := range []string{core.EventQuoteSent, core.EventQuoteAccepted} {
		if n := countOf(all, want); n != 1 {
			t.Errorf("%s %d times, want once: %v", want, n, perTurn)
		}
	}
	if countOf(all, core.EventLeadCreated) != 1 {
		t.Errorf("lead.created more than once: %v", perTurn)
	}
	for i, evs := range perTurn {
		if slices.Contains(evs, core.EventLeadCreated) {
			for _, later := range perTurn[i+1:] {
				if !slices.Contains(later, core.EventMessageReceived) {
					t.Errorf("a message after lead.created without message.received: %v", perTurn)
				}
			}
			break
		}
		if slices.Contains(evs, core.EventMessageReceived) {
			t.Errorf("message.received before the lead consented with details: %v", perTurn)
		}
	}
	rec.mu.Lock()
	for _, e := range rec.events {
		if e.Person == nil || e.Person.Name == "" || e.Stage == "" || e.ID == "" {
			t.Errorf("%s is not described: %+v", e.Type, e)
		}
		if strings.HasPrefix(e.Type, "quote.") && (e.Quote == nil || e.Quote.Total <= 0) {
			t.Errorf("%s has no quote", e.Type)
		}
	}
	rec.mu.Unlock()

	// The notices wait in the webhook outbox, in order, and the transcript
	// has none of them.
	items, err := h.Store.PendingOutbound(context.Background(), core.WebhookChannel, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != len(all) {
		t.Fatalf("%d notices queued, want %d", len(items), len(all))
	}
	for i, it := range items {
		if it.Notice == nil || it.Notice.Event != all[i] {
			t.Fatalf("notice %d: %+v, want %s", i, it.Notice, all[i])
		}
	}
	d, err := h.Store.Lead(context.Background(), h.Store.LeadID(c))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range d.Messages {
		if m.Channel == core.WebhookChannel {
			t.Fatalf("a notice is in the transcript: %+v", m)
		}
	}
}

// TestFunnelCountsEachContactOnce: the funnel counts the waiting steps each
// conversation reached and answered, once per contact.
func TestFunnelCountsEachContactOnce(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	ana, bob := "whatsapp:447700900100", "whatsapp:447700900200"
	for _, line := range []string{"hi", "yes", "Ana Lima", "not an email", "ana@example.com"} {
		h.Say(ana, line)
	}
	h.Say(bob, "hi")
	h.Say(bob, "hello again") // a greeting at the consent question: asked again, counted once
	steps, err := h.Store.Funnel(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]int{}
	for _, s := range steps {
		got[s.Flow+"/"+s.Step] = [2]int{s.Reached, s.Answered}
	}
	want := map[string][2]int{
		"consent/ask_consent":           {2, 2},
		"collect_details/ask_name":      {1, 1},
		"collect_details/ask_email":     {1, 1},
		"collect_details/confirm_phone": {1, 0},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: reached, answered = %v, want %v (all: %v)", k, got[k], w, got)
		}
	}
}

// TestEchoPutsTheCustomerInAPersonsHands: a message the owner typed in the
// WhatsApp Business app is logged as the business's, the bot goes quiet,
// and a redelivery changes nothing.
func TestEchoPutsTheCustomerInAPersonsHands(t *testing.T) {
	rec := &recorder{}
	h := enginetest.New(t, enginetest.Options{Notifier: rec})
	c := enginetest.DefaultContact
	h.Say(c, "hi")
	echo := core.Inbound{Channel: "test", Contact: c, ID: "wamid.echo1", Time: h.Clock.Now(), Kind: core.InText, Text: "Hi, it's Sam from Brightside, I'll call you.", Echo: true}
	if out := h.Send(echo); len(out) != 0 {
		t.Fatalf("the bot answered an echo: %+v", out)
	}
	if out := h.Send(echo); len(out) != 0 {
		t.Fatalf("a redelivered echo: %+v", out)
	}
	s := h.Session(c)
	if !s.Handoff {
		t.Fatal("the customer is not in a person's hands after the owner wrote")
	}
	if !slices.Contains(rec.types(), core.EventLeadHandoff) || rec.events[len(rec.events)-1].Reason != "owner_app" {
		t.Fatalf("events %v, want lead.handoff by owner_app", rec.types())
	}
	if out := h.Say(c, "great, thanks"); len(out) != 0 {
		t.Fatalf("the bot talked over the owner: %s", enginetest.Format(out))
	}
	d, err := h.Store.Lead(context.Background(), h.Store.LeadID(c))
	if err != nil {
		t.Fatal(err)
	}
	var echoes []core.MessageRecord
	for _, m := range d.Messages {
		if m.ID == "wamid.echo1" {
			echoes = append(echoes, m)
		}
	}
	if len(echoes) != 1 || echoes[0].Direction != core.DirOut || echoes[0].Author != core.AuthorOwnerApp || echoes[0].Status != core.StatusSent {
		t.Fatalf("echo in the transcript: %+v", echoes)
	}
	if d.Lead.Stage != core.StageWaitingPerson {
		t.Fatalf("stage %s, want waiting for a person", d.Lead.Stage)
	}
	if !s.LastInbound.Equal(h.Session(c).LastInbound) && s.LastInbound.After(enginetest.Epoch) {
		t.Fatal("the echo moved the customer's window")
	}
	if err := h.Engine.Release(context.Background(), c, "owner"); err != nil {
		t.Fatal(err)
	}
	if h.Session(c).Handoff {
		t.Fatal("still handed off after release")
	}
	_ = engine.ErrNoHandoff
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestEmitOutsideATurn: Engine.Emit describes the event from the contact's
// conversation and queues its notices; lead.updated is only for a lead the
// business's systems heard of.
func TestEmitOutsideATurn(t *testing.T) {
	rec := &recorder{}
	h := enginetest.New(t, enginetest.Options{Notifier: rec})
	c := enginetest.DefaultContact
	h.Say(c, "hi")
	ctx := context.Background()
	if err := h.Engine.Emit(ctx, core.Event{Type: core.EventLeadUpdated, Contact: c}); err != nil {
		t.Fatal(err)
	}
	if len(rec.types()) != 0 {
		t.Fatalf("lead.updated for a lead that never consented: %v", rec.types())
	}
	if err := h.Engine.Emit(ctx, core.Event{Type: core.EventPaymentReceived, Contact: c, Reason: "stripe pi_123"}); err != nil {
		t.Fatal(err)
	}
	if got := rec.types(); len(got) != 1 || got[0] != core.EventPaymentReceived {
		t.Fatalf("events %v", got)
	}
	ev := rec.events[0]
	if ev.ID == "" || ev.Stage == "" || ev.Person == nil || ev.Time.IsZero() {
		t.Fatalf("event not described: %+v", ev)
	}
	if items, _ := h.Store.PendingOutbound(ctx, core.WebhookChannel, 10); len(items) != 1 {
		t.Fatalf("queued %d notices", len(items))
	}
}
