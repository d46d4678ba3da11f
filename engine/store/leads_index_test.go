package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// TestLeadPages: leads come newest activity first, a page at a time, with
// the stage, tab and search filters and the totals per stage; a rekey
// keeps the rows and rebuilds the indexes; an erasure drops the lead.
func TestLeadPages(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	t0 := td.clock.Now()
	for i := range 5 {
		tr := turnFor(phoneN(i), fmt.Sprintf("w%d", i), "hello", t0.Add(time.Duration(i)*time.Minute))
		tr.Session.Updated = t0.Add(time.Duration(i) * time.Minute)
		if i == 1 {
			tr.Session.Handoff = true
		}
		if i == 3 {
			tr.Session.Quote = &core.QuoteRecord{ID: "q3", Contact: tr.Session.Contact, Status: core.QuoteSent, Currency: "EUR", Total: 12345, Revision: 1}
			tr.Quotes = []*core.QuoteRecord{tr.Session.Quote}
		}
		if err := td.Commit(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	q := core.LeadQuery{Limit: 2}
	for pages := 0; ; pages++ {
		p, err := td.LeadPage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.Leads {
			got = append(got, l.Phone)
		}
		if p.NextCursor == "" {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		q.Cursor = p.NextCursor
	}
	want := []string{phoneN(4), phoneN(3), phoneN(2), phoneN(1), phoneN(0)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	check := func(q core.LeadQuery, want ...string) {
		t.Helper()
		p, err := td.LeadPage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range p.Leads {
			got = append(got, l.Phone)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%+v: %v, want %v", q, got, want)
		}
	}
	check(core.LeadQuery{Tab: core.TabNeedsMe}, phoneN(1))
	check(core.LeadQuery{Stage: core.StageQuoted}, phoneN(3))
	check(core.LeadQuery{Search: "other15550000002@example"}, phoneN(2))
	check(core.LeadQuery{Search: "0000004"}, phoneN(4))
	check(core.LeadQuery{Since: t0.Add(3 * time.Minute)}, phoneN(4), phoneN(3))
	check(core.LeadQuery{Until: t0.Add(2 * time.Minute)}, phoneN(1), phoneN(0))
	p, _ := td.LeadPage(ctx, core.LeadQuery{})
	for _, s := range p.Stages {
		if s.Stage == core.StageQuoted && (s.Count != 1 || s.Value["EUR"] != 12345) {
			t.Errorf("quoted totals %+v", s)
		}
	}
	if _, err := td.LeadPage(ctx, core.LeadQuery{Cursor: "nope"}); err == nil {
		t.Error("a made-up cursor was accepted")
	}

	oldID := td.LeadID(core.PhoneURN(phoneN(3)))
	if err := td.Rekey(ctx, testKey(9), "test"); err != nil {
		t.Fatal(err)
	}
	check(core.LeadQuery{}, want...)
	check(core.LeadQuery{Stage: core.StageQuoted}, phoneN(3))
	newID := td.LeadID(core.PhoneURN(phoneN(3)))
	if newID == oldID {
		t.Error("the lead id did not change with the key")
	}
	d, err := td.Lead(ctx, newID)
	if err != nil || d.Lead.Phone != phoneN(3) || len(d.Messages) != 2 {
		t.Fatalf("lead after rekey: %+v, %v", d, err)
	}

	if _, err := td.Erase(ctx, phoneN(3), "test"); err != nil {
		t.Fatal(err)
	}
	check(core.LeadQuery{}, phoneN(4), phoneN(2), phoneN(1), phoneN(0))
	p, _ = td.LeadPage(ctx, core.LeadQuery{})
	for _, s := range p.Stages {
		if s.Stage == core.StageQuoted && s.Count != 0 {
			t.Errorf("quoted totals after the erasure %+v", s)
		}
	}
	if _, err := td.Lead(ctx, newID); err == nil {
		t.Error("the erased lead is still found")
	}
}
