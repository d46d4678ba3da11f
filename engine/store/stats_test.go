package store

import (
	"reflect"
	"testing"

	"github.com/allmyleads/allmyleads/engine/core"
)

// TestDepthsAndLeadStatuses: the counts metrics read at each scrape follow
// the inbox, the outbox and the contacts' statuses.
func TestDepthsAndLeadStatuses(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	d, err := td.Depths(ctx)
	if err != nil || d.Inbox != 0 || len(d.Outbox) != 0 {
		t.Fatalf("empty store: %+v, %v", d, err)
	}
	id, err := td.AddInbox(ctx, "whatsapp", []byte(`{}`), td.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := td.AddInbox(ctx, "whatsapp", []byte(`{}`), td.clock.Now()); err != nil {
		t.Fatal(err)
	}
	commit := func(contact, status, channel string, texts ...string) []core.Outbound {
		turn := &core.Turn{Session: &core.Session{Contact: contact, Vars: map[string]any{}}, Contact: &core.Contact{URN: contact, Status: status}}
		for _, x := range texts {
			turn.Outbound = append(turn.Outbound, core.Outbound{Channel: channel, Contact: contact, Kind: core.OutText, Text: x})
		}
		if err := td.Commit(ctx, turn); err != nil {
			t.Fatal(err)
		}
		return turn.Outbound
	}
	out := commit(phoneN(1), "quoted", "whatsapp", "a", "b")
	commit(phoneN(2), "quoted", "web", "c")
	commit("web:visitor", "new", "web")
	if err := td.DoneInbox(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := td.MarkSent(ctx, out[0].ID, "wamid.a", td.clock.Now()); err != nil {
		t.Fatal(err)
	}
	d, err = td.Depths(ctx)
	if err != nil || d.Inbox != 1 || !reflect.DeepEqual(d.Outbox, map[string]int{"whatsapp": 1, "web": 1}) {
		t.Errorf("depths = %+v, %v", d, err)
	}
	st, err := td.LeadStatuses(ctx)
	if err != nil || !reflect.DeepEqual(st, map[string]int{"quoted": 2, "new": 1}) {
		t.Errorf("lead statuses = %v, %v", st, err)
	}
}
