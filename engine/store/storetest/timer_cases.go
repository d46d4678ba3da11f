package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// testTimers: the store keeps every session's timers in a due-time index
// (core.Timers) in step with the sessions, hands them to a scheduler
// earliest first, lets one claim of a timer win, and removes a contact's
// timers with the contact.
func testTimers(t *testing.T, h Harness) {
	runCases(t, h, []suiteCase{
		{"DueOrder", testTimersDueOrder},
		{"Replaced", testTimersReplaced},
		{"FiresOnce", testTimerFiresOnce},
		{"ClaimRunsOut", testTimerClaimRunsOut},
		{"Restart", testTimersRestart},
		{"ConcurrentContacts", testTimersConcurrent},
		{"EraseAndRetention", testTimersErased},
		{"EncryptionAtRest", testTimersAtRest},
	})
}

// reminder is entry n of the after list of the quote flow's ask_email
// step, the step c.turn leaves the customer waiting at, due at due.
func (c customer) reminder(entry int, due time.Time) core.Timer {
	return core.Timer{
		ID: fmt.Sprintf("after/quote/ask_email/%d", entry), Contact: c.URN, Kind: core.TimerAfter,
		Due: due, Set: due.Add(-time.Hour), Flow: "quote", Step: "ask_email", Entry: entry,
	}
}

// expiry is the expiry timer of the customer's sent quote.
func (c customer) expiry(quoteID string, due time.Time) core.Timer {
	return core.Timer{ID: "quote_expiry/" + quoteID, Contact: c.URN, Kind: core.TimerQuoteExpiry, Due: due, Set: start, Ref: quoteID}
}

// timerTurn is the customer's message with a turn that leaves their
// session holding exactly these timers.
func (c customer) timerTurn(id string, at time.Time, timers ...core.Timer) *core.Turn {
	turn := c.turn(id, at)
	turn.Session.Timers = timers
	return turn
}

// fireTurn is the turn that fires a timer of the customer: no inbound
// message, the session without the timer (left are the ones it keeps) and
// the reminder queued, in one transaction.
func (c customer) fireTurn(at time.Time, left ...core.Timer) *core.Turn {
	turn := c.botTurn("whatsapp", at, "Still there?")
	turn.Session = c.turn("", at).Session
	turn.Session.LastInbound = time.Time{}
	turn.Session.Timers = left
	return turn
}

// dueLine is how due lists a reminder of the customer due after d from the
// case's start.
func dueLine(c customer, entry int, d time.Duration) string {
	return fmt.Sprintf("%s after/quote/ask_email/%d +%s", c.URN, entry, d)
}

// dueTimers returns what DueTimers lists at now, failing on an error.
func (e *env) dueTimers(now time.Time, limit int) []core.Timer {
	e.t.Helper()
	ts, err := e.b.DueTimers(e.ctx, now, limit)
	if err != nil {
		e.t.Fatalf("due timers at %v: %v", now, err)
	}
	return ts
}

// due lists the timers due at now, up to limit, each as "contact id +d"
// with d its due time after the case's start, in the order returned.
func (e *env) due(now time.Time, limit int) []string {
	e.t.Helper()
	var out []string
	for _, tm := range e.dueTimers(now, limit) {
		out = append(out, fmt.Sprintf("%s %s +%s", tm.Contact, tm.ID, tm.Due.Sub(start)))
	}
	return out
}

// claim claims a timer until the given time and says whether it got it,
// failing on an error (a timer that is gone or claimed is no error).
func (e *env) claim(tm core.Timer, until time.Time) bool {
	e.t.Helper()
	ok, err := e.b.ClaimTimer(e.ctx, tm, until)
	if err != nil {
		e.t.Fatalf("claim timer %s of %s: %v", tm.ID, tm.Contact, err)
	}
	return ok
}

// sameTimer compares a listed timer with the one committed: times as
// instants, the rest by its JSON.
func sameTimer(t *testing.T, got, want core.Timer) {
	t.Helper()
	sameTime(t, "timer "+want.ID+" due", got.Due, want.Due)
	sameTime(t, "timer "+want.ID+" set", got.Set, want.Set)
	got.Due, got.Set, want.Due, want.Set = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if gj, wj := jsonOf(t, got), jsonOf(t, want); gj != wj {
		t.Errorf("timer\n got %s\nwant %s", gj, wj)
	}
}

// testTimersDueOrder: DueTimers lists the timers due at or before now,
// earliest first across contacts, no more than limit, each as committed.
func testTimersDueOrder(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	now := e.now()
	a0, a1 := a.reminder(0, now.Add(2*time.Hour)), a.reminder(1, now.Add(24*time.Hour))
	bq := b.expiry("b-q1", now.Add(30*time.Hour))
	b0 := b.reminder(0, now.Add(time.Hour))
	e.commit(a.timerTurn("a1", now, a0, a1))
	e.commit(b.timerTurn("b1", now, bq, b0))

	if got := e.due(now.Add(30*time.Minute), 10); len(got) != 0 {
		t.Errorf("nothing is due yet, got %q", got)
	}
	want := []string{dueLine(b, 0, time.Hour), dueLine(a, 0, 2*time.Hour)}
	if got := e.due(now.Add(2*time.Hour), 10); !slices.Equal(got, want) {
		t.Errorf("due at the second's due time (at or before now):\n got %q\nwant %q", got, want)
	}
	if got := e.due(now.Add(3*time.Hour), 10); !slices.Equal(got, want) {
		t.Errorf("due in 3h:\n got %q\nwant %q", got, want)
	}
	if got := e.due(now.Add(48*time.Hour), 2); !slices.Equal(got, want) {
		t.Errorf("due in 2 days, limit 2:\n got %q\nwant %q", got, want)
	}
	all := e.dueTimers(now.Add(48*time.Hour), 10)
	if len(all) != 4 {
		t.Fatalf("due in 2 days: %d timers, want 4: %+v", len(all), all)
	}
	for i, w := range []core.Timer{b0, a0, a1, bq} {
		sameTimer(t, all[i], w)
	}
}

// testTimersReplaced: each commit that saves a session makes the
// contact's indexed timers exactly Session.Timers; a turn without a
// session and a duplicate change nothing.
func testTimersReplaced(t *testing.T, h Harness) {
	e := open(t, h)
	a := cust(1)
	now := e.now()
	later := now.Add(100 * time.Hour)
	e.commit(a.timerTurn("a1", now, a.reminder(0, now.Add(2*time.Hour)), a.reminder(1, now.Add(4*time.Hour))))

	// The customer answers an hour later: the step's entries start again.
	e.clock.Set(now.Add(time.Hour))
	e.commit(a.timerTurn("a2", e.now(), a.reminder(0, now.Add(3*time.Hour)), a.reminder(1, now.Add(5*time.Hour))))
	want := []string{dueLine(a, 0, 3*time.Hour), dueLine(a, 1, 5*time.Hour)}
	if got := e.due(later, 10); !slices.Equal(got, want) {
		t.Errorf("after the replacing turn:\n got %q\nwant %q", got, want)
	}

	// A turn without a session leaves the timers as they are.
	nosess := a.turn("a3", e.now())
	nosess.Session = nil
	e.commit(nosess)
	if got := e.due(later, 10); !slices.Equal(got, want) {
		t.Errorf("a turn without a session changed the timers:\n got %q\nwant %q", got, want)
	}

	// A redelivery is a duplicate and changes nothing.
	if err := e.b.Commit(e.ctx, a.timerTurn("a2", e.now())); !errors.Is(err, core.ErrDuplicate) {
		t.Fatalf("a redelivery: %v, want ErrDuplicate", err)
	}
	if got := e.due(later, 10); !slices.Equal(got, want) {
		t.Errorf("a duplicate changed the timers:\n got %q\nwant %q", got, want)
	}

	// A turn that keeps one timer as it was and drops the other.
	e.commit(a.timerTurn("a4", e.now(), a.reminder(1, now.Add(5*time.Hour))))
	want = want[1:]
	if got := e.due(later, 10); !slices.Equal(got, want) {
		t.Errorf("after dropping the first entry:\n got %q\nwant %q", got, want)
	}

	// The customer moves on: the session holds no timers, none are indexed.
	e.commit(a.timerTurn("a5", e.now()))
	if got := e.due(later, 10); len(got) != 0 {
		t.Errorf("cancelled timers still due: %q", got)
	}
	e.reopen()
	if got := e.due(later, 10); len(got) != 0 {
		t.Errorf("after a restart cancelled timers are due again: %q", got)
	}
}

// testTimerFiresOnce: a claimed timer is skipped by DueTimers and cannot
// be claimed again; the turn that fires it removes it, and with it the
// claim, in the transaction that queues the reminder.
func testTimerFiresOnce(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	now := e.now()
	first, second := a.reminder(0, now.Add(time.Hour)), a.reminder(1, now.Add(3*time.Hour))
	e.commit(a.timerTurn("a1", now, first, second))
	e.commit(b.timerTurn("b1", now, b.reminder(0, now.Add(time.Hour))))

	at := now.Add(90 * time.Minute)
	e.clock.Set(at)
	due := e.dueTimers(at, 10)
	if len(due) != 2 {
		t.Fatalf("due = %+v, want the first entries of both contacts", due)
	}
	var tm core.Timer
	for _, d := range due {
		if d.Contact == a.URN {
			tm = d
		}
	}
	sameTimer(t, tm, first)
	until := at.Add(time.Minute)
	if !e.claim(tm, until) {
		t.Fatal("a due timer could not be claimed")
	}
	if e.claim(tm, until) {
		t.Error("a claimed timer was claimed twice")
	}
	if got := e.due(at, 10); !slices.Equal(got, []string{dueLine(b, 0, time.Hour)}) {
		t.Errorf("due with a's timer claimed: %q, want b's alone", got)
	}

	e.commit(a.fireTurn(at, second))
	if got := e.due(at.Add(time.Hour), 10); !slices.Equal(got, []string{dueLine(b, 0, time.Hour)}) {
		t.Errorf("after firing a's timer: %q, want b's alone", got)
	}
	if e.claim(tm, until) {
		t.Error("a fired timer was claimed again")
	}
	if got := e.due(now.Add(4*time.Hour), 10); !slices.Equal(got, []string{dueLine(b, 0, time.Hour), dueLine(a, 1, 3*time.Hour)}) {
		t.Errorf("the second entry after the first fired: %q", got)
	}
	if got := texts(ofContact(e.pending("whatsapp"), a.URN)); got != "Thanks "+a.Name+", what is your email?,Still there?" {
		t.Errorf("a's queue = %q, want the reply and the reminder", got)
	}
	if n := len(e.export(a).Messages); n != 3 { // hello, its reply, the reminder
		t.Errorf("%d messages logged for a, want 3", n)
	}

	// The claim ended with the commit that removed the timer: set again
	// (the same id, due at the same time), it can be claimed before the
	// old claim's until.
	e.commit(a.timerTurn("a2", at, first))
	if !e.claim(tm, until) {
		t.Error("a timer set again after it fired is still claimed by the claim of its firing")
	}
}

// testTimerClaimRunsOut: a claim whose scheduler never fired the timer
// runs out at its until on the store's clock; the timer is due and
// claimable again. A timer that is not indexed cannot be claimed.
func testTimerClaimRunsOut(t *testing.T, h Harness) {
	e := open(t, h)
	a := cust(1)
	now := e.now()
	tm := a.reminder(0, now.Add(time.Minute))
	e.commit(a.timerTurn("a1", now, tm))

	at := now.Add(time.Minute)
	e.clock.Set(at)
	if !e.claim(tm, at.Add(time.Minute)) {
		t.Fatal("a due timer could not be claimed")
	}
	e.clock.Set(at.Add(30 * time.Second))
	if got := e.due(e.now(), 10); len(got) != 0 {
		t.Errorf("due while the claim lasts: %q", got)
	}
	if e.claim(tm, e.now().Add(time.Minute)) {
		t.Error("a timer was claimed while an earlier claim lasts")
	}

	// The scheduler that claimed it died before firing it.
	later := at.Add(2 * time.Minute)
	e.clock.Set(later)
	if got := e.due(later, 10); !slices.Equal(got, []string{dueLine(a, 0, time.Minute)}) {
		t.Fatalf("after the claim ran out: %q, want the timer due again", got)
	}
	if !e.claim(tm, later.Add(time.Minute)) {
		t.Error("a timer whose claim ran out could not be claimed again")
	}
	if e.claim(a.reminder(7, now), later) {
		t.Error("a timer that is not indexed was claimed")
	}
	if e.claim(cust(2).reminder(0, now.Add(time.Minute)), later) {
		t.Error("a timer of a contact the store never knew was claimed")
	}
}

// testTimersRestart: the index survives a restart, earliest first.
func testTimersRestart(t *testing.T, h Harness) {
	e := open(t, h)
	now := e.now()
	for i := range 20 {
		c := cust(i)
		e.commit(c.timerTurn(fmt.Sprintf("m%d", i), now, c.reminder(0, now.Add(time.Duration(20-i)*time.Minute))))
	}
	before := e.due(now.Add(time.Hour), 100)
	if len(before) != 20 || before[0] != dueLine(cust(19), 0, time.Minute) || before[19] != dueLine(cust(0), 0, 20*time.Minute) {
		t.Fatalf("before the restart: %q, want 20 timers earliest first", before)
	}
	e.reopen()
	if after := e.due(now.Add(time.Hour), 100); !slices.Equal(before, after) {
		t.Errorf("after a restart:\n got %q\nwant %q", after, before)
	}
}

// testTimersConcurrent: 64 goroutines, one per contact, set two timers and
// fire the first at once: every contact's index entries follow its own
// commits.
func testTimersConcurrent(t *testing.T, h Harness) {
	const writers = 64
	e := open(t, h)
	now := e.now()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	ready := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cust(100 + w)
			<-ready
			second := c.reminder(1, now.Add(2*time.Hour))
			if err := e.b.Commit(e.ctx, c.timerTurn(fmt.Sprintf("m%d", w), now, c.reminder(0, now.Add(time.Hour)), second)); err != nil {
				errs <- fmt.Errorf("writer %d: set: %w", w, err)
				return
			}
			if err := e.b.Commit(e.ctx, c.fireTurn(now.Add(time.Hour), second)); err != nil {
				errs <- fmt.Errorf("writer %d: fire: %w", w, err)
			}
		}()
	}
	close(ready)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	check := func(when string) {
		t.Helper()
		if got := e.due(now.Add(time.Hour), 1000); len(got) != 0 {
			t.Errorf("%s: %d fired entries still due: %q", when, len(got), got)
		}
		got := e.due(now.Add(2*time.Hour), 1000)
		slices.Sort(got)
		var want []string
		for w := range writers {
			want = append(want, dueLine(cust(100+w), 1, 2*time.Hour))
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: due in 2h:\n got %q\nwant every contact's second entry %q", when, got, want)
		}
	}
	check("after the commits")
	e.reopen()
	check("after a restart")
}

// testTimersErased: erasing a contact (Rights.Erase or an erasing turn)
// removes its timers and no one else's; so does retention once it
// removes the contact, and not before.
func testTimersErased(t *testing.T, h Harness) {
	e := open(t, h)
	const day = 24 * time.Hour
	a, b, c := cust(1), cust(2), cust(3)
	now := e.now()
	ta := a.reminder(0, now.Add(time.Hour))
	e.commit(a.timerTurn("a1", now, ta))
	e.commit(b.timerTurn("b1", now, b.reminder(0, now.Add(time.Hour))))
	e.commit(c.timerTurn("c1", now, c.reminder(0, now.Add(90*time.Minute)), c.expiry("c-q1", now.Add(2*time.Hour))))

	if err := e.b.Erase(e.ctx, a.URN, "owner"); err != nil {
		t.Fatalf("erase: %v", err)
	}
	if got := e.due(now.Add(3*time.Hour), 10); !slices.Equal(got, []string{dueLine(b, 0, time.Hour), dueLine(c, 0, 90*time.Minute), c.URN + " quote_expiry/c-q1 +2h0m0s"}) {
		t.Errorf("after erasing a: %q, want b's and c's timers", got)
	}
	if e.claim(ta, now.Add(2*time.Hour)) {
		t.Error("an erased contact's timer was claimed")
	}

	// An erasing turn writes nothing of itself about the contact: not the
	// timers its session would hold either.
	erase := c.timerTurn("c.erase", now, c.reminder(0, now.Add(time.Hour)))
	erase.Erase = true
	e.commit(erase)
	if got := e.due(now.Add(3*time.Hour), 10); !slices.Equal(got, []string{dueLine(b, 0, time.Hour)}) {
		t.Errorf("after c's erasing turn: %q, want b's timer alone", got)
	}

	// Retention removes a contact with nothing left, once quiet for the
	// communications period, and its timers with it.
	policy := core.RetentionPolicy{Communications: 30 * day, AIRecords: 10 * day, Projects: 60 * day, Payments: 90 * day}
	if _, err := e.b.RunRetention(e.ctx, policy, now.Add(5*day), false, "test"); err != nil {
		t.Fatalf("retention: %v", err)
	}
	if got := e.due(now.Add(5*day), 10); !slices.Equal(got, []string{dueLine(b, 0, time.Hour)}) {
		t.Errorf("retention before b's period: %q, want b's timer kept", got)
	}
	rep, err := e.b.RunRetention(e.ctx, policy, now.Add(31*day), false, "test")
	if err != nil {
		t.Fatalf("retention: %v", err)
	}
	if rep.Contacts != 1 {
		t.Errorf("retention report = %s, want b removed", rep)
	}
	if got := e.due(now.Add(31*day), 10); len(got) != 0 {
		t.Errorf("after retention removed b: %q", got)
	}
	e.reopen()
	if got := e.due(now.Add(31*day), 10); len(got) != 0 {
		t.Errorf("after a restart: %q", got)
	}
}

// testTimersAtRest: nothing personal of a timer (its contact's number) is
// in the stored bytes in the clear, also while it is claimed.
func testTimersAtRest(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	now := e.now()
	e.commit(a.timerTurn("a1", now, a.reminder(0, now.Add(time.Hour)), a.expiry("a-q1", now.Add(2*time.Hour))))
	tb := b.reminder(0, now.Add(time.Minute))
	e.commit(b.timerTurn("b1", now, tb))
	e.clock.Set(now.Add(time.Minute))
	if !e.claim(tb, e.now().Add(time.Hour)) {
		t.Fatal("a due timer could not be claimed")
	}
	raw := e.raw()
	for _, c := range []customer{a, b} {
		assertNoneIn(t, "the stored bytes (in the clear)", raw, append(c.secrets(), c.URN)...)
	}
}
