package intent

import (
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
	clause, sentence int
	start, end       int // where text lies in the folded message
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

// tokenize splits text into folded words, appending to toks. It allocates
// the folded text once; every token's text is a slice of it.
func tokenize(text string, toks []token) []token {
	if !isASCII(text) {
		text = norm.NFKD.String(text)
	}
	first := len(toks)
	buf := make([]byte, 0, len(text))
	clause, sentence, start := 0, 0, -1
	end := func() {
		if start >= 0 && start < len(buf) {
			toks = append(toks, token{clause: clause, sentence: sentence, start: start, end: len(buf)})
		}
		start = -1
	}
	for _, r := range text {
		switch {
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			if start < 0 {
				start = len(buf)
			}
			buf = append(buf, byte(r))
		case r < utf8.RuneSelf && 'A' <= r && r <= 'Z':
			if start < 0 {
				start = len(buf)
			}
			buf = append(buf, byte(r+'a'-'A'))
		case unicode.Is(unicode.Mn, r):
			// a combining accent left by the decomposition: dropped
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if start < 0 {
				start = len(buf)
			}
			buf = appendFolded(buf, r)
		case sentenceBreak(r):
			end()
			clause++
			sentence++
		case clauseBreak(r):
			end()
			clause++
		default:
			// spaces, apostrophes, hyphens, symbols, emoji: a word break
			end()
		}
	}
	end()
	folded := string(buf)
	for i := first; i < len(toks); i++ {
		toks[i].text = folded[toks[i].start:toks[i].end]
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
