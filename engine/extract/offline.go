package extract

import (
	"context"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/quantity"
)

// OfflineModel is the model name the offline extractor records; bump it when
// its rules change so AI records tell the versions apart.
const OfflineModel = "offline-rules-2" // 2: quantities read with engine/quantity

// Confidences of the offline extractor. It reads patterns, not meaning, so it
// never claims more than 0.5: a flow's confirm_below puts its values to the
// customer.
const (
	confSure    = 0.5      // an unmistakable pattern: "40 m2", an email, "2026-03-01"
	confLikely  = 0.4      // a number beside the field's word, a national phone number
	confGuess   = 0.3      // the only number in the text, an ambiguous date
	maxTextScan = 16 << 10 // bytes read of each text; a chat message is far shorter
)

// Offline reads fields from text and image captions with plain rules:
// numbers and areas (read by package quantity, as typed answers are: "40
// m2", "12x8 m", "40 sq ft", "forty"), emails, phone numbers, postal codes,
// yes/no, dates and enum values named in the text. It needs no network and
// is safe for concurrent use.
type Offline struct{}

var _ core.Extractor = (*Offline)(nil)

// NewOffline returns the offline extractor.
func NewOffline() *Offline { return &Offline{} }

// Extract reads the request's texts and image captions. Fields it cannot
// find are left out of the result; the engine decides what a missing
// required field means.
func (o *Offline) Extract(ctx context.Context, req core.ExtractRequest) (*core.ExtractResult, error) {
	res := &core.ExtractResult{
		Extractor:     NameOffline,
		Model:         OfflineModel,
		PromptVersion: PromptVersion(req.Instructions, req.Fields),
	}
	kinds, err := checkFields(req.Fields)
	if err != nil {
		return res, &core.ExtractError{Outcome: core.OutcomeError, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return res, contextFailure(err, err)
	}
	sc := scan(segments(req))
	res.Fields = make(map[string]core.FieldResult, len(req.Fields))
	for i, f := range req.Fields {
		if fr, ok := sc.field(f, kinds[i]); ok {
			res.Fields[f.Name] = fr
		}
	}
	return res, nil
}

// segments are the texts to read: the messages, then captions not already
// among them.
func segments(req core.ExtractRequest) []string {
	var segs []string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			return
		}
		if len(s) > maxTextScan {
			n := maxTextScan
			for n > 0 && !utf8.RuneStart(s[n]) {
				n--
			}
			s = s[:n]
		}
		seen[s] = true
		segs = append(segs, s)
	}
	for _, t := range req.Texts {
		add(t)
	}
	for _, m := range req.Images {
		add(m.Caption)
	}
	return segs
}

// candidate is one thing found in the text.
type candidate struct {
	value      any
	conf       float64
	start, end int    // byte offsets in scanner.text
	read       string // how a number was read, when it is not what was written (4 m × 10 m)
}

// aRange stands for a range (30-40) among the numbers: the customer gave
// two ends, so the field is not read from it (the flow asks instead).
type aRange struct{}

// word is a lower-cased word of the text with its place.
type word struct {
	stem       string
	start, end int
}

// scanner holds everything found in a request's text.
type scanner struct {
	text     string
	segs     []string
	taken    []bool // bytes already explained (by emails, dates, phones...)
	words    []word
	emails   []candidate
	phones   []candidate
	postals  []candidate
	dates    []candidate
	areas    []candidate
	numbers  []candidate // bare numbers not part of anything above
	wordNums []candidate // numbers in words (forty), used when there are no digits
	segStart []int
}

const segSep = "\n\n"

func scan(segs []string) *scanner {
	s := &scanner{segs: segs, text: strings.Join(segs, segSep)}
	s.taken = make([]bool, len(s.text))
	off := 0
	for _, seg := range segs {
		s.segStart = append(s.segStart, off)
		off += len(seg) + len(segSep)
	}
	// Cheap looks first: most patterns need digits, dates a 4-digit year,
	// phones 8 digits, emails an @.
	digits, run, longest := 0, 0, 0
	for i := 0; i < len(s.text); i++ {
		if c := s.text[i]; c >= '0' && c <= '9' {
			digits++
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	s.words = splitWords(s.text)
	lower := strings.ToLower(s.text)
	has := func(subs ...string) bool {
		for _, sub := range subs {
			if strings.Contains(lower, sub) {
				return true
			}
		}
		return false
	}
	if has("@") {
		s.emails = s.find(emailRe, func(m []int) (any, float64, bool) {
			return strings.TrimRight(s.text[m[0]:m[1]], "."), confSure, true
		})
	}
	if digits == 0 {
		s.numbers = s.keepUntaken(s.findQuantities())
		return s
	}
	if longest >= 4 {
		s.dates = s.findDates(s.hasMonthWord())
	}
	if digits >= 8 {
		if has("-") {
			s.postals = s.find(zip4Re, func(m []int) (any, float64, bool) { return s.text[m[0]:m[1]], confSure, true })
		}
		s.phones = s.findPhones(digits)
	}
	s.postals = append(s.postals, s.findPostcodes(longest >= 4, s.hasLetterDigitWord())...)
	if has(":", "am", "pm", "h", "uur") {
		s.find(timeRe, func([]int) (any, float64, bool) { return nil, 0, true })
	}
	rest := s.findQuantities()
	if longest >= 5 {
		s.postals = append(s.postals, s.findFiveDigit()...)
	}
	s.numbers = s.keepUntaken(rest)
	return s
}

// find runs re over the text, skipping matches that overlap what is taken,
// and takes what conv accepts.
func (s *scanner) find(re *regexp.Regexp, conv func(m []int) (any, float64, bool)) []candidate {
	var out []candidate
	for _, m := range re.FindAllStringSubmatchIndex(s.text, -1) {
		if s.overlaps(m[0], m[1]) {
			continue
		}
		v, conf, ok := conv(m)
		if !ok {
			continue
		}
		c := candidate{value: v, conf: conf, start: m[0], end: m[1]}
		for i := m[0]; i < m[1]; i++ {
			s.taken[i] = true
		}
		if v != nil {
			out = append(out, c)
		}
	}
	return out
}

func (s *scanner) overlaps(start, end int) bool {
	return slices.Contains(s.taken[start:end], true)
}

// --- patterns

var (
	emailRe = regexp.MustCompile(`(?i)[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,}`)
	timeRe  = regexp.MustCompile(`(?i)\b\d{1,2}:\d{2}(?:\s*(?:am|pm|h|uur))?\b|\b\d{1,2}\.\d{2}\s*(?:am|pm|h|uur)\b|\b\d{1,2}\s*(?:am|pm)\b`)
	zip4Re  = regexp.MustCompile(`\b\d{5}-\d{4}\b`)

	isoDateRe = regexp.MustCompile(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`)
	numDateRe = regexp.MustCompile(`\b(\d{1,2})([/.\-])(\d{1,2})([/.\-])(\d{4})\b`)
	dmyDateRe = regexp.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th|e|\.)?\s+(?:of\s+)?(` + monthAlt + `)\.?,?\s+(\d{4})\b`)
	mdyDateRe = regexp.MustCompile(`(?i)\b(` + monthAlt + `)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)

	// Phone numbers: international (+ or 00), national from 0 with groups,
	// and North American (555) 010-0199 / 555-010-0199.
	intlPhoneRe = regexp.MustCompile(`(?:\+|\b00)\d{1,3}(?:[ .\-]?\(0\))?(?:[ .\-]?\(?\d{1,4}\)?)(?:[ .\-]?\d{2,5}){1,5}\b`)
	natPhoneRe  = regexp.MustCompile(`(?:\(0\d{1,4}\)|\b0\d{1,4})(?:[ .\-]?\d{2,5}){1,4}\b`)
	naPhoneRe   = regexp.MustCompile(`(?:\(\d{3}\)\s?|\b\d{3}[ .\-])\d{3}[ .\-]\d{4}\b`)

	nlPostRe = regexp.MustCompile(`(?i)\b([1-9]\d{3})(\s?)([a-z]{2})\b`)
	ukPostRe = regexp.MustCompile(`(?i)\b([a-z]{1,2}\d[a-z\d]?)(\s?)(\d[a-z]{2})\b`)
	fiveRe   = regexp.MustCompile(`\b\d{5}\b`)

	postKeywordRe = regexp.MustCompile(`(?i)(?:zip|zip code|postcode|post code|postal code|postleitzahl|plz)\s*:?\s*$`)
	stateRe       = regexp.MustCompile(`\b[A-Z]{2},?\s+$`)
)

var months = map[string]time.Month{
	"january": 1, "jan": 1, "januari": 1, "januar": 1, "janvier": 1,
	"february": 2, "feb": 2, "februari": 2, "februar": 2, "février": 2,
	"march": 3, "mar": 3, "maart": 3, "märz": 3, "maerz": 3, "mars": 3, "mrt": 3,
	"april": 4, "apr": 4, "avril": 4,
	"may": 5, "mei": 5, "mai": 5,
	"june": 6, "jun": 6, "juni": 6, "juin": 6,
	"july": 7, "jul": 7, "juli": 7, "juillet": 7,
	"august": 8, "aug": 8, "augustus": 8, "août": 8,
	"september": 9, "sep": 9, "sept": 9, "septembre": 9,
	"october": 10, "oct": 10, "oktober": 10, "okt": 10, "octobre": 10,
	"november": 11, "nov": 11, "novembre": 11,
	"december": 12, "dec": 12, "dezember": 12, "dez": 12, "décembre": 12,
}

const monthAlt = `january|jan|januari|januar|janvier|february|feb|februari|februar|février|march|mar|maart|märz|maerz|mars|mrt|april|apr|avril|may|mei|mai|june|jun|juni|juin|july|jul|juli|juillet|august|aug|augustus|août|september|sept|sep|septembre|october|oct|oktober|okt|octobre|november|nov|novembre|december|dec|dezember|dez|décembre`

// --- dates

// hasMonthWord reports whether a word of the text names a month.
func (s *scanner) hasMonthWord() bool {
	for _, w := range s.words {
		if _, ok := months[strings.TrimSuffix(w.stem, ".")]; ok {
			return true
		}
	}
	return false
}

// hasLetterDigitWord reports whether a word starts with a letter and holds
// a digit, as UK postcodes do (SW1A, M1).
func (s *scanner) hasLetterDigitWord() bool {
	for _, w := range s.words {
		word := s.text[w.start:w.end]
		if r, _ := utf8.DecodeRuneInString(word); unicode.IsLetter(r) && strings.ContainsAny(word, "0123456789") {
			return true
		}
	}
	return false
}

func (s *scanner) findDates(monthWords bool) []candidate {
	mkDate := func(y, m, d int) (string, bool) {
		if m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2200 {
			return "", false
		}
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Day() != d {
			return "", false // 31 February
		}
		return t.Format(time.DateOnly), true
	}
	atoi := func(m []int, g int) int {
		n, _ := strconv.Atoi(s.text[m[2*g]:m[2*g+1]])
		return n
	}
	var out []candidate
	out = append(out, s.find(isoDateRe, func(m []int) (any, float64, bool) {
		v, ok := mkDate(atoi(m, 1), atoi(m, 2), atoi(m, 3))
		return v, confSure, ok
	})...)
	if monthWords {
		out = append(out, s.find(dmyDateRe, func(m []int) (any, float64, bool) {
			mon := months[strings.ToLower(s.text[m[4]:m[5]])]
			v, ok := mkDate(atoi(m, 3), int(mon), atoi(m, 1))
			return v, confSure, ok
		})...)
		out = append(out, s.find(mdyDateRe, func(m []int) (any, float64, bool) {
			mon := months[strings.ToLower(s.text[m[2]:m[3]])]
			v, ok := mkDate(atoi(m, 3), int(mon), atoi(m, 2))
			return v, confSure, ok
		})...)
	}
	out = append(out, s.find(numDateRe, func(m []int) (any, float64, bool) {
		if s.text[m[4]:m[5]] != s.text[m[8]:m[9]] {
			return nil, 0, false // 01/03-2026
		}
		a, b, y := atoi(m, 1), atoi(m, 3), atoi(m, 5)
		// Day first (most of the world, and always with dots), unless
		// only month-first makes a date.
		day, mon, conf := a, b, confLikely
		switch {
		case a <= 12 && b > 12 && s.text[m[4]:m[5]] != ".":
			day, mon = b, a
		case a <= 12 && b <= 12 && a != b && s.text[m[4]:m[5]] != ".":
			conf = confGuess
		}
		v, ok := mkDate(y, mon, day)
		return v, conf, ok
	})...)
	sortByStart(out)
	return out
}

// --- phones and postal codes

func (s *scanner) findPhones(digitCount int) []candidate {
	digits := func(str string) string {
		str = strings.Replace(str, "(0)", "", 1)
		var b strings.Builder
		for _, r := range str {
			if r >= '0' && r <= '9' {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	var out []candidate
	out = append(out, s.find(intlPhoneRe, func(m []int) (any, float64, bool) {
		raw := s.text[m[0]:m[1]]
		d := digits(raw)
		if strings.HasPrefix(raw, "00") {
			d = d[2:]
		}
		if len(d) < 8 || len(d) > 15 {
			return nil, 0, false
		}
		return "+" + d, confSure, true
	})...)
	out = append(out, s.find(natPhoneRe, func(m []int) (any, float64, bool) {
		raw := s.text[m[0]:m[1]]
		d := digits(raw)
		if len(d) < 9 || len(d) > 12 || (!strings.ContainsAny(raw, " .-()") && len(d) != 10) {
			return nil, 0, false
		}
		return d, confLikely, true
	})...)
	if digitCount >= 10 {
		out = append(out, s.find(naPhoneRe, func(m []int) (any, float64, bool) {
			return digits(s.text[m[0]:m[1]]), confLikely, true
		})...)
	}
	sortByStart(out)
	return out
}

func (s *scanner) findPostcodes(dutch, british bool) []candidate {
	keyword := func(start int) bool { return postKeywordRe.MatchString(s.text[max(0, start-16):start]) }
	var out []candidate
	if dutch {
		out = append(out, s.find(nlPostRe, func(m []int) (any, float64, bool) {
			letters, spaced := s.text[m[6]:m[7]], m[5] > m[4]
			code := s.text[m[2]:m[3]] + " " + strings.ToUpper(letters)
			switch {
			case letters == strings.ToUpper(letters):
				return code, confSure, true
			case !spaced || keyword(m[0]):
				return code, confLikely, true
			}
			return nil, 0, false
		})...)
	}
	if british {
		out = append(out, s.find(ukPostRe, func(m []int) (any, float64, bool) {
			raw := s.text[m[0]:m[1]]
			code := strings.ToUpper(s.text[m[2]:m[3]] + " " + s.text[m[6]:m[7]])
			switch {
			case raw == strings.ToUpper(raw):
				return code, confSure, true
			case m[5] > m[4] || keyword(m[0]):
				return code, confLikely, true
			}
			return nil, 0, false
		})...)
	}
	return out
}

// findFiveDigit finds US ZIP and German PLZ codes: five digits after a
// postcode word or a US state, or before a capitalised town name. Without
// such a hint they stay numbers (a postcode field may still take them).
func (s *scanner) findFiveDigit() []candidate {
	return s.find(fiveRe, func(m []int) (any, float64, bool) {
		before := s.text[max(0, m[0]-16):m[0]]
		after := s.text[m[1]:]
		switch {
		case postKeywordRe.MatchString(before), stateRe.MatchString(before):
			return s.text[m[0]:m[1]], confSure, true
		case len(after) > 1 && after[0] == ' ' && unicode.IsUpper(rune(after[1])):
			return s.text[m[0]:m[1]], confLikely, true
		}
		return nil, 0, false
	})
}

// --- areas and numbers

// findQuantities reads the text's quantities with package quantity, as
// typed answers are read. Areas (a unit of area, or dimensions) are taken
// at once, converted to m²; the other numbers are returned to be kept
// after the five-digit postcodes have had their pick. A range is noted
// among both, so neither an area nor a number is read from it. A text
// (message or caption) that is only a length (40m, 40 ft) reads as that
// area, as the same answer typed at a question in m² would.
func (s *scanner) findQuantities() (rest []candidate) {
	text := s.untakenText()
	for _, m := range quantity.Find(text, "") {
		c := candidate{start: m.Start, end: m.End, conf: confGuess}
		area := m.Dims || m.Written.IsArea() || (m.Written.IsLength() && s.alone(m.Start, m.End))
		switch {
		case m.Range:
			c.value = aRange{}
			s.areas = append(s.areas, c)
			rest = append(rest, c)
			continue
		case area:
			r, err := m.In(quantity.SquareMetre)
			if err != nil || r.Value <= 0 {
				continue
			}
			c.value = r.Value
			switch {
			case m.Dims && m.Written != quantity.None:
				c.conf = confSure // 4 x 10 m, 12 by 20 ft
			case m.Written.IsArea() && r.Converted:
				c.conf = confLikely // 200 sq ft
			case m.Written.IsArea():
				c.conf = confSure
			}
			if r.Derived() {
				c.read = r.Text
			}
			s.areas = append(s.areas, c)
		case m.Words:
			c.value = m.Value
			s.wordNums = append(s.wordNums, c)
			continue
		default:
			c.value = m.Value
			rest = append(rest, c)
			continue
		}
		for i := m.Start; i < m.End; i++ {
			s.taken[i] = true
		}
	}
	return rest
}

// untakenText is the text with what is already explained blanked out, so
// the quantity reader cannot read into an email, a date or a phone number.
func (s *scanner) untakenText() string {
	if !slices.Contains(s.taken, true) {
		return s.text
	}
	b := []byte(s.text)
	for i, t := range s.taken {
		if t {
			b[i] = ' '
		}
	}
	return string(b)
}

// alone reports whether the text from start to end is all of its message
// or caption, but for punctuation.
func (s *scanner) alone(start, end int) bool {
	segStart, segEnd := 0, len(s.text)
	for i, off := range s.segStart {
		if off <= start {
			segStart, segEnd = off, off+len(s.segs[i])
		}
	}
	outside := s.text[segStart:start] + s.text[end:segEnd]
	return strings.IndexFunc(outside, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0
}

// keepUntaken keeps the numbers not taken since they were found, and marks
// them taken.
func (s *scanner) keepUntaken(cands []candidate) []candidate {
	var out []candidate
	for _, c := range cands {
		if s.overlaps(c.start, c.end) {
			continue
		}
		for i := c.start; i < c.end; i++ {
			s.taken[i] = true
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return s.wordNums
	}
	return out
}

func sortByStart(c []candidate) {
	slices.SortStableFunc(c, func(a, b candidate) int { return a.start - b.start })
}

// --- words

// splitWords lists the text's words (letters, digits and apostrophes),
// stemmed, with their places.
func splitWords(text string) []word {
	var out []word
	start := -1
	flush := func(end int) {
		if start >= 0 {
			out = append(out, word{stem: stem(strings.ToLower(text[start:end])), start: start, end: end})
			start = -1
		}
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(text))
	return out
}

// stem folds simple English plurals and apostrophes: tiles → tile,
// shingles → shingle, storeys → storey, boxes → box, properties → property.
func stem(w string) string {
	if strings.ContainsAny(w, "'’") {
		w = strings.TrimSuffix(strings.ReplaceAll(w, "’", "'"), "'s")
		w = strings.ReplaceAll(w, "'", "")
	}
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 4 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "zes")):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}

// hintWords are the stems of the words in a field's name and (with
// description) its description, minus words that say nothing.
func hintWords(f core.Field, description bool) []string {
	src := strings.ReplaceAll(f.Name, "_", " ")
	if description {
		src = f.Description
	}
	var out []string
	for _, w := range splitWords(camelSplit(src)) {
		if len(w.stem) < 3 || stopWords[w.stem] {
			continue
		}
		out = append(out, w.stem)
	}
	return out
}

func camelSplit(s string) string {
	var b strings.Builder
	prev := rune(0)
	for _, r := range s {
		if unicode.IsUpper(r) && unicode.IsLower(prev) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

var stopWords = setOf("the", "and", "for", "with", "what", "which", "how", "many", "much", "number", "count", "total",
	"amount", "value", "are", "there", "their", "your", "customer", "estimate", "estimated", "approx", "approximate",
	"approximately", "please", "give", "you", "has", "have", "had", "need", "needed", "want", "wanted", "this", "that",
	"from", "into", "per", "was", "will", "does", "whether", "any", "some", "about", "m2", "sqm", "metre", "meter",
	"square", "unit", "in", "of", "is", "it", "to", "on", "or", "if", "be", "do", "an", "a")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// --- mapping onto fields

// fieldRole is what a field asks for, from its type, name and description.
type fieldRole int

const (
	roleGeneric fieldRole = iota
	roleArea
	roleEmail
	rolePhone
	rolePostcode
	roleNotes
)

var (
	areaNameWords  = setOf("area", "size", "surface", "m2", "sqm", "footage")
	areaDescWords  = setOf("area", "surface", "m2", "sqm", "m²", "footage")
	emailWords     = setOf("email", "mail", "e-mail")
	phoneWords     = setOf("phone", "mobile", "telephone", "tel", "whatsapp", "cell", "cellphone", "gsm")
	postcodeWords  = setOf("postcode", "postal", "zip", "zipcode", "plz", "postleitzahl")
	notesWords     = setOf("note", "description", "comment", "detail", "message", "remark", "summary")
	affirmingWords = setOf("need", "needs", "needed", "want", "wants", "with", "has", "have", "having", "include",
		"includes", "including", "require", "requires", "required", "yes", "please", "got", "also")
	negatingWords = setOf("no", "not", "without", "don't", "dont", "doesn't", "doesnt", "isn't", "isnt", "aren't",
		"arent", "never", "none", "nor", "cannot", "can't", "cant", "won't", "wont", "geen", "kein", "keine", "nicht")
	yesWords           = setOf("yes", "y", "yeah", "yep", "yup", "sure", "correct", "true", "ja", "oui", "si", "sí", "ok", "okay")
	noWords            = setOf("no", "n", "nope", "nah", "false", "nee", "nein", "non", "incorrect")
	genericEnumValues  = setOf("unknown", "other", "none", "n/a", "na")
	maxHintWordsAround = 3
)

func roleOf(f core.Field, kind string) fieldRole {
	name := strings.ToLower(camelSplit(f.Name))
	var nameWords []string
	for _, w := range splitWords(name) {
		nameWords = append(nameWords, w.stem)
	}
	desc := strings.Fields(strings.ToLower(f.Description))
	has := func(words []string, set map[string]bool) bool {
		for _, w := range words {
			if set[strings.Trim(w, ".,;:()?!")] {
				return true
			}
		}
		return false
	}
	switch kind {
	case TypeNumber, TypeInteger:
		if has(nameWords, areaNameWords) || has(desc, areaDescWords) {
			return roleArea
		}
	case TypeString:
		switch {
		case has(nameWords, emailWords) || strings.Contains(name, "email"):
			return roleEmail
		case has(nameWords, phoneWords):
			return rolePhone
		case has(nameWords, postcodeWords) || strings.Contains(name, "postcode") || strings.Contains(name, "postal"):
			return rolePostcode
		case has(nameWords, notesWords):
			return roleNotes
		case has(desc, emailWords):
			return roleEmail
		case has(desc, phoneWords):
			return rolePhone
		case has(desc, postcodeWords):
			return rolePostcode
		}
	}
	return roleGeneric
}

// field finds one field's value.
func (s *scanner) field(f core.Field, kind string) (core.FieldResult, bool) {
	var cands []candidate
	switch kind {
	case TypeNumber, TypeInteger:
		cands = s.numberFor(f, kind)
	case TypeDate:
		cands = s.dates
	case TypeEnum:
		cands = s.enumFor(f)
	case TypeBoolean:
		cands = s.boolFor(f)
	case TypeString:
		switch roleOf(f, kind) {
		case roleEmail:
			cands = s.emails
		case rolePhone:
			cands = s.phones
		case rolePostcode:
			cands = s.postcodeFor()
		case roleNotes:
			if s.text != "" {
				cands = []candidate{{value: strings.Join(s.segs, "\n"), conf: confGuess}}
			}
		}
	}
	return pick(f, cands)
}

// pick turns candidates into a result: all distinct values for a list, the
// first for a single value, with the confidence lowered to a guess when
// the text offers different values.
func pick(f core.Field, cands []candidate) (core.FieldResult, bool) {
	if len(cands) == 0 {
		return core.FieldResult{}, false
	}
	if f.List {
		var vals []any
		conf := 1.0
		seen := map[any]bool{aRange{}: true}
		for _, c := range cands {
			if !seen[c.value] {
				seen[c.value] = true
				vals = append(vals, c.value)
				conf = min(conf, c.conf)
			}
		}
		if len(vals) == 0 {
			return core.FieldResult{}, false
		}
		return core.FieldResult{Value: vals, Confidence: conf}, true
	}
	first := cands[0]
	if first.value == (aRange{}) {
		return core.FieldResult{}, false // two ends: the flow asks which
	}
	for _, c := range cands[1:] {
		if c.value != first.value {
			return core.FieldResult{Value: first.value, Confidence: min(first.conf, confGuess), Read: first.read}, true
		}
	}
	return core.FieldResult{Value: first.value, Confidence: first.conf, Read: first.read}, true
}

// numberFor finds a number field's value: an area for area fields, a
// number beside one of the field's words, or the only number in the text.
func (s *scanner) numberFor(f core.Field, kind string) []candidate {
	whole := func(cs []candidate) []candidate {
		if kind != TypeInteger {
			return cs
		}
		var out []candidate
		for _, c := range cs {
			if v, isNum := c.value.(float64); !isNum || isWhole(v) {
				out = append(out, c) // whole numbers, and ranges
			}
		}
		return out
	}
	area := roleOf(f, kind) == roleArea
	if area {
		if cs := whole(s.areas); len(cs) > 0 {
			return cs
		}
	}
	// A number or area beside one of the field's words: "3 bedrooms",
	// "budget: 5000", "roof is 80m2".
	for _, desc := range []bool{false, true} {
		hints := hintWords(f, desc)
		if area {
			hints = append(hints, "area", "size", "surface")
		}
		if c, ok := s.numberBeside(whole(s.numbers), hints); ok {
			return []candidate{c}
		}
		if c, ok := s.numberBeside(whole(s.areas), hints); ok {
			return []candidate{c}
		}
	}
	nums := whole(s.numbers)
	if len(nums) == 0 {
		return nil
	}
	for _, c := range nums[1:] {
		if c.value != nums[0].value {
			return nil // several numbers and no word to tell them apart
		}
	}
	return nums[:1]
}

// numberBeside finds the number closest to one of the hint words: a word
// after the number ("3 bedrooms") wins over one before it ("budget: 5000")
// at the same distance.
func (s *scanner) numberBeside(nums []candidate, hints []string) (candidate, bool) {
	if len(hints) == 0 {
		return candidate{}, false
	}
	hint := setOf(hints...)
	best, bestScore := candidate{}, math.MaxInt
	for _, n := range nums {
		wi := s.wordAt(n.start)
		if wi < 0 {
			continue
		}
		last := wi // the last word of the number: 4 x 10 m, 30-40
		for last+1 < len(s.words) && s.words[last+1].start < n.end {
			last++
		}
		for d := 1; d <= maxHintWordsAround; d++ {
			score := math.MaxInt
			if j := last + d; j < len(s.words) && hint[s.words[j].stem] && s.sameSentence(n.end, s.words[j].start) {
				score = 2 * d
			} else if j := wi - d; j >= 0 && hint[s.words[j].stem] && s.sameSentence(s.words[j].end, n.start) {
				score = 2*d + 1
			}
			if score < bestScore {
				best, bestScore = n, score
			}
			if score != math.MaxInt {
				break
			}
		}
	}
	if bestScore == math.MaxInt {
		return candidate{}, false
	}
	best.conf = confLikely
	return best, true
}

// wordAt returns the index of the word that starts at offset, or -1.
func (s *scanner) wordAt(offset int) int {
	lo, hi := 0, len(s.words)
	for lo < hi {
		mid := (lo + hi) / 2
		if s.words[mid].start < offset {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(s.words) && s.words[lo].start == offset {
		return lo
	}
	return -1
}

// sameSentence reports whether nothing between from and to ends a sentence
// or a message.
func (s *scanner) sameSentence(from, to int) bool {
	if from > to {
		from, to = to, from
	}
	between := s.text[from:to]
	return !strings.ContainsAny(between, ".!?;\n")
}

// postcodeFor prefers codes recognised by their shape; a lone five-digit
// number is a guess.
func (s *scanner) postcodeFor() []candidate {
	if len(s.postals) > 0 {
		out := append([]candidate(nil), s.postals...)
		sortByStart(out)
		return out
	}
	var out []candidate
	for _, n := range s.numbers {
		if raw := s.text[n.start:n.end]; len(raw) == 5 && strings.Trim(raw, "0123456789") == "" {
			out = append(out, candidate{value: s.text[n.start:n.end], conf: confGuess, start: n.start, end: n.end})
		}
	}
	return out
}

// enumFor finds the field's enum values named in the text, in order.
func (s *scanner) enumFor(f core.Field) []candidate {
	var out []candidate
	for _, e := range f.Enum {
		val := strings.TrimSpace(e)
		if genericEnumValues[strings.ToLower(val)] {
			continue
		}
		target := splitWords(val)
		if len(target) == 0 {
			continue
		}
		for i := 0; i+len(target) <= len(s.words); i++ {
			match := true
			for j, t := range target {
				if s.words[i+j].stem != t.stem {
					match = false
					break
				}
			}
			if match {
				out = append(out, candidate{value: val, conf: confSure, start: s.words[i].start, end: s.words[i+len(target)-1].end})
			}
		}
	}
	sortByStart(out)
	return out
}

// boolFor reads a yes/no field: a message that is just yes or no, or the
// field's word with a negation (no, without, don't...) or an affirmation
// (need, with, has...) in the few words before it.
func (s *scanner) boolFor(f core.Field) []candidate {
	var out []candidate
	for i, seg := range s.segs {
		words := strings.FieldsFunc(strings.ToLower(seg), func(r rune) bool {
			return !unicode.IsLetter(r) && r != '\'' && r != '’'
		})
		if len(words) == 0 || len(words) > 3 {
			continue
		}
		switch {
		case yesWords[words[0]]:
			out = append(out, candidate{value: true, conf: confSure, start: s.segStart[i]})
		case noWords[words[0]]:
			out = append(out, candidate{value: false, conf: confSure, start: s.segStart[i]})
		}
	}
	if len(out) > 0 {
		return out
	}
	hints := setOf(hintWords(f, false)...)
	for wi, w := range s.words {
		if !hints[w.stem] {
			continue
		}
		var val any
		for d := 1; d <= maxHintWordsAround && wi-d >= 0; d++ {
			prev := s.words[wi-d]
			if !s.sameSentence(prev.end, w.start) {
				break
			}
			p := strings.ReplaceAll(strings.ToLower(s.text[prev.start:prev.end]), "’", "'")
			if negatingWords[p] {
				val = false
				break
			}
			if affirmingWords[p] && val == nil {
				val = true
			}
		}
		if val != nil {
			out = append(out, candidate{value: val, conf: confGuess, start: w.start, end: w.end})
		}
	}
	return out
}
