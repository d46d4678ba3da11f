package engine

import (
	"errors"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"

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
	value, err := t.e.askValue(s, text)
	if err != nil {
		return t.retry(s, func() {
			if s.Error != nil {
				t.sayText(s.Error, nil)
			} else {
				t.say(hint(err), nil)
			}
			t.sayText(s.Text, nil)
		})
	}
	if s.Save != "" {
		t.setVar(s.Save, value)
	}
	return next()
}

// askValue validates an answer and converts it to what is saved: numbers for
// numeric rules, E.164 for phone numbers, trimmed text otherwise.
func (e *Engine) askValue(s *flows.Step, text string) (any, error) {
	if err := e.valid.check(s.Validate, text); err != nil {
		return nil, err
	}
	tags := "," + s.Validate + ","
	switch {
	case strings.Contains(tags, ",phone,"):
		if p, err := NormalizePhone(text); err == nil {
			return p, nil
		}
	case strings.Contains(tags, ",numeric,") || strings.Contains(tags, ",number,"):
		if f, err := strconv.ParseFloat(strings.ReplaceAll(text, ",", "."), 64); err == nil {
			return f, nil
		}
	}
	return text, nil
}

// hint turns a failed validation into a friendly sentence for a step
// without its own `error` text.
func hint(err error) string {
	var ve validator.ValidationErrors
	if !errors.As(err, &ve) || len(ve) == 0 {
		return "Sorry, that doesn't look right. Please try again."
	}
	fe := ve[0]
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

// retry counts a failed answer: below the step's retries it re-asks
// (reask), after them it goes to on_error or on.
func (t *turn) retry(s *flows.Step, reask func()) outcome {
	t.sess.Attempts++
	limit := s.Retries
	if limit <= 0 {
		limit = defaultRetries
	}
	if t.sess.Attempts >= limit {
		return fail(next())
	}
	reask()
	return wait()
}
