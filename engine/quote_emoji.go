package engine

import (
	"github.com/allmyleads/allmyleads/flows"
)

// confirmEmojiAcceptance asks for a word when a quote is answered with an
// emoji alone that agrees (👍, 👌, ✅): accepting a quote binds the
// customer to a price, so a thumbs up, which may only mean "seen", is not
// taken as a yes. The quote's buttons come again with the question; the
// next answer decides as usual. It reports whether it asked.
func (t *turn) confirmEmojiAcceptance(s *flows.Step, opts []Option, in *Inbound) bool {
	if in.ReplyID != "" || !agreesByEmoji(answerText(in)) {
		return false
	}
	extra := map[string]any{"accept": opts[0].Title}
	if q := t.sess.Quote; q != nil {
		extra["total"] = t.money(q.Total, q.Currency) // in the customer's language
	}
	t.send(Outbound{Kind: OutButtons, Text: t.render(t.e.text(t.e.cfg.Texts.QuoteEmoji), extra), Options: opts})
	return true
}

// reactionAtQuote answers a reaction that agrees (👍 on the quote's
// message) while the quote waits for an answer: a reaction never accepts
// (it advances no flow), but the customer may believe it did, so the bot
// asks for the word. It reports whether it asked.
func (e *Engine) reactionAtQuote(t *turn) bool {
	s := t.sess
	if s.OptedOut || s.Handoff || s.Ended || !s.Waiting || s.Pending != "" || s.Quote == nil || s.Quote.Status != QuoteSent {
		return false
	}
	f := e.deps.Flows.Flow(s.Flow)
	if f == nil {
		return false
	}
	step := f.Step(s.Step)
	if step == nil || step.Kind != flows.KindConfirmQuote {
		return false
	}
	in := *t.in
	in.Kind, in.ReplyID = InText, ""
	return t.confirmEmojiAcceptance(step, quoteOptionsFor(t, step, s.Quote), &in)
}
