package engine

import (
	"errors"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/quantity"
	"github.com/allmyleads/allmyleads/flows"
)

// ask asks a question and saves the validated answer. A failing answer is
// asked again with `error`; after `retries` failures the conversation goes
// to on_error, else an optional question moves on and a required one
// offers a person. Without a `required` rule, "skip" leaves it empty.
// "I don't know" goes to `unknown` (never_stuck.go); a value already known
// at `prefill` is confirmed instead of asked (prefill.go).
//
//   - id: ask_email
//     ask: "What is your email address?"
//     save: lead.email
//     validate: "required,email"
//     error: "That doesn't look like an email address. Could you check it?"
//     prefill: lead.email
//     confirm: "Shall we send the quote to *{{ value }}* again?"
//
// With a numeric rule the answer is read as a quantity: digits or words
// (forty, cuarenta y cinco), 4 x 10 m, 40 sq ft, converted to `unit`. A
// range (30-40) is asked about, or settled by `range` (low, high, middle);
// a value above `confirm_above` or below `confirm_below` is confirmed once.
// How a converted value was read is saved at SAVE_read.
//
//   - id: ask_area
//     ask: "Roughly how many square metres is the roof?"
//     save: project.estimate.area_m2
//     validate: "required,numeric,gt=0"
//     unit: m2
//     confirm_above: 500
//     confirm_below: 2
func init() {
	registerStep(flows.KindAsk, stepKind{enter: enterAsk, answer: answerAsk, again: againAsk})
}

const defaultRetries = 3

func enterAsk(t *turn, s *flows.Step) outcome {
	if t.enterPrefill(s) { // prefill.go: "About 60 m², right?"
		return wait()
	}
	t.sayText(s.Text, nil)
	return wait()
}

// againAsk repeats a pending check or range question, else the question.
func againAsk(t *turn, s *flows.Step) outcome {
	if t.againQuantity() {
		return wait()
	}
	return enterAsk(t, s)
}

func answerAsk(t *turn, s *flows.Step, in *Inbound) outcome {
	if o, ok := t.answerPrefill(s, in); ok {
		return o
	}
	if o, ok := t.dontKnow(s, answerText(in)); ok { // never_stuck.go: unknown:
		return o
	}
	if in.ReplyID != "" {
		// A tap on a button of an earlier message is not a typed answer.
		t.say(t.e.cfg.Texts.StaleButton, nil)
		if !t.againQuantity() {
			t.sayText(s.Text, nil)
		}
		return wait()
	}
	if s.Numeric() {
		if o, done := t.answerPendingQuantity(s, in); done {
			return o
		}
	}
	text := answerText(in)
	if isSkip(s, text) { // skip, no, nein; home at a company question (answer_checks.go)
		return next()
	}
	if s.Numeric() {
		return t.answerQuantity(s, text)
	}
	value, err := t.e.askValue(s, text, t.sess.Contact)
	if err != nil {
		return t.askFailed(s, err, nil)
	}
	if s.Save != "" {
		t.setVar(s.Save, value)
		t.noteEvidence(s.Save, Evidence{Source: "answer", Value: value})
	}
	return next()
}

// askFailed counts an answer the step could not take and asks again: with
// the step's error text or a hint for err, then the question; or with
// reask when given (a range question). A required question keeps asking
// after its retries; an optional one moves on without an answer.
func (t *turn) askFailed(s *flows.Step, err error, reask func()) outcome {
	if refusal(err) == flows.RefusedQuestion {
		// A question back is no failed answer: it is kept for the team
		// and the question asked again, without counting an attempt.
		t.sayRefused(s, err)
		t.sayText(s.Text, nil)
		return wait()
	}
	if reask == nil {
		reask = func() {
			t.sayRefused(s, err) // the step's error, or why an answer tag refused it (answer_checks.go)
			t.sayText(s.Text, nil)
		}
	}
	if strings.Contains(","+s.Validate+",", ",required,") {
		return t.retry(s, reask, t.keepAsking(reask))
	}
	return t.retry(s, reask, next) // optional: move on without it
}

// askValue validates an answer and converts it to what is saved: E.164
// for phone numbers, trimmed text otherwise. An email address, phone
// number or name is first taken out of a sentence (fromSentence). Numeric answers are read as
// quantities (answerQuantity).
func (e *Engine) askValue(s *flows.Step, text, contact string) (any, error) {
	text = fromSentence(s, text) // "my email is bob@example.com": the address alone
	tags := "," + s.Validate + ","
	if strings.Contains(tags, ",phone,") {
		// National formats ("07700 900123") take the country code of the
		// number the customer writes from; the rules then check E.164.
		like, _ := core.URNPhone(contact)
		p, err := core.NormalizePhoneLike(text, like)
		if err != nil {
			return nil, err
		}
		if err := e.valid.check(s.Validate, p); err != nil {
			return nil, err
		}
		return p, nil
	}
	if err := e.valid.check(s.Validate, text); err != nil {
		return nil, err
	}
	return text, nil
}

var greetings = []string{"hi", "hello", "hey", "hiya", "hallo", "hoi", "hola", "yo", "howdy", "good morning", "good afternoon", "good evening", "hi there", "hello there", "hey there"}

// isGreeting reports whether a message is only a greeting.
func isGreeting(text string) bool {
	t := normalizeAnswer(strings.Trim(text, " !.,👋🙂😊?¿"))
	return contains(greetings, t) || isPing(t)
}

// hint turns a failed validation into a friendly sentence for a step
// without its own `error` text.
func hint(err error) string {
	if errors.Is(err, core.ErrInvalidPhone) {
		return "That doesn't look like a phone number. Please include the country code, like +44 7700 900123."
	}
	if errors.Is(err, quantity.ErrSeveral) {
		return "Please send just one number, for example the total."
	}
	var ue *quantity.UnitError
	if errors.As(err, &ue) {
		if ue.Want.IsLength() {
			return "Please send one length in " + string(ue.Want) + ", for example 4."
		}
		return "Please send the size in " + string(ue.Want) + ", for example 40."
	}
	var ve validator.ValidationErrors
	if !errors.As(err, &ve) || len(ve) == 0 {
		return "Sorry, that doesn't look right. Please try again."
	}
	fe := ve[0]
	if _, isNumber := fe.Value().(float64); isNumber {
		switch fe.Tag() {
		case "required", "gt", "min":
			return "Please answer with a number greater than " + orZero(fe.Param()) + "."
		case "gte":
			return "Please answer with a number of at least " + orZero(fe.Param()) + "."
		case "lt", "lte", "max":
			return "Please answer with a number up to " + fe.Param() + "."
		}
	}
	switch fe.Tag() {
	case "required":
		return "Please type an answer."
	case "email":
		return "That doesn't look like an email address. It should look like name@example.com."
	case "phone", "e164":
		return "That doesn't look like a phone number. Please include the country code, like +44 7700 900123."
	case "numeric", "number", "gt", "gte", "lt", "lte":
		return "Please answer with a number, like 42."
	case "min":
		return "That's a bit short. Could you give me a little more?"
	case "max":
		return "That's a bit long. Please keep it under " + fe.Param() + " characters."
	case "yesno":
		return "Please answer yes or no."
	case "url":
		return "Please send a web address, like https://example.com."
	}
	return "Sorry, that doesn't look right. Please try again."
}

// retry counts a failed answer: below the step's retries it asks again
// (reask); after them it goes to on_error when the step has one, else
// exhausted decides (a step never assumes an answer it did not get).
func (t *turn) retry(s *flows.Step, reask func(), exhausted func() outcome) outcome {
	t.sess.Attempts++
	limit := s.Retries
	if limit <= 0 {
		limit = defaultRetries
	}
	if t.sess.Attempts < limit {
		reask()
		return wait()
	}
	if s.OnError != "" {
		return fail(next())
	}
	return exhausted()
}

// keepAsking is what a question that must be answered does when its
// retries are used up and it has no on_error: it offers a person instead
// of asking the same again (never_stuck.go). No to the offer asks again.
func (t *turn) keepAsking(func()) func() outcome {
	return func() outcome {
		return t.offerPerson(t.e.cfg.Texts.OfferPerson)
	}
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}
