package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/flows"
)

// Timers are turns that no customer message starts: the entries of a
// waiting step's `after:` list (reminders, moving on) and the expiry of a
// sent quote. They live in the session (Session.Timers), so a turn sets and
// cancels them in its own transaction, and they fire through Fire, under
// the contact's lock like a message: a timer and a customer's message never
// race, and a fired timer leaves the session in the transaction of the turn
// it ran, so it fires once.
//
// Each turn plans the contact's timers when it is recorded (planTimers):
//   - a message from the customer, or the conversation entering a step,
//     cancels the waiting step's pending entries and, when the conversation
//     waits at a step with after entries, sets them again from now;
//   - a fired entry that only said something leaves the later entries as
//     they were;
//   - a contact who opted out, is in a person's hands, has a question of
//     the engine's own pending, or whose conversation ended, has no
//     reminders at all;
//   - a sent quote with a validity has an expiry timer until it is
//     accepted, declined or replaced.
//
// Nothing is sent in the business's quiet hours: an entry due in them is
// set for their end, and one that finds them when it fires moves there.

// timerID names an after entry's timer.
func afterTimerID(flow, step string, entry int) string {
	return fmt.Sprintf("after/%s/%s/%d", flow, step, entry)
}

// expiryTimerID names a quote's expiry timer.
func expiryTimerID(quoteID string) string { return "quote_expiry/" + quoteID }

// waitsOpen says whether the conversation waits for the customer at a
// step and the bot may speak to them unasked: not opted out, not in a
// person's hands, no question of the engine's own pending, not ended.
func waitsOpen(s *Session) bool {
	return s.Waiting && s.Step != "" && !s.Ended && !s.OptedOut && !s.Handoff && s.Pending == ""
}

// planTimers sets the session's timers for what the turn did (see above).
func (t *turn) planTimers() {
	s := t.sess
	answered := t.in != nil && t.in.Kind != InReaction && t.in.Kind != InSystem
	fresh := answered || t.moved || t.rearm
	open := waitsOpen(s)
	var keep []core.Timer
	for _, tm := range s.Timers {
		if t.firing != nil && tm.ID == t.firing.ID {
			continue
		}
		switch tm.Kind {
		case core.TimerAfter:
			if fresh || !open || tm.Flow != s.Flow || tm.Step != s.Step {
				continue
			}
		case core.TimerQuoteExpiry:
			if q := s.Quote; q == nil || q.ID != tm.Ref || q.Status != QuoteSent {
				continue
			}
		}
		keep = append(keep, tm)
	}
	if t.postpone != nil {
		keep = append(keep, *t.postpone)
	}
	if fresh && open {
		keep = append(keep, t.afterTimers()...)
	}
	if q := s.Quote; q != nil && q.Status == QuoteSent && !q.ValidUntil.IsZero() && !hasTimer(keep, expiryTimerID(q.ID)) {
		keep = append(keep, core.Timer{
			ID: expiryTimerID(q.ID), Contact: s.Contact, Kind: core.TimerQuoteExpiry,
			Due: t.e.quoteExpiry(q), Set: t.now, Ref: q.ID,
		})
	}
	s.Timers = keep
}

func hasTimer(ts []core.Timer, id string) bool {
	_, ok := findTimer(ts, id)
	return ok
}

func findTimer(ts []core.Timer, id string) (core.Timer, bool) {
	for _, tm := range ts {
		if tm.ID == id {
			return tm, true
		}
	}
	return core.Timer{}, false
}

// afterTimers are the timers of the waiting step's after entries, set now.
func (t *turn) afterTimers() []core.Timer {
	s := t.sess
	step := t.e.step(s.Flow, s.Step)
	if step == nil || len(step.After) == 0 {
		return nil
	}
	var out []core.Timer
	for i, a := range step.After {
		due := t.now.Add(a.Wait)
		if a.BeforeExpiry > 0 {
			q := s.Quote
			if q == nil || q.ValidUntil.IsZero() {
				continue // no validity, nothing to remind of
			}
			if due = t.e.quoteExpiry(q).Add(-a.BeforeExpiry); !due.After(t.now) {
				continue // the quote is valid for less than that
			}
		}
		out = append(out, core.Timer{
			ID: afterTimerID(s.Flow, s.Step, i), Contact: s.Contact, Kind: core.TimerAfter,
			Due: t.e.outsideQuiet(due), Set: t.now, Flow: s.Flow, Step: s.Step, Entry: i,
		})
	}
	return out
}

// step returns a loaded step, or nil.
func (e *Engine) step(flow, id string) *flows.Step {
	f := e.deps.Flows.Flow(flow)
	if f == nil {
		return nil
	}
	return f.Step(id)
}

// outsideQuiet moves a time in the business's quiet hours to their end.
func (e *Engine) outsideQuiet(at time.Time) time.Time {
	return e.cfg.QuietHours.Until(at, e.cfg.Location)
}

// Fire runs a due timer as a turn of its contact, under the contact's lock,
// and commits it: the timer leaves the session in the same transaction as
// what it did. A timer the session no longer holds (a message cancelled
// it, or it fired already) does nothing. The scheduler calls it; it
// returns the outbound messages queued.
func (e *Engine) Fire(ctx context.Context, tm core.Timer) ([]Outbound, error) {
	contact, err := core.NormalizeURN(tm.Contact)
	if err != nil {
		return nil, fmt.Errorf("fire timer: %w", ErrBadContact)
	}
	ctx, unlock, err := e.lock(ctx, contact)
	if err != nil {
		return nil, fmt.Errorf("fire timer: %w", err)
	}
	defer unlock()
	sess, err := e.deps.Store.Session(ctx, contact)
	if err != nil {
		return nil, fmt.Errorf("fire timer for %s: %w", e.deps.Tag(contact), err)
	}
	if sess == nil {
		return nil, nil
	}
	cur, ok := findTimer(sess.Timers, tm.ID)
	if !ok || !cur.Due.Equal(tm.Due) || e.deps.Clock().Before(cur.Due) {
		return nil, nil // cancelled, fired, moved, or not due yet
	}
	t := e.newTurn(ctx, sess, nil)
	t.firing = &cur
	switch cur.Kind {
	case core.TimerAfter:
		e.fireAfter(t, cur)
	case core.TimerQuoteExpiry:
		e.fireExpiry(t, cur)
	default:
		e.log.Warn("unknown timer kind dropped", "contact", e.deps.Tag(contact), "kind", cur.Kind)
	}
	return e.commit(t)
}

// fireAfter runs one after entry: a reminder (the step keeps waiting), a
// move to another step, or both.
func (e *Engine) fireAfter(t *turn, tm core.Timer) {
	s := t.sess
	step := e.step(tm.Flow, tm.Step)
	if step == nil || tm.Entry < 0 || tm.Entry >= len(step.After) || !waitsOpen(s) || s.Flow != tm.Flow || s.Step != tm.Step {
		return // the flow changed, or so did the conversation: drop it
	}
	if until := e.outsideQuiet(t.now); until.After(t.now) {
		later := tm
		later.Due = until
		t.postpone = &later
		return
	}
	a := step.After[tm.Entry]
	if a.Marketing && !core.MarketingAllowed(s) {
		e.skipEntry(t, tm, "a marketing follow-up, and the customer objected to marketing")
		return // section 8: an objection to direct marketing is kept, whatever the flow says
	}
	caps := e.capabilities(t.channel)
	closed := caps.Window > 0 && !s.LastInbound.IsZero() && t.now.After(s.LastInbound.Add(caps.Window))
	switch {
	case closed && a.Template != "" && caps.Templates:
		t.send(Outbound{Kind: OutTemplate, Template: &Template{Name: a.Template, Language: e.cfg.TemplateLanguage}})
	case closed && a.Say != nil:
		e.skipEntry(t, tm, "the customer's 24-hour window has closed and the entry names no template")
		return
	case a.Say != nil:
		t.sayText(a.Say, nil)
	}
	if a.Next != "" {
		s.Waiting = false
		e.follow(t, step, goTo(a.Next))
	}
}

// skipEntry records an after entry that could not be sent.
func (e *Engine) skipEntry(t *turn, tm core.Timer, why string) {
	detail := fmt.Sprintf("%s/%s after entry %d skipped: %s", tm.Flow, tm.Step, tm.Entry+1, why)
	e.log.Info("reminder skipped", "contact", e.deps.Tag(t.sess.Contact), "flow", tm.Flow, "step", tm.Step, "entry", tm.Entry+1, "why", why)
	t.audit = append(t.audit, AuditEntry{Time: t.now, Actor: "scheduler", Action: "reminder_skipped", Contact: e.deps.Tag(t.sess.Contact), Detail: detail})
}

// fireExpiry marks the conversation's quote expired when it was still
// waiting for an answer. It sends nothing: a late acceptance is told.
func (e *Engine) fireExpiry(t *turn, tm core.Timer) {
	if q := t.sess.Quote; q != nil && q.ID == tm.Ref && q.Status == QuoteSent {
		t.setQuoteStatus(QuoteExpired)
	}
}
