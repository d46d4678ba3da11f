package owner_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
)

// TestQuoteApproval: with quote_approval always, the customer is told a
// person checks the quote, the lead waits in Needs me, and the owner's
// approval sends it; the customer can then accept it in the chat.
func TestQuoteApproval(t *testing.T) {
	f := newFixture(t, engine.Config{QuoteApproval: engine.ApprovalRule{Always: true}})
	f.converse()
	s := f.h.Session(ana)
	if s.Quote == nil || s.Quote.Status != core.QuotePending {
		t.Fatalf("quote %+v, want held for approval", s.Quote)
	}
	page, err := f.h.Store.LeadPage(context.Background(), core.LeadQuery{Tab: core.TabNeedsMe})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range page.Leads {
		found = found || (l.Contact == ana && l.Stage == core.StageAwaitingApproval)
	}
	if !found {
		t.Fatalf("Ana is not awaiting approval in Needs me: %+v", page.Leads)
	}
	// The customer writes meanwhile: still being checked, nothing priced shown.
	out := f.h.Send(waMsg(f, ana, "any news?"))
	if len(out) != 1 || !strings.Contains(out[0].Text, "still being checked") {
		t.Fatalf("while held: %+v", out)
	}
	code, _, body := f.do(step{method: "POST", path: "/api/v1/quotes/" + s.Quote.ID + "/approval", token: f.rw})
	if code != http.StatusOK {
		t.Fatalf("approve: %d %s", code, body)
	}
	out = f.h.Send(waMsg(f, ana, "accept"))
	if f.h.Session(ana).Quote.Status != core.QuoteAccepted {
		t.Fatalf("after accept: %s, %+v", f.h.Session(ana).Quote.Status, out)
	}
}

// TestOldRevisionCannotBeAccepted: after a re-sent revision, the first
// quote's Accept button answers that it was replaced.
func TestOldRevisionCannotBeAccepted(t *testing.T) {
	f := newFixture(t, engine.Config{})
	f.converse()
	q := f.quoteID(ana)
	code, _, body := f.do(step{method: "POST", path: "/api/v1/quotes/" + q + "/revisions", token: f.rw, body: `{"discount":1000}`})
	if code != http.StatusCreated {
		t.Fatalf("revise: %d %s", code, body)
	}
	old := waMsg(f, ana, "")
	old.Kind, old.ReplyID, old.ReplyTitle = core.InButton, "accept", "Accept quote"
	out := f.h.Send(old)
	if f.h.Session(ana).Quote.Status == core.QuoteAccepted || len(out) == 0 || !strings.Contains(out[0].Text, "replaced") {
		t.Fatalf("the old button: status %s, %+v", f.h.Session(ana).Quote.Status, out)
	}
	cur := waMsg(f, ana, "")
	cur.Kind, cur.ReplyID, cur.ReplyTitle = core.InButton, "accept_r2", "Accept quote"
	f.h.Send(cur)
	if f.h.Session(ana).Quote.Status != core.QuoteAccepted {
		t.Fatalf("the new button did not accept: %s", f.h.Session(ana).Quote.Status)
	}
}

// TestWindowClosedOffersTemplates: a day after the customer's last
// message a text reply is refused (409 naming template) and a template
// goes out.
func TestWindowClosedOffersTemplates(t *testing.T) {
	f := newFixture(t, engine.Config{})
	f.converse()
	f.h.Clock.Advance(25 * time.Hour)
	B := f.leadID(bob)
	code, _, body := f.do(step{method: "POST", path: "/api/v1/leads/" + B + "/messages", token: f.rw, body: `{"text":"Still there?"}`})
	if code != http.StatusConflict || !strings.Contains(string(body), `"field":"template"`) {
		t.Fatalf("text after the window: %d %s", code, body)
	}
	code, _, body = f.do(step{method: "POST", path: "/api/v1/leads/" + B + "/messages", token: f.rw, body: `{"template":{"name":"follow_up"}}`})
	if code != http.StatusCreated {
		t.Fatalf("template after the window: %d %s", code, body)
	}
}

func waMsg(f *fixture, contact, text string) core.Inbound {
	in := f.h.Message(contact, text)
	in.Channel = "whatsapp"
	return in
}
