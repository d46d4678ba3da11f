package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// testInbox: the inbox keeps raw payloads byte for byte, oldest first,
// until they are done, and a payload read but not done before a crash is
// pending again after the restart.
func testInbox(t *testing.T, h Harness) {
	runCases(t, h, []suiteCase{
		{"Queue", testInboxQueue},
		{"RedeliveryAfterCrash", testInboxCrash},
		{"AttemptsCounted", testInboxAttempts},
	})
}

// payload is one webhook body to add and how it must come back.
type payload struct {
	channel string
	body    []byte
	id      string // assigned by AddInbox
	at      time.Time
}

// addInbox adds the payloads in order, filling in their ids.
func (e *env) addInbox(ps []payload) {
	e.t.Helper()
	seen := map[string]bool{}
	for i := range ps {
		id, err := e.b.AddInbox(e.ctx, ps[i].channel, ps[i].body, ps[i].at)
		if err != nil {
			e.t.Fatalf("add inbox: %v", err)
		}
		if id == "" || seen[id] {
			e.t.Fatalf("AddInbox returned id %q, want a new one", id)
		}
		seen[id] = true
		ps[i].id = id
	}
}

// samePending compares pending inbox items with the payloads.
func samePending(t *testing.T, what string, got []core.InboxItem, want ...payload) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d pending payloads, want %d: %+v", what, len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.id || g.Channel != w.channel || !bytes.Equal(g.Body, w.body) || !g.Received.Equal(w.at) {
			t.Errorf("%s: pending[%d] = %s %s %q at %v; want %s %s %q at %v", what, i, g.ID, g.Channel, g.Body, g.Received, w.id, w.channel, w.body, w.at)
		}
	}
}

func testInboxQueue(t *testing.T, h Harness) {
	e := open(t, h)
	at := e.now()
	ps := []payload{
		{channel: "whatsapp", body: webhook(cust(1)), at: at},
		{channel: "web", body: []byte{0x00, 0xff, 0xfe, '\n', 0x80}, at: at.Add(time.Second)}, // not text at all
		{channel: "whatsapp", body: webhook(cust(2)), at: at.Add(2 * time.Second)},
	}
	e.addInbox(ps)
	samePending(t, "after three adds", e.pendingInbox(), ps...)
	first, err := e.b.PendingInbox(e.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	samePending(t, "limit 1", first, ps[0])
	// Reading is not taking: the payloads stay until done.
	samePending(t, "read twice", e.pendingInbox(), ps...)

	if err := e.b.DoneInbox(e.ctx, ps[1].id); err != nil {
		t.Fatal(err)
	}
	samePending(t, "after the second is done", e.pendingInbox(), ps[0], ps[2])
	if err := e.b.DoneInbox(e.ctx, ps[1].id); err != nil {
		t.Errorf("DoneInbox of a payload already done: %v, want nil", err)
	}
	late := []payload{{channel: "whatsapp", body: []byte(`{"late":true}`), at: at.Add(3 * time.Second)}}
	e.addInbox(late)
	samePending(t, "after a later add", e.pendingInbox(), ps[0], ps[2], late[0])
	for _, p := range []payload{ps[0], ps[2], late[0]} {
		if err := e.b.DoneInbox(e.ctx, p.id); err != nil {
			t.Fatal(err)
		}
	}
	samePending(t, "after all are done", e.pendingInbox())
}

func testInboxCrash(t *testing.T, h Harness) {
	e := open(t, h)
	at := e.now()
	ps := []payload{
		{channel: "whatsapp", body: webhook(cust(1)), at: at},
		{channel: "whatsapp", body: webhook(cust(2)), at: at},
		{channel: "whatsapp", body: webhook(cust(3)), at: at},
	}
	e.addInbox(ps)
	// A worker reads all three, finishes the first and crashes.
	samePending(t, "before the crash", e.pendingInbox(), ps...)
	if err := e.b.DoneInbox(e.ctx, ps[0].id); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	samePending(t, "after the restart", e.pendingInbox(), ps[1], ps[2])
	// The worker replays them; a payload added after the restart comes after.
	late := []payload{{channel: "whatsapp", body: webhook(cust(4)), at: at.Add(time.Minute)}}
	e.addInbox(late)
	samePending(t, "after the restart and an add", e.pendingInbox(), ps[1], ps[2], late[0])
	if err := e.b.DoneInbox(e.ctx, ps[0].id); err != nil {
		t.Errorf("DoneInbox replayed after the restart: %v, want nil", err)
	}
}

// testInboxAttempts: BeginInbox counts processing attempts durably, so a
// payload that killed the process is known as such after the restart.
func testInboxAttempts(t *testing.T, h Harness) {
	e := open(t, h)
	id, err := e.b.AddInbox(e.ctx, "whatsapp", webhook(cust(1)), e.now())
	if err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 3; want++ {
		n, err := e.b.BeginInbox(e.ctx, id)
		if err != nil || n != want {
			t.Fatalf("attempt %d: BeginInbox = %d, %v", want, n, err)
		}
		e.reopen() // the process died while handling it
	}
	items := e.pendingInbox()
	if len(items) != 1 || items[0].Attempts != 3 {
		t.Fatalf("after three crashes: %+v; want the payload with 3 attempts", items)
	}
	if err := e.b.DoneInbox(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.BeginInbox(e.ctx, id); !isNotFound(err) {
		t.Errorf("BeginInbox of a done payload: %v; want ErrNotFound", err)
	}
}
