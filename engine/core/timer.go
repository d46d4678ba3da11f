package core

import (
	"context"
	"time"
)

// The kinds of timer the engine sets.
const (
	// TimerAfter is an entry of a waiting step's `after:` list: a reminder
	// or a move on when the customer has been silent that long.
	TimerAfter = "after"
	// TimerQuoteExpiry marks the conversation's sent quote expired when its
	// validity ends.
	TimerQuoteExpiry = "quote_expiry"
)

// Timer is something the engine must do for a contact at a time, with no
// message from the customer to start it: a reminder, a quote's expiry.
//
// Timers live in the contact's Session (Session.Timers) and are saved with
// it: a turn that sets or cancels one does so in its own transaction, and a
// timer fires as a turn of its contact (Engine.Fire) whose session no
// longer holds it, so it fires exactly once and never races a customer's
// message. The store indexes every session's timers by due time (Timers)
// for the scheduler.
type Timer struct {
	ID      string    `json:"id"`      // unique among the contact's timers, e.g. "after/consent/ask_consent/0"
	Contact string    `json:"contact"` // URN
	Kind    string    `json:"kind"`    // TimerAfter, TimerQuoteExpiry
	Due     time.Time `json:"due"`     // when it fires
	Set     time.Time `json:"set"`     // when it was set (the step started waiting)

	Flow  string `json:"flow,omitempty"`  // TimerAfter: where the conversation waits
	Step  string `json:"step,omitempty"`  //
	Entry int    `json:"entry,omitempty"` // TimerAfter: the index in the step's after list
	Ref   string `json:"ref,omitempty"`   // TimerQuoteExpiry: the quote id
}

// Timers is the due-time index of every contact's pending timers, what a
// scheduler reads. A store keeps it in step with the sessions: each Commit
// that saves a session makes the contact's indexed timers exactly
// Session.Timers, in the same transaction; erasing a contact (or its
// retention) removes its timers. Reading due timers touches only the start
// of the index, however many timers wait behind it. engine/store implements
// it; engine.Scheduler calls it.
type Timers interface {
	// DueTimers returns up to limit timers due at or before now, earliest
	// first, skipping those under a claim that lasts beyond now.
	DueTimers(ctx context.Context, now time.Time, limit int) ([]Timer, error)

	// ClaimTimer claims a due timer until the given time, so other
	// schedulers (and later DueTimers calls) skip it while it fires. It
	// reports false when the timer is no longer indexed or is claimed by
	// someone else. A claim ends when the commit that removes the timer
	// from its session succeeds, or at until.
	ClaimTimer(ctx context.Context, t Timer, until time.Time) (bool, error)
}
