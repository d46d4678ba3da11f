package whatsapp

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// TestSenderCardTemplate: an owner's alert card outside the owner's window
// goes as the template it carries, with its parameters; inside the window
// it goes as the card with its buttons.
func TestSenderCardTemplate(t *testing.T) {
	f := newSenderFixture(t, nil)
	card := func(to string, until time.Time) core.Outbound {
		return core.Outbound{Channel: ChannelName, Contact: to, Kind: core.OutButtons, Text: "*Quote to approve: Ana Lima*",
			Options:     []core.Option{{ID: "amlo:approve:l1:q1", Title: "Approve & send"}},
			Template:    &core.Template{Name: "allmyleads_alert", Language: "en", Params: []string{"Quote to approve: Ana Lima", "https://leads.example.com/console/leads/l1"}},
			WindowUntil: until, Notice: &core.Notice{Event: core.EventQuoteAwaiting, EventID: "evt_1", Lead: "l1"}}
	}
	f.ob.add(card("+447700900999", time.Unix(1, 0)))
	f.ob.add(card("+447700900998", time.Now().Add(time.Hour)))
	f.run(t)
	eventually(t, "outbox drained", func() bool { return f.ob.pending() == 0 })
	got := sentTexts(f.g)
	if fmt.Sprint(got["447700900999"]) != "[template:allmyleads_alert]" || fmt.Sprint(got["447700900998"]) != "[interactive]" {
		t.Fatalf("sent %v", got)
	}
	for _, r := range f.g.Sent() {
		if r.Body["to"] == "447700900999" {
			if s := fmt.Sprint(r.Body["template"]); s != "map[components:[map[parameters:[map[text:Quote to approve: Ana Lima type:text] map[text:https://leads.example.com/console/leads/l1 type:text]] type:body]] language:map[code:en] name:allmyleads_alert]" {
				t.Errorf("template %s", s)
			}
		}
	}
}

// TestSenderGaveUp: a message to a customer that failed for good is told
// (serve tells the owner); a notice that failed is not.
func TestSenderGaveUp(t *testing.T) {
	var mu sync.Mutex
	var told []string
	f := newSenderFixture(t, func(o *SenderOptions) {
		o.GaveUp = func(_ context.Context, out core.Outbound, reason string) {
			mu.Lock()
			told = append(told, out.Contact+": "+reason)
			mu.Unlock()
		}
	})
	f.g.FailNext(2, http.StatusBadRequest, 131026)
	f.ob.add(text("+447700900123", "undeliverable"))
	card := text("+447700900999", "a card")
	card.Notice = &core.Notice{Event: core.EventLeadCreated}
	f.ob.add(card)
	f.run(t)
	eventually(t, "outbox drained", func() bool { return f.ob.pending() == 0 })
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 1 || told[0][:13] != "+447700900123" {
		t.Fatalf("told %q, want the customer's failure only", told)
	}
}
