package store

// Timer cases of the store contract (core.Timers and the timers of
// core.Session). The shared conformance suite (engine/store/storetest) is
// written on another branch; these cases belong in it once it lands.

import (
	"context"
	"fmt"
	"slices"
	"sync"
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

func TestTimersIndexedByDueTime(t *testing.T) {
	td := openTest(t)
	now := td.clock.Now()
	a, b := phoneN(1), phoneN(2)
	td.commit(t, timerTurn(a, "a1", now, reminder(a, 0, now.Add(2*time.Hour)), reminder(a, 1, now.Add(24*time.Hour))))
	td.commit(t, timerTurn(b, "b1", now, reminder(b, 0, now.Add(time.Hour))))

	if got := td.due(t, now.Add(30*time.Minute), 10); len(got) != 0 {
		t.Errorf("nothing is due yet, got %v", got)
	}
	want := []string{
		"whatsapp:15550000002 after/quote/ask_email/0 1h0m0s",
		"whatsapp:15550000001 after/quote/ask_email/0 2h0m0s",
	}
	if got := td.due(t, now.Add(3*time.Hour), 10); !slices.Equal(got, want) {
		t.Errorf("due in 3h:\n got %q\nwant %q", got, want)
	}
	if got := td.due(t, now.Add(48*time.Hour), 2); !slices.Equal(got, want) {
		t.Errorf("limit 2:\n got %q\nwant %q", got, want)
	}
	if got := td.due(t, now.Add(48*time.Hour), 10); len(got) != 3 {
		t.Errorf("due in 2 days: %q", got)
	}
	if n, _ := td.PendingTimers(context.Background()); n != 3 {
		t.Errorf("pending timers = %d, want 3", n)
	}
}

func TestTimersCancelledAndReplacedByLaterTurns(t *testing.T) {
	td := openTest(t)
	now := td.clock.Now()
	a := phoneN(1)
	td.commit(t, timerTurn(a, "a1", now, reminder(a, 0, now.Add(2*time.Hour)), reminder(a, 1, now.Add(4*time.Hour))))

	// The customer answers an hour later: the step's entries start again.
	td.commit(t, timerTurn(a, "a2", now.Add(time.Hour), reminder(a, 0, now.Add(3*time.Hour)), reminder(a, 1, now.Add(5*time.Hour))))
	got := td.due(t, now.Add(10*time.Hour), 10)
	want := []string{"whatsapp:15550000001 after/quote/ask_email/0 3h0m0s", "whatsapp:15550000001 after/quote/ask_email/1 5h0m0s"}
	if !slices.Equal(got, want) {
		t.Errorf("after the replacing turn:\n got %q\nwant %q", got, want)
	}

	// A turn without a session leaves the timers as they are.
	nosess := turnFor(a, "a3", "", now.Add(2*time.Hour))
	nosess.Session = nil
	td.commit(t, nosess)
	if got := td.due(t, now.Add(10*time.Hour), 10); len(got) != 2 {
		t.Errorf("a turn without a session changed the timers: %q", got)
	}

	// A duplicate delivery changes nothing.
	if err := td.Commit(context.Background(), timerTurn(a, "a2", now)); err != core.ErrDuplicate {
		t.Fatalf("duplicate: %v", err)
	}
	if got := td.due(t, now.Add(10*time.Hour), 10); len(got) != 2 {
		t.Errorf("a duplicate changed the timers: %q", got)
	}

	// The customer moves on: the session holds no timers, none are indexed.
	td.commit(t, timerTurn(a, "a4", now.Add(2*time.Hour)))
	if got := td.due(t, now.Add(100*time.Hour), 10); len(got) != 0 {
		t.Errorf("cancelled timers still due: %q", got)
	}
	if n := td.count(t, bTimerOwners); n != 0 {
		t.Errorf("timer_owners has %d entries after every timer was cancelled", n)
	}
}

func TestTimerFiresExactlyOnce(t *testing.T) {
	td := openTest(t)
	now := td.clock.Now()
	a := phoneN(1)
	first, second := reminder(a, 0, now.Add(time.Hour)), reminder(a, 1, now.Add(3*time.Hour))
	td.commit(t, timerTurn(a, "a1", now, first, second))

	ctx := context.Background()
	at := now.Add(90 * time.Minute)
	due, _ := td.DueTimers(ctx, at, 10)
	if len(due) != 1 || due[0].ID != first.ID || !due[0].Due.Equal(first.Due) || due[0].Contact != first.Contact {
		t.Fatalf("due = %+v", due)
	}
	ok, err := td.ClaimTimer(ctx, due[0], at.Add(time.Minute))
	if err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if ok, _ := td.ClaimTimer(ctx, due[0], at.Add(time.Minute)); ok {
		t.Error("a claimed timer was claimed twice")
	}
	if got := td.due(t, at, 10); len(got) != 0 {
		t.Errorf("a claimed timer is still listed: %q", got)
	}
	// The turn that fires it removes it from the session, in the same
	// transaction as the reminder it queues.
	td.commit(t, fireTurn(a, at, second))
	if got := td.due(t, at.Add(time.Hour), 10); len(got) != 0 {
		t.Errorf("a fired timer is still due: %q", got)
	}
	if ok, _ := td.ClaimTimer(ctx, due[0], at.Add(time.Minute)); ok {
		t.Error("a fired timer could be claimed again")
	}
	if got := td.due(t, now.Add(4*time.Hour), 10); !slices.Equal(got, []string{"whatsapp:15550000001 after/quote/ask_email/1 3h0m0s"}) {
		t.Errorf("the second entry: %q", got)
	}
	if n := len(td.messages(t, a)); n != 3 { // hello, its reply, the reminder
		t.Errorf("%d messages logged, want 3", n)
	}
}

func TestTimerClaimRunsOut(t *testing.T) {
	td := openTest(t)
	now := td.clock.Now()
	a := phoneN(1)
	tm := reminder(a, 0, now.Add(time.Minute))
	td.commit(t, timerTurn(a, "a1", now, tm))
	ctx := context.Background()
	at := now.Add(time.Minute)
	td.clock.Set(at)
	if ok, _ := td.ClaimTimer(ctx, tm, at.Add(time.Minute)); !ok {
		t.Fatal("claim failed")
	}
	// The scheduler that claimed it died before firing it: once the claim
	// runs out the timer is due again.
	later := at.Add(2 * time.Minute)
	td.clock.Set(later)
	if got := td.due(t, later, 10); len(got) != 1 {
		t.Fatalf("after the claim ran out: %q", got)
	}
	if ok, _ := td.ClaimTimer(ctx, tm, later.Add(time.Minute)); !ok {
		t.Error("a run-out claim could not be taken again")
	}
	missing := reminder(a, 7, now)
	if ok, _ := td.ClaimTimer(ctx, missing, later); ok {
		t.Error("a timer that is not indexed was claimed")
	}
}

func TestTimersSurviveRestart(t *testing.T) {
	td := openTest(t)
	now := td.clock.Now()
	for i := range 20 {
		p := phoneN(i)
		td.commit(t, timerTurn(p, fmt.Sprintf("m%d", i), now, reminder(p, 0, now.Add(time.Duration(20-i)*time.Minute))))
	}
	before := td.due(t, now.Add(time.Hour), 100)
	td.closeDB(t)
	td.reopen(t)
	after := td.due(t, now.Add(time.Hour), 100)
	if len(after) != 20 || !slices.Equal(before, after) {
		t.Errorf("after a restart:\n got %q\nwant %q", after, before)
	}
	// Earliest first.
	if after[0] != "whatsapp:15550000019 after/quote/ask_email/0 1m0s" {
		t.Errorf("first due: %q", after[0])
	}
}

func TestTimersConcurrentContacts(t *testing.T) {
	td := openTest(t)
	now := td.clock.Now()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := phoneN(i)
			td.commit(t, timerTurn(p, fmt.Sprintf("m%d", i), now, reminder(p, 0, now.Add(time.Hour)), reminder(p, 1, now.Add(2*time.Hour))))
			td.commit(t, fireTurn(p, now.Add(time.Hour), reminder(p, 1, now.Add(2*time.Hour))))
		}()
	}
	wg.Wait()
	if got := td.due(t, now.Add(time.Hour), 1000); len(got) != 0 {
		t.Errorf("%d first entries still due", len(got))
	}
	if got := td.due(t, now.Add(2*time.Hour), 1000); len(got) != 50 {
		t.Errorf("%d second entries due, want 50", len(got))
	}
}

func TestEraseAndRetentionRemoveTimers(t *testing.T) {
	td := openTest(t)
	now := td.clock.Now()
	a, b := phoneN(1), phoneN(2)
	td.commit(t, timerTurn(a, "a1", now, reminder(a, 0, now.Add(time.Hour))))
	td.commit(t, timerTurn(b, "b1", now, reminder(b, 0, now.Add(time.Hour))))
	if _, err := td.Erase(context.Background(), a, "test"); err != nil {
		t.Fatal(err)
	}
	if got := td.due(t, now.Add(time.Hour), 10); !slices.Equal(got, []string{"whatsapp:15550000002 after/quote/ask_email/0 1h0m0s"}) {
		t.Errorf("after erasing the first contact: %q", got)
	}
	// Retention removes a contact with nothing left, and its timers.
	later := now.Add(4 * 365 * 24 * time.Hour)
	if _, err := td.RunRetention(context.Background(), DefaultPolicy(), later, false, "test"); err != nil {
		t.Fatal(err)
	}
	if got := td.due(t, later, 10); len(got) != 0 {
		t.Errorf("after retention removed the contact: %q", got)
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

func TestTimersHoldNoPersonalDataInTheClear(t *testing.T) {
	td := openTest(t)
	now := td.clock.Now()
	td.commit(t, timerTurn(testPhone, "a1", now, reminder(testPhone, 0, now.Add(time.Hour))))
	td.closeDB(t)
	assertNoPlaintext(t, td.path, "15550100123", testName, testEmail)
}
