package intent

import (
	"fmt"
	"strings"
)

// A phrase pattern is words with a little syntax, expanded at New into
// every word sequence it stands for:
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

// expand returns every word sequence a pattern stands for.
func expand(pattern string) ([][]string, error) {
	p := &patternParser{src: pattern}
	seqs, err := p.alternatives(0)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	if p.pos < len(p.src) {
		return nil, fmt.Errorf("pattern %q: unexpected %q at %d", pattern, p.src[p.pos], p.pos)
	}
	out := seqs[:0]
	for _, s := range seqs {
		switch {
		case len(s) == 0:
			return nil, fmt.Errorf("pattern %q: one of its expansions is empty", pattern)
		case s[0] == gapWord || s[len(s)-1] == gapWord:
			return nil, fmt.Errorf("pattern %q: * must stand between words", pattern)
		}
		out = append(out, s)
	}
	return out, nil
}

type patternParser struct {
	src string
	pos int
}

// alternatives parses seq ('|' seq)* up to the closing bracket (or the
// end when close is 0).
func (p *patternParser) alternatives(close byte) ([][]string, error) {
	var all [][]string
	for {
		seqs, err := p.sequence()
		if err != nil {
			return nil, err
		}
		all = append(all, seqs...)
		if len(all) > maxExpansions {
			return nil, fmt.Errorf("more than %d expansions", maxExpansions)
		}
		if p.pos >= len(p.src) {
			if close != 0 {
				return nil, fmt.Errorf("missing %q", close)
			}
			return all, nil
		}
		switch c := p.src[p.pos]; {
		case c == '|':
			p.pos++
		case c == close:
			p.pos++
			return all, nil
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, p.pos)
		}
	}
}

// sequence parses items up to '|', a closing bracket or the end, and
// returns their product.
func (p *patternParser) sequence() ([][]string, error) {
	seqs := [][]string{nil}
	for p.pos < len(p.src) {
		var items [][]string
		switch c := p.src[p.pos]; c {
		case '|', ')', ']':
			return seqs, nil
		case ' ':
			p.pos++
			continue
		case '(', '[':
			p.pos++
			closer := byte(')')
			if c == '[' {
				closer = ']'
			}
			alts, err := p.alternatives(closer)
			if err != nil {
				return nil, err
			}
			items = alts
			if c == '[' {
				items = append(items, nil)
			}
		default:
			word := p.word()
			switch word {
			case gapWord, langWord:
				items = [][]string{{word}}
			default:
				items = [][]string{foldWords(word)}
			}
		}
		seqs = product(seqs, items)
		if len(seqs) > maxExpansions {
			return nil, fmt.Errorf("more than %d expansions", maxExpansions)
		}
	}
	return seqs, nil
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
	toks := tokenize(w, nil)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.text
	}
	return out
}

func product(heads, tails [][]string) [][]string {
	out := make([][]string, 0, len(heads)*len(tails))
	for _, h := range heads {
		for _, t := range tails {
			s := make([]string, 0, len(h)+len(t))
			out = append(out, append(append(s, h...), t...))
		}
	}
	return out
}
