package engine

import (
	"time"

	"github.com/allmyleads/allmyleads/flows"
)

// A quote is valid until the end of the day its ValidUntil falls on, in
// the business's time zone: a customer told "Valid until 1 Apr 2026" may
// accept on the 1st. After that an acceptance does not book the price: the
// customer is told, and the quote is priced again (or the conversation
// goes to the confirm_quote step's on_expiry).

// quoteExpiry is when a quote stops being valid; zero for a quote without
// a validity.
func (e *Engine) quoteExpiry(q *QuoteRecord) time.Time {
	if q.ValidUntil.IsZero() {
		return time.Time{}
	}
	y, m, d := q.ValidUntil.In(e.cfg.Location).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, e.cfg.Location).UTC()
}

// quoteExpired says whether a quote can no longer be accepted at now.
func (e *Engine) quoteExpired(q *QuoteRecord, now time.Time) bool {
	if q.Status == QuoteExpired {
		return true
	}
	end := e.quoteExpiry(q)
	return !end.IsZero() && !now.Before(end)
}

// quoteWaits says whether the conversation waits for the answer to its
// quote: then a long silence does not start the conversation afresh, the
// quote's validity decides what an answer does.
func (e *Engine) quoteWaits(s *Session) bool {
	if !s.Waiting || s.Ended || s.Quote == nil {
		return false
	}
	if s.Quote.Status != QuoteSent && s.Quote.Status != QuoteExpired {
		return false
	}
	st := e.step(s.Flow, s.Step)
	return st != nil && st.Kind == flows.KindConfirmQuote
}

// expiredQuote answers an acceptance of a quote that has expired: it says
// so, then goes to the step's on_expiry, or prices the quote again with
// the pricing step that made it, or hands the customer to a person when
// no such step is found.
func (t *turn) expiredQuote(s *flows.Step, q *QuoteRecord) outcome {
	valid := q.ValidUntil.In(t.e.cfg.Location).Format("2 Jan 2006")
	t.setQuoteStatus(QuoteExpired)
	t.say(t.e.cfg.Texts.QuoteExpired, map[string]any{"valid_until": valid})
	if s.OnExpiry != "" {
		return goTo(s.OnExpiry)
	}
	if flow, step := t.e.pricingStep(t.sess.Flow, s, q.Plugin); step != "" {
		t.sess.Flow = flow
		return goTo(step)
	}
	t.say(t.e.cfg.Texts.StepFailed, nil)
	t.handoff()
	return stop()
}

// pricingStep finds the plugin step that calls ref: the nearest one above
// the confirm_quote step in its flow, else the first in any flow.
func (e *Engine) pricingStep(flow string, at *flows.Step, ref string) (string, string) {
	if ref == "" {
		return "", ""
	}
	if f := e.deps.Flows.Flow(flow); f != nil {
		found := ""
		for _, st := range f.Steps {
			if st.ID == at.ID {
				break
			}
			if st.Kind == flows.KindPlugin && st.Plugin == ref {
				found = st.ID
			}
		}
		if found != "" {
			return flow, found
		}
	}
	for _, name := range e.deps.Flows.Order {
		for _, st := range e.deps.Flows.Flow(name).Steps {
			if st.Kind == flows.KindPlugin && st.Plugin == ref {
				return name, st.ID
			}
		}
	}
	return "", ""
}
