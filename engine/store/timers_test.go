package store

// The bbolt store's own timer tests: its side bucket (timer_owners), its
// PendingTimers count and rekeying. The store contract's timer cases
// (core.Timers and Session.Timers) are in the conformance suite,
// engine/store/storetest/timer_cases.go.

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// reminder is an after-timer of the test session's waiting step.
func reminder(phone string, entry int, due time.Time) core.Timer {
	return core.Timer{
		ID: fmt.Sprintf("after/quote/ask_email/%d", entry), Contact: core.PhoneURN(phone), Kind: core.TimerAfter,
		Due: due, Set: due.Add(-time.Hour), Flow: "quote", Step: "ask_email", Entry: entry,
	}
}

// timerTurn is a turn that leaves the contact's session with these timers.
func timerTurn(phone, id string, at time.Time, timers ...core.Timer) *core.Turn {
	t := turnFor(phone, id, "hello", at)
	t.Session.Timers = timers
	return t
}

// fireTurn is the turn that fires a timer: no inbound message, the session
// without the timer, and the reminder queued.
func fireTurn(phone string, at time.Time, left ...core.Timer) *core.Turn {
	t := turnFor(phone, "", "", at)
	t.Inbound = nil
	t.Session.Channel = "whatsapp"
	t.Session.Timers = left
	t.Outbound = []core.Outbound{{Channel: "whatsapp", Kind: core.OutText, Text: "Still there?"}}
	return t
}

func (td *testDB) commit(t testing.TB, turn *core.Turn) {
	t.Helper()
	if err := td.Commit(context.Background(), turn); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func (td *testDB) due(t testing.TB, now time.Time, limit int) []string {
	t.Helper()
	ts, err := td.DueTimers(context.Background(), now, limit)
	if err != nil {
		t.Fatalf("due timers: %v", err)
	}
	var out []string
	for _, tm := range ts {
		out = append(out, fmt.Sprintf("%s %s %s", tm.Contact, tm.ID, tm.Due.Sub(td.clock.Now())))
	}
	return out
}

// TestTimerIndexBookkeeping: PendingTimers counts the index, and
// timer_owners loses a contact's entry once its timers are cancelled,
// erased or removed by retention.
func TestTimerIndexBookkeeping(t *testing.T) {
	td := openTest(t)
	now := td.clock.Now()
	ctx := context.Background()
	a, b, c := phoneN(1), phoneN(2), phoneN(3)
	td.commit(t, timerTurn(a, "a1", now, reminder(a, 0, now.Add(2*time.Hour)), reminder(a, 1, now.Add(24*time.Hour))))
	td.commit(t, timerTurn(b, "b1", now, reminder(b, 0, now.Add(time.Hour))))
	td.commit(t, timerTurn(c, "c1", now, reminder(c, 0, now.Add(time.Hour))))
	if n, err := td.PendingTimers(ctx); err != nil || n != 4 {
		t.Errorf("pending timers = %d, %v; want 4", n, err)
	}
	if n := td.count(t, bTimerOwners); n != 3 {
		t.Errorf("timer_owners has %d entries, want one per contact with timers (3)", n)
	}

	td.commit(t, timerTurn(a, "a2", now))
	if _, err := td.Erase(ctx, b, "test"); err != nil {
		t.Fatal(err)
	}
	if n := td.count(t, bTimerOwners); n != 1 {
		t.Errorf("timer_owners has %d entries after a's timers were cancelled and b erased, want c's alone", n)
	}
	later := now.Add(4 * 365 * 24 * time.Hour)
	if _, err := td.RunRetention(ctx, DefaultPolicy(), later, false, "test"); err != nil {
		t.Fatal(err)
	}
	if n, _ := td.PendingTimers(ctx); n != 0 {
		t.Errorf("pending timers after retention = %d, want 0", n)
	}
	if n := td.count(t, bTimerOwners); n != 0 {
		t.Errorf("timer_owners keeps %d entries", n)
	}
}

func TestRekeyKeepsTimers(t *testing.T) {
	td := openTest(t)
	now := td.clock.Now()
	a := phoneN(1)
	first, second := reminder(a, 0, now.Add(time.Hour)), reminder(a, 1, now.Add(2*time.Hour))
	td.commit(t, timerTurn(a, "a1", now, first, second))
	nk := testKey(9)
	if err := td.Rekey(context.Background(), nk, "test"); err != nil {
		t.Fatal(err)
	}
	td.key = nk
	td.closeDB(t)
	td.reopen(t)
	if got := td.due(t, now.Add(3*time.Hour), 10); len(got) != 2 {
		t.Fatalf("after rekey: %q", got)
	}
	// The contact's index entries are still found by its new key: firing
	// the first removes exactly it.
	td.commit(t, fireTurn(a, now.Add(time.Hour), second))
	if got := td.due(t, now.Add(3*time.Hour), 10); !slices.Equal(got, []string{"whatsapp:15550000001 after/quote/ask_email/1 2h0m0s"}) {
		t.Errorf("after firing the first entry: %q", got)
	}
}
