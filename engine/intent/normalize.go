package intent

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// token is one word of a folded message, with the clause and sentence it
// is in. A comma starts a new clause ("No, stop" is two: its "no" does not
// negate "stop"); a full stop, question or exclamation mark starts a new
// sentence, and a phrase never spans two.
type token struct {
	text             string
	id               int32 // the word's number in the matcher's vocab, -1 if none
	clause, sentence int32
}

// Normalize folds text the way Match reads it: accents stripped,
// case-folded, apostrophes, punctuation and emoji removed, whitespace
// collapsed to single spaces ("¿Podéis BORRAR mis datos? 🙏" → "podeis
// borrar mis datos"). Phrase sets are folded the same way.
func Normalize(text string) string {
	toks := tokenize(text, nil)
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// span is where a word lies in the folded text while it is being built.
type span struct{ start, end, clause, sentence int32 }

// tokenize splits text into folded words, appending to toks. It allocates
// the folded text once (and the decomposition of non-ASCII text); every
// token's text is a slice of it.
func tokenize(text string, toks []token) []token {
	if !isASCII(text) {
		// Invalid bytes would stop the decomposition of what follows them.
		text = norm.NFKD.String(strings.ToValidUTF8(text, " "))
	}
	var bufStack [256]byte
	var spanStack [48]span
	buf, spans := bufStack[:0], spanStack[:0]
	if len(text) > len(bufStack) {
		// one allocation each rather than a series of growths
		buf, spans = make([]byte, 0, len(text)), make([]span, 0, len(text)/3)
	}
	cur := span{start: -1}
	for _, r := range text {
		n := len(buf)
		switch {
		case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
			buf = append(buf, byte(r))
		case 'A' <= r && r <= 'Z':
			buf = append(buf, byte(r+'a'-'A'))
		case r < utf8.RuneSelf:
			// ASCII punctuation, spaces and symbols: handled below
		case unicode.Is(unicode.Mn, r):
			continue // a combining accent left by the decomposition: dropped
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			buf = appendFolded(buf, r)
		}
		if len(buf) == n {
			// spaces, punctuation, apostrophes, hyphens, symbols, emoji
			if cur.start >= 0 {
				cur.end = int32(n)
				spans = append(spans, cur)
				cur.start = -1
			}
			switch {
			case sentenceBreak(r):
				cur.clause++
				cur.sentence++
			case clauseBreak(r):
				cur.clause++
			}
			continue
		}
		if cur.start < 0 {
			cur.start = int32(n)
		}
	}
	if cur.start >= 0 {
		cur.end = int32(len(buf))
		spans = append(spans, cur)
	}
	folded := string(buf)
	toks = slices.Grow(toks, len(spans))
	for _, sp := range spans {
		toks = append(toks, token{text: folded[sp.start:sp.end], clause: sp.clause, sentence: sp.sentence})
	}
	return toks
}

// appendFolded appends the case-folded form of a letter that has no
// decomposition of its own to strip (ß, ø, æ, œ, ł...).
func appendFolded(buf []byte, r rune) []byte {
	switch r = unicode.ToLower(r); r {
	case 'ß':
		return append(buf, "ss"...)
	case 'æ':
		return append(buf, "ae"...)
	case 'œ':
		return append(buf, "oe"...)
	case 'ø':
		return append(buf, 'o')
	case 'ł':
		return append(buf, 'l')
	case 'đ':
		return append(buf, 'd')
	case 'ı':
		return append(buf, 'i')
	}
	return utf8.AppendRune(buf, r)
}

// sentenceBreak reports whether r ends a sentence.
func sentenceBreak(r rune) bool {
	switch r {
	case '.', '!', '?', '¿', '¡', '…', '\n', '。', '！', '？':
		return true
	}
	return false
}

// clauseBreak reports whether r ends a clause within a sentence.
func clauseBreak(r rune) bool {
	switch r {
	case ',', ';', ':', '(', ')', '"', '“', '”', '«', '»', '、', '，':
		return true
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
