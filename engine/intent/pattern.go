package intent

import (
	"errors"
	"fmt"
	"strings"
)

// A phrase pattern is words with a little syntax, standing for every word
// sequence it can be read as:
//
//	(a|b c)   one of the alternatives
//	[a|b]     optional: one of them or nothing
//	*         up to maxGap other words ("meine Daten * löschen")
//	{lang}    the name of a language, in the phrase set's language
//
// Words are folded like messages (Normalize), so patterns are written with
// their accents and apostrophes: "m'effacer", "löschen".

// maxGap is how many words a * may skip.
const maxGap = 3

// maxExpansions bounds the word sequences one pattern may stand for, so a
// typo in a phrase set cannot blow up memory.
const maxExpansions = 4096

const (
	gapWord  = "*"
	langWord = "{lang}"
)

// pattern is a parsed phrase pattern: alternatives, each a sequence of
// items.
type pattern [][]item

// item is a word (folded: one or more tokens), a gap, a language slot, or
// a group of alternatives (optional for [...]).
type item struct {
	words    []string
	group    pattern
	optional bool
}

// parsePattern parses a pattern and checks that it stands for no more
// than maxExpansions sequences, none empty, none starting or ending with a
// gap.
func parsePattern(src string) (pattern, error) {
	p := &patternParser{src: src}
	pat, err := p.alternatives(0)
	if err == nil && p.pos < len(p.src) {
		err = fmt.Errorf("unexpected %q at %d", p.src[p.pos], p.pos)
	}
	if err == nil {
		n := 0
		err = pat.each(func(seq []string) error {
			n++
			switch {
			case n > maxExpansions:
				return fmt.Errorf("more than %d expansions", maxExpansions)
			case len(seq) == 0:
				return errors.New("one of its expansions is empty")
			case seq[0] == gapWord || seq[len(seq)-1] == gapWord:
				return errors.New("* must stand between words")
			}
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", src, err)
	}
	return pat, nil
}

// each calls emit with every word sequence the pattern stands for, in
// order, reusing one buffer: emit must copy what it keeps. It stops at
// the first error.
func (p pattern) each(emit func([]string) error) error {
	var buf [16]string
	return p.eachFrom(buf[:0], func(seq []string) error { return emit(seq) })
}

func (p pattern) eachFrom(prefix []string, k func([]string) error) error {
	for _, seq := range p {
		if err := eachSeq(seq, prefix, k); err != nil {
			return err
		}
	}
	return nil
}

// eachSeq extends prefix with every reading of items, then calls k.
func eachSeq(items []item, prefix []string, k func([]string) error) error {
	if len(items) == 0 {
		return k(prefix)
	}
	it, rest := items[0], items[1:]
	if it.group == nil {
		return eachSeq(rest, append(prefix, it.words...), k)
	}
	then := func(p []string) error { return eachSeq(rest, p, k) }
	if err := it.group.eachFrom(prefix, then); err != nil {
		return err
	}
	if it.optional {
		return then(prefix)
	}
	return nil
}

// expand returns every word sequence a pattern stands for.
func expand(src string) ([][]string, error) {
	pat, err := parsePattern(src)
	if err != nil {
		return nil, err
	}
	var out [][]string
	_ = pat.each(func(seq []string) error {
		out = append(out, append([]string(nil), seq...))
		return nil
	})
	return out, nil
}

type patternParser struct {
	src string
	pos int
}

// alternatives parses seq ('|' seq)* up to the closing bracket (or the
// end when close is 0).
func (p *patternParser) alternatives(close byte) (pattern, error) {
	var alts pattern
	for {
		seq, err := p.sequence()
		if err != nil {
			return nil, err
		}
		alts = append(alts, seq)
		if p.pos >= len(p.src) {
			if close != 0 {
				return nil, fmt.Errorf("missing %q", close)
			}
			return alts, nil
		}
		switch c := p.src[p.pos]; {
		case c == '|':
			p.pos++
		case c == close:
			p.pos++
			return alts, nil
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, p.pos)
		}
	}
}

// sequence parses items up to '|', a closing bracket or the end.
func (p *patternParser) sequence() ([]item, error) {
	var seq []item
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; c {
		case '|', ')', ']':
			return seq, nil
		case ' ':
			p.pos++
		case '(', '[':
			p.pos++
			closer := byte(')')
			if c == '[' {
				closer = ']'
			}
			group, err := p.alternatives(closer)
			if err != nil {
				return nil, err
			}
			seq = append(seq, item{group: group, optional: c == '['})
		default:
			word := p.word()
			switch word {
			case gapWord, langWord:
				seq = append(seq, item{words: []string{word}})
			default:
				seq = append(seq, item{words: foldWords(word)})
			}
		}
	}
	return seq, nil
}

func (p *patternParser) word() string {
	start := p.pos
	for p.pos < len(p.src) && !strings.ContainsRune(" |()[]", rune(p.src[p.pos])) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// foldWords folds a written word into the tokens a message would give:
// "m'effacer" is two, "opt-out" is two, "Löschen" is "loschen".
func foldWords(w string) []string {
	if plainWord(w) {
		return []string{w}
	}
	toks := tokenize(w, nil)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.text
	}
	return out
}

// plainWord reports whether w is lower case ASCII letters and digits, a
// word that folds to itself.
func plainWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return w != ""
}
