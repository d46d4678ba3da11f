package engine

import (
	"errors"
	"math"
	"slices"
	"strings"

	"github.com/allmyleads/allmyleads/engine/quantity"
	"github.com/allmyleads/allmyleads/flows"
)

// How the engine reads quantities: a numeric ask step's answer goes through
// package quantity (the same reader the offline extractor uses on
// captions), converted to the step's unit. A range is put back to the
// customer (or settled by the step's range rule); a value outside
// confirm_below/confirm_above is confirmed once. When the value is not what
// the customer wrote (dimensions, another unit, a range settled by rule),
// how it was read is saved beside it at SAVE_read, and the quote shows it.

// readSuffix ends the variable that says how a saved quantity was read.
const readSuffix = flows.ReadSuffix

// Scratch keys of a numeric ask step waiting for the customer.
const (
	scratchCheck = "check" // {value, read, unit}: an unlikely value to confirm
	scratchRange = "range" // {low, high, unit}: a range to pick a number from
)

// askUnit is the unit a numeric ask step asks in (quantity.None without one).
func askUnit(s *flows.Step) quantity.Unit {
	u, _ := quantity.ParseUnit(s.Unit)
	return u
}

// answerQuantity reads a numeric ask step's answer as a quantity, in the
// step's unit, and saves it, asks which number a range means, or checks a
// value outside the step's plausible range.
func (t *turn) answerQuantity(s *flows.Step, text string) outcome {
	r, err := quantity.Parse(text, quantity.Options{Unit: askUnit(s)})
	if err != nil {
		if errors.Is(err, quantity.ErrNone) {
			// Not a number at all: the validate tags say what was wanted.
			if verr := t.e.valid.check(s.Validate, text); verr != nil {
				err = verr
			}
		}
		return t.askFailed(s, err, nil)
	}
	read := ""
	if r.Derived() {
		read = r.Text
	}
	if r.Range {
		switch s.Range {
		case "", "ask":
			t.scratch(scratchRange, map[string]any{"low": r.Value, "high": r.High, "unit": string(r.Unit)})
			return t.askFailed(s, nil, func() { t.askRange() })
		case "low":
		case "high":
			r.Value = r.High
		case "middle":
			r.Value = math.Round((r.Value+r.High)/2*100) / 100
		}
		read = r.Text
	}
	if err := t.e.valid.check(s.Validate, r.Value); err != nil {
		return t.askFailed(s, err, nil)
	}
	if unlikely(s, r) {
		t.scratch(scratchCheck, map[string]any{"value": r.Value, "read": read, "unit": string(r.Unit)})
		t.askCheck()
		return wait()
	}
	t.saveQuantity(s, r.Value, read)
	return next()
}

// unlikely reports whether a value needs the customer's confirmation: it
// is outside the step's confirm_below/confirm_above, or its separator
// could mean a thousand or a decimal point (1.000) and the step checks.
func unlikely(s *flows.Step, r quantity.Reading) bool {
	above, below := s.ConfirmAbove > 0, s.ConfirmBelow > 0
	return (above && r.Value > s.ConfirmAbove) || (below && r.Value < s.ConfirmBelow) || (r.Ambiguous && (above || below))
}

// answerPendingQuantity answers a check or a range question the step
// asked: yes keeps the value checked, no asks the step's question again;
// anything else is a new answer (the same value again also confirms it).
// done is false when the message is to be read as a new answer.
func (t *turn) answerPendingQuantity(s *flows.Step, in *Inbound) (o outcome, done bool) {
	delete(t.sess.Scratch, scratchRange) // a range question is answered like the question itself
	chk, ok := t.sess.Scratch[scratchCheck].(map[string]any)
	if !ok {
		return outcome{}, false
	}
	delete(t.sess.Scratch, scratchCheck)
	v, _ := chk["value"].(float64)
	read, _ := chk["read"].(string)
	if yes, isYesNo := parseYesNo(in, t.e.cfg.Texts); isYesNo {
		if yes {
			t.saveQuantity(s, v, read)
			return next(), true
		}
		t.sayText(s.Text, nil)
		return wait(), true
	}
	if r, err := quantity.Parse(answerText(in), quantity.Options{Unit: askUnit(s)}); err == nil && !r.Range && r.Value == v {
		t.saveQuantity(s, v, read)
		return next(), true
	}
	return outcome{}, false
}

// againQuantity repeats a pending check or range question; ok is false
// when none is pending.
func (t *turn) againQuantity() bool {
	switch {
	case t.sess.Scratch[scratchCheck] != nil:
		t.askCheck()
	case t.sess.Scratch[scratchRange] != nil:
		t.askRange()
	default:
		return false
	}
	return true
}

// askCheck puts the value waiting in the scratch to the customer.
func (t *turn) askCheck() {
	chk, _ := t.sess.Scratch[scratchCheck].(map[string]any)
	v, _ := chk["value"].(float64)
	unit, _ := chk["unit"].(string)
	value := quantity.Format(v, quantity.Unit(unit))
	if read, _ := chk["read"].(string); read != "" {
		value += " (" + read + ")"
	}
	t.say(t.e.cfg.Texts.QuantityCheck, map[string]any{"value": value})
}

// askRange asks which end of the range waiting in the scratch to use.
func (t *turn) askRange() {
	rng, _ := t.sess.Scratch[scratchRange].(map[string]any)
	lo, _ := rng["low"].(float64)
	hi, _ := rng["high"].(float64)
	unit, _ := rng["unit"].(string)
	t.say(t.e.cfg.Texts.QuantityRange, map[string]any{
		"low": quantity.Format(lo, quantity.Unit(unit)), "high": quantity.Format(hi, quantity.Unit(unit)),
	})
}

// saveQuantity saves a value at the step's save path, and how it was read
// beside it (or removes an old reading).
func (t *turn) saveQuantity(s *flows.Step, v float64, read string) {
	if s.Save == "" {
		return
	}
	t.setVar(s.Save, v)
	t.setReading(s.Save, read)
}

// setReading saves how the value at path was read, at path_read; an empty
// read removes what an earlier answer left there.
func (t *turn) setReading(path, read string) {
	if read != "" {
		t.setVar(path+readSuffix, read)
		return
	}
	parent, key := "", path+readSuffix
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		parent, key = key[:i], key[i+1:]
	}
	m := t.sess.Vars
	if parent != "" {
		p, _ := lookupPath(t.sess.Vars, parent)
		m, _ = p.(map[string]any)
	}
	if _, ok := m[key]; !ok {
		return
	}
	delete(m, key)
	if parent != "" {
		t.setVar(parent, m) // the same map: marks the records it feeds
	}
}

// readings lists how the conversation's quantities were read: the text of
// every PATH_read saved beside a number at PATH, sorted.
func readings(vars map[string]any) []string {
	var out []string
	var walk func(m map[string]any)
	walk = func(m map[string]any) {
		for k, v := range m {
			switch x := v.(type) {
			case map[string]any:
				walk(x)
			case string:
				if base, ok := strings.CutSuffix(k, readSuffix); ok && x != "" {
					if _, isNum := toFloat(m[base]); isNum {
						out = append(out, x)
					}
				}
			}
		}
	}
	walk(vars)
	slices.Sort(out)
	return out
}

// readingFor finds how a quote line's quantity was read: a reading that,
// in the line's unit, is the line's quantity (within the 0.05 a price
// rounds a quantity to), or a range that holds it.
func readingFor(it QuoteItem, reads []string) string {
	u, ok := quantity.ParseUnit(it.Unit)
	if !ok {
		return ""
	}
	for _, text := range reads {
		r, err := quantity.Parse(text, quantity.Options{Unit: u, Lang: "en"})
		if err == nil && it.Quantity >= r.Value-0.05 && it.Quantity <= r.High+0.05 {
			return text
		}
	}
	return ""
}

// parseFieldNumber reads a number typed for an extracted field the
// customer corrected, in the unit its name or description names (area_m2,
// "in square metres"). A range is no answer: the field asks again.
func parseFieldNumber(f flows.Field, text string) (v float64, read string, ok bool) {
	r, err := quantity.Parse(text, quantity.Options{Unit: fieldUnit(f)})
	if err != nil || r.Range {
		return 0, "", false
	}
	if r.Derived() {
		read = r.Text
	}
	return r.Value, read, true
}

// fieldUnit is the unit an extract field's name or description names.
func fieldUnit(f flows.Field) quantity.Unit {
	for _, src := range []string{strings.ReplaceAll(f.Name, "_", " "), f.Description} {
		words := strings.FieldsFunc(strings.ToLower(src), func(r rune) bool { return r == ' ' || r == ',' || r == '(' || r == ')' })
		for i := range words {
			for n := min(3, len(words)-i); n >= 1; n-- {
				if u, ok := quantity.ParseUnit(strings.Join(words[i:i+n], " ")); ok && (n > 1 || len(words[i]) > 1) {
					return u
				}
			}
		}
	}
	return quantity.None
}
