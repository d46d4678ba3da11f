package engine

import (
	"strings"

	"github.com/allmyleads/allmyleads/engine/intent"
	"github.com/allmyleads/allmyleads/engine/quantity"
	"github.com/allmyleads/allmyleads/flows"
)

// A question the bot cannot take as the answer ("how much roughly?", "do
// you work weekends?") is not saved as the answer. Rights requests ("what
// data do you have on me") were taken by the keywords already. Other
// questions get the flow's faq: answer where one matches (the waiting
// step's flow first, then the start flow's), else a short "I've passed it
// on", recorded for the owner in the audit log beside the message, and
// the waiting question again. A question is not counted as a failed
// answer. Where a question is an answer (a number to a size question, a
// choice, a yes), the step takes it; an optional question with free text
// (feedback) takes it too.

// question answers a question the waiting step cannot take; it reports
// whether the message was one.
func (e *Engine) question(t *turn, s *flows.Step) bool {
	in := t.in
	if in.Kind != InText || in.ReplyID != "" || !intent.IsQuestion(in.Text) || isGreeting(strings.Trim(in.Text, "?¿ ")) || t.stepTakes(s, in) {
		return false // "hello?" is a greeting
	}
	if s.Kind == flows.KindConfirmQuote && (t.sess.Quote == nil || t.sess.Quote.Status != QuoteSent) {
		return false // the quote is not shown yet: the step says so
	}
	if tpl := e.faqFor(t, in.Text); tpl != nil {
		t.sayText(tpl, nil)
	} else {
		t.say(e.cfg.Texts.QuestionPassedOn, nil)
		t.audit = append(t.audit, AuditEntry{Time: t.now, Actor: "customer", Action: "question",
			Contact: e.deps.Tag(t.sess.Contact), Detail: "a question the bot could not answer, at " + t.sess.Flow + "/" + s.ID + ": see the messages"})
	}
	if s.Kind == flows.KindConfirmQuote {
		// The quote is above: ask for the answer, not the whole quote again.
		t.send(Outbound{Kind: OutButtons, Text: t.render(t.e.text(e.cfg.Texts.QuoteGoAhead), nil), Options: quoteOptionsFor(t, s, t.sess.Quote)})
		t.sess.Waiting = true
		return true
	}
	e.follow(t, s, stepKinds[s.Kind].reprompt(t, s))
	return true
}

// stepTakes reports whether the waiting step can take a message as its
// answer.
func (t *turn) stepTakes(s *flows.Step, in *Inbound) bool {
	text := answerText(in)
	switch s.Kind {
	case flows.KindAsk:
		if s.Numeric() {
			_, err := quantity.Parse(text, quantity.Options{Unit: askUnit(s)})
			return err == nil
		}
		if strictAsk(s) {
			_, err := t.e.askValue(s, text, t.sess.Contact)
			return err == nil
		}
		// Feedback may be a question; a name or an address is not; a
		// description may hold one among what it tells.
		return !required(s) || sentences(text) > 1
	case flows.KindChoice:
		_, ok := t.pickAnyChoice(s, in, t.choiceOptions(s))
		return ok
	case flows.KindConsent:
		_, ok := t.acceptOrDecline(s, consentOptions(t, s), in)
		return ok
	case flows.KindConfirmQuote:
		_, ok := t.acceptOrDecline(s, quoteOptionsFor(t, s, t.sess.Quote), in)
		return ok
	case flows.KindExtract:
		_, ok := t.e.yesOrNo(in)
		return ok
	}
	return false
}

// faqFor finds the FAQ answer to a question: the waiting step's flow's
// entries first, then the start flow's; the entry whose match phrase is
// longest wins.
func (e *Engine) faqFor(t *turn, text string) *flows.Template {
	said := " " + intent.Normalize(text) + " "
	var best *flows.Template
	bestLen := 0
	for _, name := range []string{t.sess.Flow, e.cfg.StartFlow} {
		f := e.deps.Flows.Flow(name)
		if f == nil {
			continue
		}
		for _, q := range f.FAQ {
			for _, m := range e.deps.Flows.FAQMatches(f.Name, q) {
				w := intent.Normalize(m)
				if w != "" && len(w) > bestLen && strings.Contains(said, " "+w+" ") {
					best, bestLen = q.Answer, len(w)
				}
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

// sentences counts the sentences of a message: "The roof leaks. Can you
// come?" is two.
func sentences(text string) int {
	n := 0
	for _, part := range strings.FieldsFunc(text, func(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '\n' }) {
		if len(strings.Fields(part)) > 0 {
			n++
		}
	}
	return n
}
