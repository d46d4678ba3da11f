package intent

import (
	"fmt"
	"slices"
	"strings"
)

// trie is a word trie over word ids (see vocab): its edges in one map,
// its nodes in one slice, so that compiling the phrase sets allocates
// little. Node 0 is the root. Phrases, polite words and negators are each
// compiled into one.
type trie struct {
	edges map[uint64]int32 // from node << 32 | word id → to node
	nodes []trieNode
}

type trieNode struct {
	gap  int32    // after a *: the node the words after the skipped ones follow from; 0: none
	end  *entry   // what ends here, if anything
	more []*entry // what else ends here (the same words in two languages)
}

// add records that e ends at the node.
func (n *trieNode) add(e *entry) {
	if n.end == nil {
		n.end = e
		return
	}
	n.more = append(n.more, e)
}

// ends reports whether anything ends at the node.
func (n *trieNode) ends() bool { return n.end != nil }

func newTrie(size int) *trie {
	return &trie{edges: make(map[uint64]int32, size), nodes: make([]trieNode, 1, size+1)}
}

// child follows the edge for word id w from node n.
func (t *trie) child(n, w int32) (int32, bool) {
	if w < 0 {
		return 0, false
	}
	c, ok := t.edges[uint64(n)<<32|uint64(w)]
	return c, ok
}

// insert adds a word sequence and returns the node where it ends.
func (t *trie) insert(words []string, v vocab) int32 {
	var n int32
	for _, w := range words {
		if w == gapWord {
			if t.nodes[n].gap == 0 {
				t.nodes = append(t.nodes, trieNode{})
				t.nodes[n].gap = int32(len(t.nodes) - 1)
			}
			n = t.nodes[n].gap
			continue
		}
		k := uint64(n)<<32 | uint64(v.intern(w))
		c, ok := t.edges[k]
		if !ok {
			t.nodes = append(t.nodes, trieNode{})
			c = int32(len(t.nodes) - 1)
			t.edges[k] = c
		}
		n = c
	}
	return n
}

// vocab numbers every word of a matcher's tries; a message's words are
// looked up once, then followed through the tries by number.
type vocab map[string]int32

func (v vocab) intern(w string) int32 {
	id, ok := v[w]
	if !ok {
		id = int32(len(v))
		v[w] = id
	}
	return id
}

// id is a word's number, -1 for a word no trie has.
func (v vocab) id(w string) int32 {
	if id, ok := v[w]; ok {
		return id
	}
	return -1
}

// entry is one phrase (or, in the smaller tries, one word sequence) that
// ends at a node.
type entry struct {
	intent  Intent
	lang    string // the phrase set's language
	target  string // Language: the language asked for
	pattern string // as the phrase set writes it
	alone   bool   // a request only when it is the whole message
	rules   *rules // the negators of the phrase's language
}

// rules are one language's checks that cancel a phrase around it.
type rules struct {
	negate *trie           // "not", "don't", "no quiero que": before the phrase in its clause
	after  map[string]bool // "nicht", "pas", "niet": just after the phrase
	ask    *trie           // "did you", "do you": right before the phrase, a question about it
	cond   map[string]bool // "if", "wenn": anywhere in its clause, or opening the clause before
	link   map[string]bool // "dass", "que": a clause they open is reached by negators before it
}

const (
	negateWindow = 5 // words before a phrase a negator reaches across
	afterWindow  = 2 // words after a phrase an after-negator reaches across
	maxPolite    = 24
)

// load compiles one phrase set into the matcher's tries.
func (m *Matcher) load(s phraseSet) error {
	r := &rules{negate: newTrie(64), ask: newTrie(16), after: map[string]bool{}, cond: map[string]bool{}, link: map[string]bool{}}
	for _, list := range []struct {
		into  *trie
		words []string
	}{{r.negate, s.negate}, {r.ask, s.ask}, {m.polite, s.polite}} {
		for _, w := range list.words {
			if err := m.insertPattern(list.into, w, &entry{pattern: w}); err != nil {
				return err
			}
		}
	}
	for words, set := range map[*[]string]map[string]bool{&s.after: r.after, &s.cond: r.cond, &s.link: r.link} {
		for _, w := range *words {
			set[Normalize(w)] = true
		}
	}
	names := s.languageNames()
	intents := m.intents
	if intents == nil {
		intents = Intents()
	}
	for _, in := range intents {
		for _, group := range []struct {
			patterns []string
			alone    bool
		}{{s.alone[in], true}, {s.within[in], false}} {
			for _, p := range group.patterns {
				e := entry{intent: in, lang: s.lang, pattern: p, alone: group.alone, rules: r}
				if err := m.addPhrase(e, names); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// insertPattern adds every word sequence of a pattern to a trie, with
// entry e at its end.
func (m *Matcher) insertPattern(into *trie, src string, e *entry) error {
	pat, err := parsePattern(src)
	if err != nil {
		return err
	}
	return pat.each(func(seq []string) error {
		into.nodes[into.insert(seq, m.vocab)].add(e)
		return nil
	})
}

// addPhrase adds every word sequence of a phrase to the phrase trie;
// {lang} stands for each of the language names. Two intents (or two
// requested languages) may not share a word sequence.
func (m *Matcher) addPhrase(e entry, names []foldedName) error {
	pat, err := parsePattern(e.pattern)
	if err != nil {
		return err
	}
	entries := map[string]*entry{} // by requested language
	var words []string
	return pat.each(func(seq []string) error {
		i := slices.Index(seq, langWord)
		if (i >= 0) != (e.intent == Language) {
			return fmt.Errorf("pattern %q: {lang} belongs in language phrases, and they need it", e.pattern)
		}
		if i < 0 {
			if entries[""] == nil {
				entries[""] = &e
			}
			return m.addSeq(seq, entries[""])
		}
		for _, name := range names {
			if entries[name.code] == nil {
				t := e
				t.target = name.code
				entries[name.code] = &t
			}
			words = append(append(append(words[:0], seq[:i]...), name.words...), seq[i+1:]...)
			if err := m.addSeq(words, entries[name.code]); err != nil {
				return err
			}
		}
		return nil
	})
}

func (m *Matcher) addSeq(words []string, e *entry) error {
	end := &m.phrases.nodes[m.phrases.insert(words, m.vocab)]
	if end.end == nil {
		end.add(e)
		return nil
	}
	for _, o := range append([]*entry{end.end}, end.more...) {
		if o.intent != e.intent || o.target != e.target {
			return fmt.Errorf("%q is both %s%s (%q) and %s%s (%q)", strings.Join(words, " "),
				o.intent, suffix(o.target), o.pattern, e.intent, suffix(e.target), e.pattern)
		}
		if o == e {
			return nil
		}
	}
	end.add(e)
	return nil
}

func suffix(target string) string {
	if target == "" {
		return ""
	}
	return " " + target
}

// cand is a phrase found in a message.
type cand struct {
	e          *entry
	start, end int // the words it covers
	conf       float64
	negated    bool // a negation, condition or question takes it back
	partial    bool // a phrase that is a request only alone, inside a longer message
}

// scan holds one message's matching work. Matchers keep them in a pool,
// so matching allocates little more than the folded text.
type scan struct {
	m     *Matcher
	toks  []token
	cands []cand
	gaps  [][2]int // the words skipped by *s on the current path
}

func (s *scan) reset() {
	clear(s.toks)
	clear(s.cands)
	s.toks, s.cands, s.gaps = s.toks[:0], s.cands[:0], s.gaps[:0]
}

// match reads a message; unsure reports that a Classifier may know better.
func (m *Matcher) match(text string) (r Result, unsure bool) {
	s, _ := m.scans.Get().(*scan)
	if s == nil {
		s = &scan{m: m}
	}
	defer m.scans.Put(s)
	defer s.reset() // keep no customer words in the pool
	s.toks = tokenize(text, s.toks)
	for i := range s.toks {
		s.toks[i].id = m.vocab.id(s.toks[i].text)
	}
	for i := range s.toks {
		s.walk(0, i, i)
	}
	best := -1
	for i, c := range s.cands {
		if c.negated || c.partial {
			unsure = true
			continue
		}
		if s.inside(i) {
			continue
		}
		if best < 0 || s.better(c, s.cands[best]) {
			best = i
		}
	}
	if best < 0 {
		return Result{}, unsure
	}
	c := s.cands[best]
	r = Result{Intent: c.e.intent, Lang: c.e.lang, Confidence: c.conf, Phrase: c.e.pattern}
	if c.e.intent == Language {
		r.Lang = c.e.target
	}
	return r, unsure || c.conf < sure
}

// walk follows the phrase trie from node n over the words from pos on,
// recording a candidate wherever a phrase ends. A phrase stays within one
// sentence.
func (s *scan) walk(n int32, start, pos int) {
	t := s.m.phrases
	if e := t.nodes[n].end; e != nil {
		s.found(e, start, pos)
		for _, e := range t.nodes[n].more {
			s.found(e, start, pos)
		}
	}
	if pos < len(s.toks) && s.sameSentence(start, pos) {
		if c, ok := t.child(n, s.toks[pos].id); ok {
			s.walk(c, start, pos+1)
		}
	}
	gap := t.nodes[n].gap
	if gap == 0 {
		return
	}
	for skip := 0; skip <= maxGap; skip++ {
		q := pos + skip
		if q >= len(s.toks) || !s.sameSentence(start, q) {
			return
		}
		if c, ok := t.child(gap, s.toks[q].id); ok {
			s.gaps = append(s.gaps, [2]int{pos, q})
			s.walk(c, start, q+1)
			s.gaps = s.gaps[:len(s.gaps)-1]
		}
	}
}

func (s *scan) sameSentence(a, b int) bool {
	return s.toks[a].sentence == s.toks[b].sentence
}

// found scores a phrase found at words [start, end).
func (s *scan) found(e *entry, start, end int) {
	c := cand{e: e, start: start, end: end}
	switch {
	case s.cancelled(e.rules, start, end):
		c.negated = true
	case s.polite(0, start) && s.polite(end, len(s.toks)):
		c.conf = 1
	case e.alone:
		c.partial = true // "stop" in "stop by tomorrow"
	default:
		c.conf = 0.7 + 0.25*float64(end-start)/float64(len(s.toks))
	}
	s.cands = append(s.cands, c)
}

// cancelled reports whether the words around a phrase take the request
// back: a negator shortly before it in its clause, or in the clause before
// when a link word opens this one ("don't stop", "ich möchte nicht, dass
// Sie meine Daten löschen"); an after-negator just after it ("löschen Sie
// meine Daten nicht"); a negator in a gap of the phrase; a question opener
// right before it ("did you delete my data?"); or a conditional in its
// clause or opening the clause before ("if it's too dear, I'll
// unsubscribe").
func (s *scan) cancelled(r *rules, start, end int) bool {
	toks := s.toks
	lo := start
	for lo > 0 && start-lo < negateWindow && (toks[lo-1].clause == toks[lo].clause || r.link[toks[lo].text]) {
		lo--
	}
	if occurs(r.negate, toks, lo, start) || endsAt(r.ask, toks, lo, start) {
		return true
	}
	for _, g := range s.gaps {
		if occurs(r.negate, toks, g[0], g[1]) {
			return true
		}
		for _, t := range toks[g[0]:g[1]] {
			if r.after[t.text] {
				return true
			}
		}
	}
	for i := end; i < len(toks) && i < end+afterWindow && toks[i].clause == toks[end-1].clause; i++ {
		if r.after[toks[i].text] {
			return true
		}
	}
	return s.conditional(r, start, end)
}

// conditional reports whether the phrase's clause holds a conditional, or
// the clause before it opens with one ("si es caro, me doy de baja"). A
// one-word clause before ("Sí, bórrenlos") is an answer, not a condition.
func (s *scan) conditional(r *rules, start, end int) bool {
	if len(r.cond) == 0 {
		return false
	}
	toks := s.toks
	first, last := toks[start].clause, toks[end-1].clause
	prevStart, prevLen := -1, 0
	for i, t := range toks {
		if t.clause >= first && t.clause <= last && r.cond[t.text] {
			return true
		}
		if t.clause < first && t.sentence == toks[start].sentence {
			if prevStart < 0 || toks[prevStart].clause != t.clause {
				prevStart, prevLen = i, 0
			}
			prevLen++
		}
	}
	return prevStart >= 0 && prevLen >= 2 && r.cond[toks[prevStart].text]
}

// occurs reports whether a sequence of trie t lies within words [lo, hi).
func occurs(t *trie, toks []token, lo, hi int) bool {
	for i := lo; i < hi; i++ {
		var n int32
		for j := i; j < hi; j++ {
			c, ok := t.child(n, toks[j].id)
			if !ok {
				break
			}
			if n = c; t.nodes[n].ends() {
				return true
			}
		}
	}
	return false
}

// endsAt reports whether a sequence of trie t ends right at word hi,
// starting no earlier than lo.
func endsAt(t *trie, toks []token, lo, hi int) bool {
	for i := lo; i < hi; i++ {
		var n int32
		ok := true
		for j := i; j < hi && ok; j++ {
			n, ok = t.child(n, toks[j].id)
		}
		if ok && t.nodes[n].ends() {
			return true
		}
	}
	return false
}

// polite reports whether words [lo, hi) are nothing but polite words
// ("please", "can I", "thanks"), so that a phrase between them is the
// whole request.
func (s *scan) polite(lo, hi int) bool {
	if lo == hi {
		return true
	}
	if hi-lo > maxPolite {
		return false
	}
	var reach uint32 = 1 // bit k: words [lo, lo+k) are polite words
	for p := lo; p < hi; p++ {
		if reach&(1<<(p-lo)) == 0 {
			continue
		}
		var n int32
		for j := p; j < hi; j++ {
			c, ok := s.m.polite.child(n, s.toks[j].id)
			if !ok {
				break
			}
			if n = c; s.m.polite.nodes[n].ends() {
				reach |= 1 << (j + 1 - lo)
			}
		}
	}
	return reach&(1<<(hi-lo)) != 0
}

// inside reports whether candidate i lies within a longer candidate of
// another intent, even a negated one: "stop sending me offers" is no
// marketing, not an opt-out; "don't delete my data" asks for no copy.
func (s *scan) inside(i int) bool {
	c := s.cands[i]
	for j, d := range s.cands {
		if j != i && !d.partial && d.e.intent != c.e.intent && d.start <= c.start && c.end <= d.end && d.end-d.start > c.end-c.start {
			return true
		}
	}
	return false
}

// better orders candidates: the intent that comes first in Intents
// (opt-out first), then the more confident, the longer, the earlier.
func (s *scan) better(a, b cand) bool {
	pa, pb := rank(a.e.intent), rank(b.e.intent)
	switch {
	case pa != pb:
		return pa < pb
	case a.conf != b.conf:
		return a.conf > b.conf
	case a.end-a.start != b.end-b.start:
		return a.end-a.start > b.end-b.start
	}
	return a.start < b.start
}

// rank is an intent's place in Intents.
func rank(in Intent) int {
	switch in {
	case OptOut:
		return 0
	case OptIn:
		return 1
	case Erase:
		return 2
	case WithdrawConsent:
		return 3
	case NoMarketing:
		return 4
	case MyData:
		return 5
	case Human:
		return 6
	case Restart:
		return 7
	case Language:
		return 8
	}
	return 9
}
