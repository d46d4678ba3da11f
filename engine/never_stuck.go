package engine

import (
	"strings"

	"github.com/allmyleads/allmyleads/engine/intent"
	"github.com/allmyleads/allmyleads/flows"
)

// Never stuck: every waiting step has a way on that the flow states (and
// lint checks), and a default when it states none.
//
//   - photos: "no photos", "I can't", "later" (and a customer who sent no
//     photo after `retries` reminders) go to `skip:`; without one, a
//     person is offered.
//   - ask with a number or a strict check (email, phone...): "I don't
//     know", "not sure" go to `unknown:`; without one an optional
//     question moves on without the value, a required one offers a
//     person.
//   - after a question's `retries`, on_error; without one, a person is
//     offered instead of the question again. "No" to the offer asks the
//     question once more; anything else is read as the answer.

// pendingPerson is Session.Pending while the customer is asked whether a
// person should help.
const pendingPerson = "person"

// yesNo are the engine's Yes and No buttons, in the customer's language.
func (t *turn) yesNo() []Option {
	return []Option{{ID: "yes", Title: t.word(t.e.cfg.Texts.YesTitle)}, {ID: "no", Title: t.word(t.e.cfg.Texts.NoTitle)}}
}

// offerPerson asks whether a person should help, and waits for the
// answer with the step where it is.
func (t *turn) offerPerson(text string) outcome {
	t.sess.Pending = pendingPerson
	t.send(Outbound{Kind: OutButtons, Text: t.render(t.e.text(text), nil), Options: t.yesNo()})
	return wait()
}

// answerPerson takes the answer to the offer of a person: yes hands the
// contact to one (the question waits for after), no asks the question
// again, anything else is read as the answer to it.
func (e *Engine) answerPerson(t *turn) {
	t.sess.Pending, t.sess.Attempts = "", 0
	yes, ok := e.yesOrNo(t.in)
	switch {
	case ok && yes:
		t.say(e.cfg.Texts.Handoff, nil)
		t.handoff()
	case ok:
		t.say(e.cfg.Texts.PersonDeclined, nil)
		e.resume(t)
	default:
		e.converse(t)
	}
}

// strictAsk reports whether an ask step checks its answer for a form (a
// number, an email address, a phone number...), beyond being there and
// its length: then "I don't know" can be told from an answer.
func strictAsk(s *flows.Step) bool {
	for _, tag := range strings.Split(s.Validate, ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(tag), "=")
		switch name {
		case "", "required", "omitempty", "min", "max", "len", "answer": // answer refuses only placeholders (answer_checks.go)
		default:
			return true
		}
	}
	return false
}

func required(s *flows.Step) bool {
	return strings.Contains(","+s.Validate+",", ",required,")
}

// dontKnow takes "I don't know" at an ask step with unknown: or a strict
// check; ok is false for any other answer.
func (t *turn) dontKnow(s *flows.Step, text string) (o outcome, ok bool) {
	if s.Unknown == "" && !strictAsk(s) {
		return outcome{}, false
	}
	if t.e.answers.Read(text) != intent.DontKnow {
		return outcome{}, false
	}
	switch {
	case s.Unknown != "":
		return goTo(s.Unknown), true
	case !required(s):
		t.say(t.e.cfg.Texts.UnknownSkipped, nil)
		return next(), true
	}
	return t.offerPerson(t.e.cfg.Texts.UnknownOffer), true
}

// photosWayOut reads a message without photos at a photos step: the done
// word (in the customer's language too) once enough photos came, "no
// photos" or "later", and the reminders counted towards skip. ok is false
// when the step's own reminder is to follow.
func (t *turn) photosWayOut(s *flows.Step, in *Inbound, got []any, lo int, done string) (o outcome, ok bool) {
	word := normalizeAnswer(answerText(in))
	if (word == strings.ToLower(done) || word == strings.ToLower(t.doneWord(done))) && len(got) >= lo {
		return t.savePhotos(s, got), true
	}
	if t.e.answers.Read(answerText(in)) == intent.NoPhotos {
		if len(got) > 0 && len(got) >= lo {
			return t.savePhotos(s, got), true // "no more"
		}
		return t.skipPhotos(s, got), true
	}
	t.sess.Attempts++
	if t.sess.Attempts >= s.RetryLimit() {
		if len(got) > 0 && len(got) >= lo {
			return t.savePhotos(s, got), true // enough came: go on with them
		}
		return t.skipPhotos(s, got), true
	}
	return outcome{}, false
}

// skipPhotos goes on without (enough) photos: to skip, keeping any that
// came, or to the offer of a person.
func (t *turn) skipPhotos(s *flows.Step, got []any) outcome {
	if s.Skip == "" {
		t.sess.Attempts = 0
		return t.offerPerson(t.e.cfg.Texts.OfferPerson)
	}
	if s.Save != "" {
		if got == nil {
			got = []any{}
		}
		t.setVar(s.Save, got)
	}
	return goTo(s.Skip)
}

// doneWord is the word that ends a photos step as the customer reads it:
// the step's own, or, for the default, the engine's word in the
// customer's language ("listo").
func (t *turn) doneWord(done string) string {
	if strings.EqualFold(done, "done") {
		return t.word(t.e.cfg.Texts.DoneWord)
	}
	return done
}
