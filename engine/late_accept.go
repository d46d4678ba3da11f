package engine

import (
	"strconv"
	"strings"

	"github.com/allmyleads/allmyleads/engine/intent"
)

// A quote can still be accepted after "not now" while it is valid: "I
// changed my mind", "ok let's do it", "acepto", or the quote's accept
// button tapped again, at the feedback question that follows a decline or
// after the conversation ended. The quote is marked accepted and the
// conversation goes on at the confirm_quote step's accept target, as if
// accepted at first. An expired quote is not: the customer is told, and a
// person sends an up-to-date one.

// lateAccept takes an acceptance of a declined quote; it reports whether
// the message was one.
func (e *Engine) lateAccept(t *turn) bool {
	q := t.sess.Quote
	if q == nil || q.Status != QuoteDeclined || t.sess.QuoteStep == "" || !t.acceptsAfterAll() {
		return false
	}
	flowName, stepID, _ := strings.Cut(t.sess.QuoteStep, "/")
	f := e.deps.Flows.Flow(flowName)
	if f == nil || f.Step(stepID) == nil {
		return false
	}
	step := f.Step(stepID)
	if !q.ValidUntil.IsZero() && t.now.After(q.ValidUntil) {
		t.say(e.cfg.Texts.QuoteLapsed, map[string]any{"valid_until": formatDate(q.ValidUntil, t.lang())})
		t.handoff()
		return true
	}
	t.setQuoteStatus(QuoteAccepted)
	t.sess.Flow, t.sess.Step = f.Name, step.ID
	t.sess.Ended, t.sess.Waiting, t.sess.Pending, t.sess.Attempts, t.sess.Scratch = false, false, "", 0, nil
	e.follow(t, step, targetOr(step.Accept))
	return true
}

// acceptsAfterAll reports whether the message accepts the declined quote:
// its accept button (of its latest revision), or an acceptance in plain
// words.
func (t *turn) acceptsAfterAll() bool {
	in := t.in
	if in.ReplyID != "" {
		accept := "accept"
		if q := t.sess.Quote; q.Revision > 1 {
			accept += "_r" + strconv.Itoa(q.Revision)
		}
		return in.ReplyID == accept
	}
	return t.goAhead(in)
}

// goAhead reports whether a typed message says yes to a quote or a
// consent in plain words: "ok let's do it", "acepto", "I changed my mind".
func (t *turn) goAhead(in *Inbound) bool {
	return in.Kind == InText && in.ReplyID == "" && t.e.answers.Read(in.Text) == intent.GoAhead
}
