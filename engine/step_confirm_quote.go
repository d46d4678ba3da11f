package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/allmyleads/allmyleads/flows"
)

// confirm_quote shows the conversation's quote (items, subtotal, discount,
// tax, total, validity) and asks to accept or decline; the answer is
// recorded on the quote. Options have ids accept and decline, so a customer
// may tap, type either word or title, or the number.
//
// An acceptance after the quote expired (quote_expiry.go) is not booked:
// the customer is told, and the quote is priced again, or the conversation
// goes to on_expiry. `after` entries may remind before the expiry.
//
//   - id: confirm
//     confirm_quote: "Here is your quote, {{ lead.name }}:"
//     accept: thanks
//     decline: bye
//     on_expiry: to_team
//     after:
//   - { wait: 20h, say: "Any questions about your quote?" }
//   - { before_expiry: 3d, say: "Your quote is valid until {{ quote.valid_until }}.", template: quote_expiring }
func init() {
	registerStep(flows.KindConfirmQuote, stepKind{enter: enterConfirmQuote, answer: answerConfirmQuote})
}

// maxButtonBody is WhatsApp's limit on the body of an interactive message.
const maxButtonBody = 1024

func enterConfirmQuote(t *turn, s *flows.Step) outcome {
	q := t.sess.Quote
	if q == nil {
		return t.failStep(s, "confirm_quote", fmt.Errorf("%s: no quote to confirm (run a pricing plugin step first)", s.Pos))
	}
	if q.Status == QuotePending {
		t.say(t.e.cfg.Texts.QuoteHeldWait, nil)
		return wait()
	}
	if reason := t.e.cfg.QuoteApproval.Needs(q); reason != "" && q.Status == QuoteDraft {
		// A person checks it first: the customer is told, the quote is
		// held, and the owner's approval (Engine.ApproveQuote) sends it.
		q.HeldReason = reason
		t.say(t.e.cfg.Texts.QuoteHeld, nil)
		t.setQuoteStatus(QuotePending)
		return wait()
	}
	t.showQuote(s, q)
	return wait()
}

// showQuote sends the quote with its accept and decline buttons and marks
// it sent. A revision's buttons carry its number, so an earlier revision's
// buttons no longer accept it.
func (t *turn) showQuote(s *flows.Step, q *QuoteRecord) {
	t.sess.QuoteStep = t.sess.Flow + "/" + s.ID // late_accept.go: accepted after "not now"
	body := t.render(s.Text, nil) + "\n\n" + t.formatQuote(q, readings(t.sess.Vars))
	if q.Revision > 1 && q.DecidedBy != "" {
		body = t.render(t.e.text(t.e.cfg.Texts.QuoteRevised), map[string]any{"revision": q.Revision}) + "\n\n" + body
	}
	opts := quoteOptionsFor(t, s, q)
	if len([]rune(body)) > maxButtonBody {
		t.send(Outbound{Kind: OutText, Text: body})
		body = t.render(t.e.text(t.e.cfg.Texts.QuoteGoAhead), nil)
	}
	t.send(Outbound{Kind: OutButtons, Text: body, Options: opts})
	if !t.e.quoteExpired(q, t.now) { // shown again after expiry, it stays expired
		t.setQuoteStatus(QuoteSent)
	}
}

// quoteOptionsFor are the buttons of a quote: ids accept and decline, with
// the revision's number after the first revision (accept_r2).
func quoteOptionsFor(t *turn, s *flows.Step, q *QuoteRecord) []Option {
	opts := quoteOptions(t, s)
	if q != nil && q.Revision > 1 {
		for i := range opts {
			opts[i].ID += "_r" + strconv.Itoa(q.Revision)
		}
	}
	return opts
}

// staleQuoteReply says whether a button answer belongs to another revision
// of the quote than the one shown last.
func staleQuoteReply(in *Inbound, opts []Option) bool {
	id := in.ReplyID
	if id == "" || !(strings.HasPrefix(id, "accept") || strings.HasPrefix(id, "decline")) {
		return false
	}
	for _, o := range opts {
		if o.ID == id {
			return false
		}
	}
	return true
}

// acceptDecline is the step's two options: ids accept and decline, with the
// step's titles or the given defaults.
func acceptDecline(s *flows.Step, defAccept, defDecline string) []Option {
	accept, decline := s.AcceptTitle, s.DeclineTitle
	if accept == "" {
		accept = defAccept
	}
	if decline == "" {
		decline = defDecline
	}
	return []Option{{ID: "accept", Title: accept}, {ID: "decline", Title: decline}}
}

func quoteOptions(t *turn, s *flows.Step) []Option {
	return t.titles(s, acceptDecline(s, t.e.cfg.Texts.AcceptTitle, t.e.cfg.Texts.DeclineTitle))
}

func answerConfirmQuote(t *turn, s *flows.Step, in *Inbound) outcome {
	if q := t.sess.Quote; q != nil && q.Status == QuotePending {
		t.say(t.e.cfg.Texts.QuoteHeldWait, nil)
		return wait()
	}
	opts := quoteOptionsFor(t, s, t.sess.Quote)
	if staleQuoteReply(in, opts) {
		t.say(t.e.cfg.Texts.QuoteReplaced, nil)
		t.send(Outbound{Kind: OutButtons, Text: t.render(t.e.text(t.e.cfg.Texts.QuoteReplacedAsk), nil), Options: opts})
		return wait()
	}
	if t.confirmEmojiAcceptance(s, opts, in) { // 👍 alone: one word first (quote_emoji.go)
		return wait()
	}
	accepted, ok := t.acceptOrDecline(s, opts, in)
	if !ok {
		// Questions about the quote are for a person: after the retries,
		// one takes over (the quote stays sent, never assumed accepted).
		return t.retry(s, func() { t.reaskOptions(opts) }, func() outcome {
			t.say(t.e.cfg.Texts.QuoteQuestion, nil)
			t.handoff()
			return wait() // the quote waits for the customer's answer after the person helped
		})
	}
	if accepted {
		if q := t.sess.Quote; q != nil && t.e.quoteExpired(q, t.now) {
			return t.expiredQuote(s, q) // never book an expired price
		}
		t.setQuoteStatus(QuoteAccepted)
		t.e.offerPayment(t, t.sess.Quote) // the link follows the flow's thanks
		return targetOr(s.Accept)
	}
	t.setQuoteStatus(QuoteDeclined)
	return targetOr(s.Decline)
}

// acceptOrDecline reads the answer to a two-option question: the option,
// its title or number, or a plain yes or no.
func (t *turn) acceptOrDecline(s *flows.Step, opts []Option, in *Inbound) (accepted, ok bool) {
	if o, ok := pickOption(in, opts); ok {
		return strings.HasPrefix(o.ID, "accept"), true
	}
	if yes, ok := parseYesNo(in, t.e.cfg.Texts); ok {
		return yes, true
	}
	return t.goAhead(in), t.goAhead(in) // "acepto", "let's do it"
}

// reaskOptions says the answer was not understood and offers the options again.
func (t *turn) reaskOptions(opts []Option) {
	t.send(Outbound{Kind: OutButtons, Text: t.render(t.e.text(t.e.cfg.Texts.ChoiceInvalid), nil), Options: opts})
}

func targetOr(target string) outcome {
	if target == "" {
		return next()
	}
	return goTo(target)
}
