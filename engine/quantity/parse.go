package quantity

import (
	"math"
	"strconv"
	"strings"
)

// maxValue bounds a number: anything larger is not a quantity a customer
// means (a phone number, an order id).
const maxValue = 1e12

// decimalRule is how a single separator before three digits reads.
type decimalRule uint8

const (
	decAuto  decimalRule = iota // thousands, flagged ambiguous
	decPoint                    // English: 1,000 is a thousand, 1.000 is one
	decComma                    // elsewhere: 1.000 is a thousand, 1,000 is one
)

// parser reads quantities from a text's tokens.
type parser struct {
	toks  []token
	langs langSet
	dec   decimalRule
}

// measure is one number and the unit written after it.
type measure struct {
	v      float64
	unit   Unit
	words  bool // read from number words
	ambig  bool // a separator that could be a decimal point or thousands
	approx bool // une quarantaine
	weak   bool // only an article (a, un, ein): a number only before a unit
}

// side is a measure, or two measures multiplied (4 m × 10 m).
type side struct {
	a, b measure
	dims bool
}

// rawQuantity is what the grammar read, before units are settled.
type rawQuantity struct {
	lo, hi  side
	isRange bool
	approx  bool
}

// outcome of reading at a token.
type status uint8

const (
	notHere status = iota // nothing starts here
	found
	invalid // something quantity-like that makes no sense (4x10x3): skip it whole
)

func (p *parser) word(i int) string {
	if i < len(p.toks) && p.toks[i].kind == tWord {
		return p.toks[i].text
	}
	return ""
}

func (p *parser) sym(i int, syms ...string) bool {
	if i >= len(p.toks) || p.toks[i].kind != tSym {
		return false
	}
	for _, s := range syms {
		if p.toks[i].text == s {
			return true
		}
	}
	return false
}

// phraseAt matches the longest phrase of kind k at token i; dots between
// and right after its words (sq. ft., ca.) belong to it.
func (p *parser) phraseAt(i int, k phraseKind) (phrase, int, bool) {
	for _, ph := range phrases[p.word(i)] {
		if ph.kind != k || ph.langs&p.langs == 0 || (ph.strict && p.langs != ph.langs) {
			continue
		}
		if j, ok := p.matchWords(i, ph.words); ok {
			return ph, j, true
		}
	}
	return phrase{}, i, false
}

func (p *parser) matchWords(i int, words []string) (int, bool) {
	j := i
	for n, w := range words {
		if n > 0 && p.sym(j, ".") && !p.toks[j].space {
			j++
		}
		if p.word(j) != w {
			return i, false
		}
		j++
	}
	return j, true
}

// unitAt reads a unit at token i: a unit phrase, or the ' of feet glued to
// a number (10').
func (p *parser) unitAt(i int) (Unit, int, bool) {
	if i < len(p.toks) && i > 0 && !p.toks[i].space && p.toks[i-1].kind == tNum && p.sym(i, "'", "’", "′") {
		return Foot, i + 1, true
	}
	ph, j, ok := p.phraseAt(i, pUnit)
	if !ok {
		return None, i, false
	}
	// The last dot of an abbreviation of words (sq. m.) belongs to it when
	// a bracket or a sign follows; before a word it may end a sentence.
	if len(ph.words) > 1 && p.sym(j, ".") && !p.toks[j].space && j+1 < len(p.toks) && p.toks[j+1].space && p.toks[j+1].kind == tSym {
		j++
	}
	return ph.unit, j, true
}

// numberAt reads a number at token i: digits, or number words.
func (p *parser) numberAt(i int) (measure, int, status) {
	if i >= len(p.toks) {
		return measure{}, i, notHere
	}
	t := p.toks[i]
	switch t.kind {
	case tNum:
		if i > 0 && !t.space && p.toks[i-1].kind == tWord && p.toks[i-1].text != "x" {
			return measure{}, i + 1, invalid // q1, SW1A
		}
		if i+1 < len(p.toks) && !p.toks[i+1].space && p.toks[i+1].kind == tWord && !p.gluedOK(i+1) {
			return measure{}, i + 2, invalid // 3rd, 12a
		}
		if i+1 < len(p.toks) && !p.toks[i+1].space && p.toks[i+1].kind == tNum {
			return measure{}, i + 2, invalid
		}
		v, ambig, ok := p.digits(t.text)
		if !ok {
			return measure{}, i + 1, invalid
		}
		m := measure{v: v, ambig: ambig}
		j := i + 1
		if e, ok := p.numWord(p.word(j)); ok && e.kind == wMul && e.v == 1000 && p.toks[j].space {
			m.v *= 1000 // 2 mil, 3 thousand
			j++
		}
		return m, p.half(j, &m), found
	case tWord:
		return p.wordsAt(i)
	}
	return measure{}, i, notHere
}

// gluedOK reports whether the word at i may be glued to the number before
// it: a unit, x of 4x10, ish, or a currency or unit we do not convert.
func (p *parser) gluedOK(i int) bool {
	if _, _, ok := p.unitAt(i); ok {
		return true
	}
	if _, _, ok := p.phraseAt(i, pAboutAfter); ok {
		return true
	}
	return gluedOK[p.toks[i].text]
}

// digits reads a number token's value. Thousands are grouped with dots,
// commas, apostrophes or spaces in groups of three; one separator before
// exactly three digits follows the language, or, without one, reads as
// thousands and is flagged ambiguous.
func (p *parser) digits(raw string) (float64, bool, bool) {
	s := raw
	if strings.ContainsAny(s, "'’\u00a0\u202f\u2009 ") {
		s = strings.NewReplacer("'", "", "’", "", "\u00a0", "", "\u202f", "", "\u2009", "", " ", "").Replace(s)
	}
	ambig := false
	dots, commas := strings.Count(s, "."), strings.Count(s, ",")
	switch {
	case dots > 0 && commas > 0:
		last := max(strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ','))
		dec, grp := s[last], byte(',')
		if dec == ',' {
			grp = '.'
		}
		if strings.Count(s, string(dec)) > 1 || !groupsOfThree(s[:last], grp) {
			return 0, false, false
		}
		s = strings.ReplaceAll(s[:last], string(grp), "") + "." + s[last+1:]
	case dots+commas > 1:
		sep := byte('.')
		if commas > 0 {
			sep = ','
		}
		if !groupsOfThree(s, sep) {
			return 0, false, false
		}
		s = strings.ReplaceAll(s, string(sep), "")
	case dots+commas == 1:
		k := strings.IndexAny(s, ".,")
		whole, frac := s[:k], s[k+1:]
		thousands := false
		if len(frac) == 3 && len(whole) >= 1 && len(whole) <= 3 && whole[0] != '0' {
			switch p.dec {
			case decPoint:
				thousands = s[k] == ','
			case decComma:
				thousands = s[k] == '.'
			default:
				thousands, ambig = true, true
			}
		}
		if thousands {
			s = whole + frac
		} else {
			s = whole + "." + frac
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || v > maxValue {
		return 0, false, false
	}
	return v, ambig, true
}

// groupsOfThree reports whether s is 1 to 3 digits, then groups of three,
// separated by sep.
func groupsOfThree(s string, sep byte) bool {
	parts := strings.Split(s, string(sep))
	for i, part := range parts {
		if (i == 0 && (len(part) < 1 || len(part) > 3)) || (i > 0 && len(part) != 3) {
			return false
		}
	}
	return len(parts) > 1
}

// numWord looks a folded word up among the number words of the parser's
// languages, then as a German or Dutch compound (fünfundvierzig,
// tweehonderdvijftig).
func (p *parser) numWord(w string) (numEntry, bool) {
	if w == "" {
		return numEntry{}, false
	}
	if e, ok := numWords[w]; ok && e.langs&p.langs != 0 {
		return e, true
	}
	if p.langs&(langDE|langNL) == 0 || len(w) < 6 {
		return numEntry{}, false
	}
	if v, ok := p.compound(w, 0); ok {
		return numEntry{kind: wNum, v: v, langs: p.langs & (langDE | langNL)}, true
	}
	return numEntry{}, false
}

// plain is the value of a single number word (articles count as one).
func (p *parser) plain(w string) (float64, bool) {
	e, ok := numWords[w]
	if !ok || e.langs&p.langs&(langDE|langNL) == 0 || (e.kind != wNum && e.kind != wWeak) {
		return 0, false
	}
	return e.v, true
}

// compound reads a German or Dutch number written as one word.
func (p *parser) compound(w string, depth int) (float64, bool) {
	if v, ok := p.plain(w); ok {
		return v, true
	}
	if depth > 4 || w == "" {
		return 0, false
	}
	for _, h := range compoundHalves {
		if h.langs&p.langs != 0 && len(w) > len(h.word) && strings.HasSuffix(w, h.word) {
			v, ok := p.compound(w[:len(w)-len(h.word)], depth+1)
			return v + 0.5, ok && v >= 1 && v < 1000
		}
	}
	for _, m := range compoundMuls {
		k := strings.Index(w, m.word)
		if m.langs&p.langs == 0 || k < 0 {
			continue
		}
		left, right := w[:k], w[k+len(m.word):]
		lv, rv := 1.0, 0.0
		if left != "" {
			var ok bool
			if lv, ok = p.compound(left, depth+1); !ok || lv < 1 || lv >= min(m.v, 100) {
				return 0, false
			}
		}
		if right != "" {
			for _, j := range compoundJoins {
				if j.langs&p.langs != 0 && strings.HasPrefix(right, j.word) && len(right) > len(j.word) {
					if _, ok := p.compound(right[len(j.word):], depth+1); ok {
						right = right[len(j.word):]
						break
					}
				}
			}
			var ok bool
			if rv, ok = p.compound(right, depth+1); !ok || rv >= m.v {
				return 0, false
			}
		}
		return lv*m.v + rv, true
	}
	for _, t := range compoundTens {
		if t.langs&p.langs == 0 || len(w) <= len(t.word) || !strings.HasSuffix(w, t.word) {
			continue
		}
		pre := w[:len(w)-len(t.word)]
		for _, j := range compoundJoins {
			if j.langs&t.langs == 0 || !strings.HasSuffix(pre, j.word) {
				continue
			}
			if u, ok := p.plain(pre[:len(pre)-len(j.word)]); ok && u >= 1 && u <= 9 && u == math.Trunc(u) {
				return u + t.v, true
			}
		}
	}
	return 0, false
}

// wordsAt reads number words: forty-five, cuarenta y cinco, two hundred
// and twenty, quatre-vingt-dix, une quarantaine.
func (p *parser) wordsAt(i int) (measure, int, status) {
	var total, cur float64
	n, end := 0, i
	weak, approx, joined := false, false, false
loop:
	for j := i; j < len(p.toks); j++ {
		t := p.toks[j]
		if t.kind == tSym && t.text == "-" && n > 0 && !t.space {
			continue // forty-five: the next word decides
		}
		e, ok := p.numWord(p.word(j))
		if !ok {
			break
		}
		switch e.kind {
		case wJoin:
			if n == 0 {
				return measure{}, i, notHere
			}
			joined = true
			continue
		case wHalf:
			break loop // "and a half" is read below
		case wNum:
			if weak || !p.canAdd(cur, e.v) {
				break loop
			}
			cur += e.v
		case wVingt:
			switch {
			case !weak && math.Mod(cur, 100) == 4:
				cur += 76 // quatre-vingt(s)
			case !weak && p.canAdd(cur, 20):
				cur += 20
			default:
				break loop
			}
		case wWeak:
			switch {
			case n == 0:
				cur, weak = 1, true
			case joined && !weak && p.canAdd(cur, 1):
				cur++ // vingt et un, trinta e um
			default:
				break loop
			}
		case wMul:
			switch {
			case e.v == 1000 && total > 0, e.v == 100 && cur >= 100:
				break loop
			case e.v == 1000:
				total, cur = max(cur, 1)*1000, 0
			default:
				cur = max(cur, 1) * 100
			}
			weak = false
		case wAbout:
			if n > 1 || (n == 1 && !weak) {
				break loop
			}
			cur, weak, approx = e.v, false, true
		}
		n++
		end = j + 1
		joined = false
	}
	if n == 0 {
		return measure{}, i, notHere
	}
	m := measure{v: total + cur, words: true, weak: weak, approx: approx}
	return m, p.half(end, &m), found
}

// canAdd reports whether a number word of value v may follow cur within
// one group of thousands: forty five, not five forty; soixante-dix in French.
func (p *parser) canAdd(cur, v float64) bool {
	c := math.Mod(cur, 1000)
	switch {
	case c == 0:
		return true
	case v >= 100 || math.Mod(c, 10) != 0:
		return false
	case math.Mod(c, 100) != 0:
		if p.langs&langFR != 0 && (math.Mod(c, 100) == 60 || math.Mod(c, 100) == 80) {
			return v < 20
		}
		return v < 10
	}
	return v < 100
}

// half reads "and a half" after a number: two and a half, dos y medio,
// deux et demi, twee en een half.
func (p *parser) half(j int, m *measure) int {
	k := j
	if e, ok := p.numWord(p.word(k)); ok && e.kind == wJoin {
		k++
	}
	if w := p.word(k); w == "a" || w == "een" {
		k++
	}
	if e, ok := p.numWord(p.word(k)); ok && e.kind == wHalf && k > j {
		m.v += 0.5
		return k + 1
	}
	return j
}

// measureAt reads a number and the unit after it.
func (p *parser) measureAt(i int) (measure, int, status) {
	m, j, st := p.numberAt(i)
	if st != found {
		return m, j, st
	}
	if u, k, ok := p.unitAt(j); ok {
		m.unit, j = u, k
	} else if volumes[p.word(j)] {
		return measure{}, j + 1, invalid // 40 m³ is no area or length
	} else if m.weak {
		return measure{}, i, notHere // "a", "un" alone are articles
	}
	return m, j, found
}

// byAt reads the operator of a dimension: x, ×, *, by, por, mal, bij.
func (p *parser) byAt(i int) (int, bool) {
	if p.word(i) == "x" || p.sym(i, "×", "*", "✕", "✖", "⨯") {
		return i + 1, true
	}
	if _, j, ok := p.phraseAt(i, pBy); ok {
		return j, true
	}
	return i, false
}

// sideAt reads a measure, or two multiplied: 4 m × 10 m.
func (p *parser) sideAt(i int) (side, int, status) {
	a, j, st := p.measureAt(i)
	if st != found {
		return side{}, j, st
	}
	k, ok := p.byAt(j)
	if !ok {
		return side{a: a}, j, found
	}
	b, l, st := p.measureAt(k)
	if st != found {
		return side{a: a}, j, found
	}
	if m, ok := p.byAt(l); ok {
		if _, n, st := p.numberAt(m); st == found {
			return side{}, n, invalid // 4 x 10 x 3 is a volume
		}
	}
	return side{a: a, b: b, dims: true}, l, found
}

// rangeToAt reads what joins the two ends of a range written between
// them: 30-40, 30 to 40, 30 or 40, 30 a 40.
func (p *parser) rangeToAt(i int) (int, bool) {
	if p.sym(i, "-", "–", "—", "‒", "~") {
		return i + 1, true
	}
	for _, k := range []phraseKind{pTo, pOr, pToLoose} {
		if _, j, ok := p.phraseAt(i, k); ok {
			return j, true
		}
	}
	return i, false
}

// aboutAt reads an approximation before a number: about, ~, ca., unos.
func (p *parser) aboutAt(i int) (int, bool) {
	switch {
	case p.sym(i, "~", "≈", "±", "∼"):
		return i + 1, true
	case p.sym(i, "+") && p.sym(i+1, "/") && p.sym(i+2, "-"):
		return i + 3, true
	case p.sym(i, "+") && p.sym(i+1, "-"):
		return i + 2, true
	}
	if _, j, ok := p.phraseAt(i, pAbout); ok {
		if p.sym(j, ".") {
			j++ // ca. 60, approx. 60
		}
		return j, true
	}
	return i, false
}

// aboutAfterAt reads an approximation after a number: or so, ish, más o menos.
func (p *parser) aboutAfterAt(i int) (int, bool) {
	j := i
	if p.sym(j, "-") && !p.toks[j].space && p.word(j+1) == "ish" {
		j++
	}
	if _, k, ok := p.phraseAt(j, pAboutAfter); ok {
		return k, true
	}
	if p.sym(i, "~") { // 60~
		return i + 1, true
	}
	return i, false
}

// quantityAt reads one quantity at token i: approximations, a sign, a
// range or a side, and an approximation after it.
func (p *parser) quantityAt(i int) (rawQuantity, int, status) {
	var q rawQuantity
	j := i
	for range 2 {
		if k, ok := p.aboutAt(j); ok {
			q.approx, j = true, k
		}
	}
	if k, ok := p.rangeAround(j, &q); ok {
		j = k
	} else {
		neg := false
		if p.sym(j, "-", "−", "–") && j+1 < len(p.toks) && p.toks[j+1].kind == tNum && (j == 0 || p.toks[j-1].kind == tWord || p.toks[j].space) {
			neg, j = true, j+1
		}
		lo, k, st := p.sideAt(j)
		if st != found {
			if q.approx && st == notHere {
				return q, i, notHere
			}
			return q, max(k, i+1), st
		}
		if neg {
			lo.a.v = -lo.a.v
		}
		q.lo, q.hi, j = lo, lo, k
		if m, ok := p.rangeToAt(j); ok && !neg {
			hi, n, st := p.sideAt(m)
			if st == found && p.rangeFits(lo, hi, p.toks[j]) {
				q.hi, q.isRange, j = hi, true, n
			}
		}
	}
	if k, ok := p.aboutAfterAt(j); ok {
		q.approx, j = true, k
	}
	if q.lo.a.approx {
		q.approx = true
	}
	return q, j, found
}

// rangeAround reads a range that opens with a word: between 30 and 40,
// entre 30 y 40, from 30 to 40, van 30 tot 40.
func (p *parser) rangeAround(i int, q *rawQuantity) (int, bool) {
	for _, open := range []struct{ start, join phraseKind }{{pBetween, pAnd}, {pFrom, pTo}, {pFrom, pToLoose}} {
		_, j, ok := p.phraseAt(i, open.start)
		if !ok {
			continue
		}
		lo, k, st := p.sideAt(j)
		if st != found {
			continue
		}
		_, l, ok := p.phraseAt(k, open.join)
		if !ok {
			continue
		}
		hi, n, st := p.sideAt(l)
		if st != found || sideValue(lo) == sideValue(hi) {
			continue
		}
		q.lo, q.hi, q.isRange = lo, hi, true
		return n, true
	}
	return i, false
}

// rangeFits reports whether two sides make a range: with a dash, the
// second must be larger (so 2026-01 is no range); with words, different.
func (p *parser) rangeFits(lo, hi side, joint token) bool {
	a, b := sideValue(lo), sideValue(hi)
	if joint.kind == tSym {
		return a < b
	}
	return a != b
}

func sideValue(s side) float64 {
	if s.dims {
		return s.a.v * s.b.v
	}
	return s.a.v
}
