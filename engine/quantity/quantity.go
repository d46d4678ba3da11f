// Package quantity reads the quantities customers write: numbers in digits
// or in words (English, Spanish, Portuguese, German, French, Dutch), with
// decimal commas and thousands separators as each language writes them;
// units, converted to the unit asked (sq ft to m²); dimensions (4 m × 10 m);
// ranges (30–40, between 30 and 40), which the caller must ask about; and
// approximations (about 60, ~60, unos 60), which are flagged.
//
// The engine's typed answers, photo captions and the offline extractor all
// read quantities here, so "4x10m" means 40 m² wherever a customer writes
// it. A Reading says how it was read ("4 m × 10 m") so a quote can show it.
//
// The package imports nothing of AllMyLeads, keeps no state and is safe for
// concurrent use. It reads; it never decides what a flow does with a range
// or an unlikely value.
package quantity

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Options say how to read one answer.
type Options struct {
	// Unit is the unit asked: the value is converted to it (40 sq ft is
	// 3.72 m²). None keeps the unit as written.
	Unit Unit
	// Lang is the customer's language (en, es, pt, de, fr or nl): only its
	// number words count, and a lone separator before three digits follows
	// it (1,000 is a thousand in English, 1.000 in German). "" (or a code
	// not listed) reads the words of all six and guesses the separator from
	// the words around the number, else reads it as thousands and flags the
	// Reading Ambiguous.
	Lang string
}

// Reading is one quantity read from a text, and how it was read.
type Reading struct {
	Value float64 // in Unit; for a range, its low end
	High  float64 // for a range, its high end; else Value
	Unit  Unit    // the unit asked, or the unit as written when none was asked
	// Text is how the quantity was read, normalised: "4 m × 10 m",
	// "40 ft²", "30–40 m²", "about 60".
	Text    string
	Written Unit // the unit the text named ("" none); for dimensions, the unit of the sides

	Dims      bool // the product of two sides
	Converted bool // converted from the unit written to Unit by a factor
	Range     bool // two ends (30–40, between 30 and 40): ask which, or apply a rule
	Approx    bool // marked as approximate: about, ~, roughly, unos, ca., ongeveer
	Words     bool // read from number words: forty, cuarenta y cinco, fünfundvierzig
	Ambiguous bool // 1.000 or 1,000 with no language to say whether it is a thousand

	rawLo, rawHi float64 // the numbers as written, for a plain quantity whose unit In reinterprets
}

// Derived reports whether the value differs from what the customer wrote,
// so showing Text beside it helps: a product of dimensions, or a unit
// conversion.
func (r Reading) Derived() bool { return r.Dims || r.Converted }

// Match is a Reading found in a longer text, with its byte offsets.
type Match struct {
	Reading
	Start, End int
}

// Errors of Parse.
var (
	ErrNone    = errors.New("no quantity")                  // nothing in the text reads as a number
	ErrSeveral = errors.New("several different quantities") // "front 20 m² and back 30 m²": ask for one
)

// Parse reads the one quantity an answer gives, in the unit asked. When
// the text holds several, one with a unit (or dimensions) wins over bare
// numbers when a unit is asked, and digits win over number words; if those
// left still differ, it is ErrSeveral. A unit that cannot be converted to
// the one asked is a *UnitError. A Range is returned as read: the caller
// asks which end (or applies its rule).
func Parse(text string, o Options) (Reading, error) {
	ms := Find(text, o.Lang)
	if len(ms) == 0 {
		return Reading{}, ErrNone
	}
	if o.Unit != None {
		ms = preferred(ms, func(m Match) bool { return m.Written != None || m.Dims })
	}
	ms = preferred(ms, func(m Match) bool { return !m.Words || m.Written != None || m.Dims })
	r, err := ms[0].In(o.Unit)
	if err != nil {
		return ms[0].Reading, err
	}
	for _, m := range ms[1:] {
		other, err := m.In(o.Unit)
		if err != nil || other.Value != r.Value || other.High != r.High || other.Range != r.Range {
			return r, ErrSeveral
		}
	}
	return r, nil
}

// preferred keeps the matches that pass keep, when any does.
func preferred(ms []Match, keep func(Match) bool) []Match {
	var out []Match
	for _, m := range ms {
		if keep(m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return ms
	}
	return out
}

// Find reads every quantity in a text, in order, each in the unit written
// (convert with In). lang is as Options.Lang. Numbers that are part of
// words or codes (3rd, SW1A, q1) are skipped; so is what reads like a
// quantity but makes no sense as one (4 x 10 x 3).
func Find(text, lang string) []Match {
	langs, ok := langCodes[lang]
	dec := decComma
	switch {
	case !ok:
		langs, dec = langAll, decAuto
	case langs == langEN:
		dec = decPoint
	}
	p := &parser{toks: tokenize(text), langs: langs, dec: dec}
	if dec == decAuto {
		p.dec = p.hint()
	}
	var out []Match
	for i := 0; i < len(p.toks); {
		q, j, st := p.quantityAt(i)
		switch st {
		case notHere:
			i++
			continue
		case found:
			if r, ok := build(q); ok {
				out = append(out, Match{Reading: r, Start: p.toks[i].start, End: p.toks[j-1].end})
			}
		}
		i = max(j, i+1)
	}
	return out
}

// hint guesses the separator convention from the text's words: words only
// English says mean decimal points, words only the other five say mean
// decimal commas; both or neither leave it open.
func (p *parser) hint() decimalRule {
	en, comma := false, false
	for _, t := range p.toks {
		if t.kind != tWord {
			continue
		}
		l := wordLangs[t.text]
		switch {
		case l == 0:
		case l&^langEN == 0:
			en = true
		case l&langEN == 0:
			comma = true
		}
	}
	switch {
	case en && !comma:
		return decPoint
	case comma && !en:
		return decComma
	}
	return decAuto
}

// In converts a reading to the unit asked. Plain numbers take the unit; a
// length where an area is asked is read as that length squared ("40 m"
// for a floor means 40 m²); dimensions cannot be a length.
func (r Reading) In(want Unit) (Reading, error) {
	if want == None || r.Unit == want {
		return r, nil
	}
	if _, ok := unitTable[want]; !ok {
		return r, &UnitError{Read: r.Unit, Want: want}
	}
	if r.Unit == None {
		if r.Dims && want.IsLength() {
			return r, &UnitError{Want: want, Dims: true}
		}
		r.Unit = want
		return r, nil
	}
	if want.IsArea() && r.Unit.IsLength() && !r.Dims {
		sq := unitTable[r.Unit].square
		if sq == None {
			return r, &UnitError{Read: r.Unit, Want: want}
		}
		r.Unit, r.Text = sq, plainText(r.rawLo, r.rawHi, sq, r.Range, r.Approx)
		if sq == want {
			return r, nil
		}
	}
	if unitTable[r.Unit].dim != unitTable[want].dim {
		return r, &UnitError{Read: r.Unit, Want: want, Dims: r.Dims}
	}
	r.Value, r.High = convert(r.Value, r.Unit, want), convert(r.High, r.Unit, want)
	r.Unit, r.Converted = want, true
	return r, nil
}

// settled is one end of a quantity with its unit worked out.
type settled struct {
	v       float64
	unit    Unit
	written Unit
	text    string
	dims    bool
}

// settle works out a side's value and unit: the product of dimensions,
// with a unit given once applying to both sides (4 x 10 m, 4 x 10 m²).
func settle(s side) (settled, bool) {
	if !s.dims {
		return settled{v: s.a.v, unit: s.a.unit, written: s.a.unit, text: Format(s.a.v, s.a.unit)}, true
	}
	ua, ub, written := s.a.unit, s.b.unit, s.b.unit
	if ua.IsArea() {
		return settled{}, false
	}
	if ub.IsArea() { // 4 x 10 m²: the sides are in metres
		ub = unitTable[ub].side
	}
	if ua == None {
		ua = ub
	}
	if ub == None {
		ub = ua
	}
	if written == None {
		written = ua
	}
	out := settled{written: written, dims: true, text: Format(s.a.v, ua) + " × " + Format(s.b.v, ub)}
	switch sq := unitTable[ua].square; {
	case ua == None:
		out.v = s.a.v * s.b.v
	case sq != None:
		out.v, out.unit = s.a.v*s.b.v*unitTable[ub].si/unitTable[ua].si, sq
	default: // millimetres: in square metres
		out.v, out.unit = s.a.v*unitTable[ua].si*s.b.v*unitTable[ub].si, SquareMetre
	}
	out.v = tidy(out.v)
	return out, true
}

// build turns what the grammar read into a Reading in the units written.
func build(q rawQuantity) (Reading, bool) {
	lo, ok := settle(q.lo)
	if !ok {
		return Reading{}, false
	}
	r := Reading{
		Value: lo.v, High: lo.v, Unit: lo.unit, Written: lo.written, Dims: lo.dims, Approx: q.approx,
		Words: q.lo.a.words || q.lo.b.words, Ambiguous: q.lo.a.ambig || q.lo.b.ambig,
		rawLo: q.lo.a.v, rawHi: q.lo.a.v,
	}
	if !q.isRange {
		r.Text = about(lo.text, q.approx)
		return r, true
	}
	hi, ok := settle(q.hi)
	if !ok {
		return Reading{}, false
	}
	if lo.unit == None && !lo.dims { // 30-40 m²
		lo.unit, lo.written = hi.unit, hi.written
	}
	if hi.unit == None && !hi.dims { // 30 m² - 40
		hi.unit = lo.unit
	}
	if lo.unit != hi.unit {
		if unitTable[lo.unit].dim != unitTable[hi.unit].dim || lo.unit == None || hi.unit == None {
			return Reading{}, false
		}
		lo.v = convert(lo.v, lo.unit, hi.unit)
		lo.unit = hi.unit
	}
	r.Range, r.Unit, r.Written = true, hi.unit, lo.written
	r.Value, r.High = min(lo.v, hi.v), max(lo.v, hi.v)
	r.Dims = lo.dims || hi.dims
	r.Words = r.Words || q.hi.a.words || q.hi.b.words
	r.Ambiguous = r.Ambiguous || q.hi.a.ambig || q.hi.b.ambig
	if r.Dims {
		if lo.v > hi.v {
			lo, hi = hi, lo
		}
		r.Text = about(lo.text+" – "+hi.text, q.approx)
		return r, true
	}
	r.rawLo, r.rawHi = q.lo.a.v, q.hi.a.v
	if q.lo.a.unit != None && q.lo.a.unit != hi.unit { // 300 cm – 4 m
		r.rawLo = lo.v
	}
	r.Text = plainText(r.rawLo, r.rawHi, r.Unit, true, q.approx)
	return r, true
}

// plainText renders a quantity without dimensions.
func plainText(lo, hi float64, u Unit, isRange, approx bool) string {
	if !isRange {
		return about(Format(lo, u), approx)
	}
	return about(Format(min(lo, hi), None)+"–"+Format(max(lo, hi), u), approx)
}

func about(text string, approx bool) string {
	if approx {
		return "about " + text
	}
	return text
}

// Format writes a quantity the way the bot shows it: thousands grouped
// with commas, no trailing zeros, and the unit's symbol: "1,000 m²".
func Format(v float64, u Unit) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if math.Abs(v) >= 1000 {
		whole, frac, _ := strings.Cut(s, ".")
		sign := ""
		if whole[0] == '-' {
			sign, whole = "-", whole[1:]
		}
		var b strings.Builder
		b.WriteString(sign)
		for i, c := range whole {
			if i > 0 && (len(whole)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		if frac != "" {
			b.WriteString("." + frac)
		}
		s = b.String()
	}
	if u == None {
		return s
	}
	return s + " " + string(u)
}
