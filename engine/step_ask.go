package engine

import (
	"strconv"
	"strings"

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
	text := answerText(in)
	if !strings.Contains(s.Validate, "required") && contains(skipWords, normalizeAnswer(text)) {
		return next()
	}
	value, ok := t.e.askValue(s, text)
	if !ok {
		return t.retry(s, func() {
			if s.Error != nil {
				t.sayText(s.Error, nil)
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
func (e *Engine) askValue(s *flows.Step, text string) (any, bool) {
	if err := e.valid.check(s.Validate, text); err != nil {
		return nil, false
	}
	tags := "," + s.Validate + ","
	switch {
	case strings.Contains(tags, ",phone,"):
		if p, err := NormalizePhone(text); err == nil {
			return p, true
		}
	case strings.Contains(tags, ",numeric,") || strings.Contains(tags, ",number,"):
		if f, err := strconv.ParseFloat(strings.ReplaceAll(text, ",", "."), 64); err == nil {
			return f, true
		}
	}
	return text, true
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
