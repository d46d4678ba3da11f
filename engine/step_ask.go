package engine

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/flows"
)

// ask asks a question and saves the validated answer. A failing answer is
// asked again with `error`; after `retries` failures the conversation goes
// to on_error, or on. Without a `required` rule, "skip" leaves it empty.
//
//   - id: ask_email
//     ask: "What is your email address?"
//     save: lead.email
//     validate: "required,email"
//     error: "That doesn't look like an email address. Could you check it?"
func init() { registerStep(flows.KindAsk, stepKind{enter: enterAsk, answer: answerAsk}) }

const defaultRetries = 3

func enterAsk(t *turn, s *flows.Step) outcome {
	t.sayText(s.Text, nil)
	return wait()
}

var skipWords = []string{"skip", "-", "none", "n/a", "no", "nothing"}

func answerAsk(t *turn, s *flows.Step, in *Inbound) outcome {
	if in.ReplyID != "" {
		// A tap on a button of an earlier message is not a typed answer.
		t.say(t.e.cfg.Texts.StaleButton, nil)
		t.sayText(s.Text, nil)
		return wait()
	}
	text := answerText(in)
	if !strings.Contains(s.Validate, "required") && contains(skipWords, normalizeAnswer(text)) {
		return next()
	}
	value, err := t.e.askValue(s, text, t.sess.Contact)
	if err != nil {
		reask := func() {
			if s.Error != nil {
				t.sayText(s.Error, nil)
			} else {
				t.say(hint(err), nil)
			}
			t.sayText(s.Text, nil)
		}
		if strings.Contains(","+s.Validate+",", ",required,") {
			return t.retry(s, reask, t.keepAsking(reask))
		}
		return t.retry(s, reask, next) // optional: move on without it
	}
	if s.Save != "" {
		t.setVar(s.Save, value)
		t.noteEvidence(s.Save, Evidence{Source: "answer", Value: value})
	}
	return next()
}

// askValue validates an answer and converts it to what is saved: numbers for
// numeric rules, E.164 for phone numbers, trimmed text otherwise.
func (e *Engine) askValue(s *flows.Step, text, contact string) (any, error) {
	tags := "," + s.Validate + ","
	if strings.Contains(tags, ",numeric,") || strings.Contains(tags, ",number,") {
		// "about 40", "40m2" and "12,5" are numbers too: validate the
		// number itself, so gt=0 and the like compare values.
		if f, ok := parseNumber(text); ok {
			if err := e.valid.check(s.Validate, f); err != nil {
				return nil, err
			}
			return f, nil
		}
	}
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

var (
	numberIn  = regexp.MustCompile(`-?\s?\d+(?:[.,]\d+)*`)
	thousands = regexp.MustCompile(`^-?\d{1,3}(?:,\d{3})+$`)
)

// parseNumber reads the first number in a text: "about 40", "40m2", "12,5"
// (a decimal comma), "1,000" (a thousands comma), "- 5" and "−5" (negative).
func parseNumber(text string) (float64, bool) {
	text = strings.NewReplacer("−", "-", "–", "-").Replace(text)
	m := strings.ReplaceAll(numberIn.FindString(text), " ", "")
	if m == "" {
		return 0, false
	}
	if thousands.MatchString(m) {
		m = strings.ReplaceAll(m, ",", "")
	} else if strings.Count(m, ",")+strings.Count(m, ".") > 1 {
		return 0, false // "1.000,50" and the like: ask again rather than guess
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(m, ",", "."), 64)
	return f, err == nil
}

var greetings = []string{"hi", "hello", "hey", "hiya", "hallo", "hoi", "hola", "yo", "howdy", "good morning", "good afternoon", "good evening", "hi there", "hello there", "hey there"}

// isGreeting reports whether a message is only a greeting.
func isGreeting(text string) bool {
	return contains(greetings, normalizeAnswer(strings.Trim(text, " !.,👋🙂😊")))
}

// hint turns a failed validation into a friendly sentence for a step
// without its own `error` text.
func hint(err error) string {
	if errors.Is(err, core.ErrInvalidPhone) {
		return "That doesn't look like a phone number. Please include the country code, like +44 7700 900123."
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

// keepAsking asks again and reminds the customer a person can help: what a
// question that must be answered does when its retries are used up.
func (t *turn) keepAsking(reask func()) func() outcome {
	return func() outcome {
		reask()
		t.say(t.e.cfg.Texts.AgentHint, nil)
		return wait()
	}
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}
