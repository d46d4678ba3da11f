package engine

import (
	"fmt"
	"strings"

	"github.com/allmyleads/allmyleads/engine/intent"
	"github.com/allmyleads/allmyleads/engine/quantity"
	"github.com/allmyleads/allmyleads/flows"
)

// Answers already given are used: an ask step with `prefill:` puts a value
// already known at one of those variables (a size the extractor read in
// the description, a returning customer's email) to the customer in one
// short question, the step's `confirm:` ("About 60 m², right?"), with Yes
// and No buttons. Yes saves it and goes on; no asks the step's question;
// anything else is read as the answer to the question itself. A value the
// step would not accept (not a number, not an email...) is not offered.
//
//   - id: ask_area
//     ask: Roughly how many square metres is the area?
//     save: project.estimate.area_m2
//     validate: required,numeric,gt=0
//     prefill: project.noted.area_m2
//     confirm: You mentioned about *{{ value }}*. Is that the size of the area?

// prefillMinConfidence is the confidence under which a value read from
// photos or text is not offered: a bare number ("two coats of paint") is
// read with less than one with a unit ("60 m2").
const prefillMinConfidence = 0.5

// Scratch keys of a prefill: the value offered, and that the offer was
// answered (it is not made again at this visit of the step).
const (
	scratchPrefill     = "prefill"
	scratchPrefillDone = "prefill_done"
)

// enterPrefill offers a known value instead of the question; it reports
// whether it did.
func (t *turn) enterPrefill(s *flows.Step) bool {
	if len(s.Prefill) == 0 || t.sess.Scratch[scratchPrefillDone] != nil {
		return false
	}
	v, shown, ok := t.prefillValue(s)
	if !ok {
		return false
	}
	t.scratch(scratchPrefill, v)
	tpl := s.Confirm
	if tpl == nil {
		tpl = t.e.text(t.e.cfg.Texts.PrefillConfirm)
	}
	t.send(Outbound{Kind: OutButtons, Text: t.render(tpl, map[string]any{"value": shown}), Options: t.yesNo()})
	return true
}

// prefillValue is the first known value of the step's prefill variables
// that the step accepts, and how the customer reads it.
func (t *turn) prefillValue(s *flows.Step) (v any, shown string, ok bool) {
	for _, p := range s.Prefill {
		known, found := lookupPath(t.sess.Vars, p)
		if !found || known == nil || known == "" {
			continue
		}
		if ev, ok := t.sess.Evidence[p]; ok && ev.Confidence > 0 && ev.Confidence < prefillMinConfidence && !ev.Confirmed {
			continue
		}
		if s.Numeric() {
			f, isNum := toFloat(known)
			if !isNum {
				str, _ := known.(string)
				r, err := quantity.Parse(str, quantity.Options{Unit: askUnit(s)})
				if err != nil || r.Range {
					continue
				}
				f = r.Value
			}
			if t.e.valid.check(s.Validate, f) != nil {
				continue
			}
			return f, t.quantityText(f, askUnit(s)), true
		}
		str, isText := known.(string)
		if !isText {
			str = fmt.Sprint(known)
		}
		val, err := t.e.askValue(s, str, t.sess.Contact)
		if err != nil {
			continue
		}
		return val, fmt.Sprint(val), true
	}
	return nil, "", false
}

// quantityText writes a number and its unit the customer's way: "60 m²",
// "12,5 m²".
func (t *turn) quantityText(v float64, u quantity.Unit) string {
	unit := strings.TrimPrefix(quantity.Format(1, u), "1")
	return t.number(v) + unit
}

// answerPrefill takes the answer to a prefill offer; ok is false when the
// message is to be read as the answer to the question itself.
func (t *turn) answerPrefill(s *flows.Step, in *Inbound) (o outcome, ok bool) {
	v, pending := t.sess.Scratch[scratchPrefill]
	if !pending {
		return outcome{}, false
	}
	delete(t.sess.Scratch, scratchPrefill)
	t.scratch(scratchPrefillDone, true)
	if t.e.answers.Read(answerText(in)) == intent.DontKnow {
		return outcome{}, false // "no idea" is not a no: the question reads it
	}
	yes, isYesNo := t.e.yesOrNo(in)
	if !isYesNo {
		return outcome{}, false
	}
	if !yes {
		t.sayText(s.Text, nil)
		return wait(), true
	}
	if s.Save != "" {
		if f, isNum := v.(float64); isNum && s.Numeric() {
			t.saveQuantity(s, f, "")
		} else {
			t.setVar(s.Save, v)
		}
		t.notePrefillEvidence(s, v)
	}
	return next(), true
}

// notePrefillEvidence says where a confirmed prefilled value came from:
// the reading it was prefilled from, now confirmed, or the customer.
func (t *turn) notePrefillEvidence(s *flows.Step, v any) {
	for _, p := range s.Prefill {
		if ev, ok := t.sess.Evidence[p]; ok {
			ev.Confirmed, ev.Value = true, v
			t.noteEvidence(s.Save, ev)
			return
		}
	}
	t.noteEvidence(s.Save, Evidence{Source: "answer", Value: v, Confirmed: true})
}
