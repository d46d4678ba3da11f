package quantity

import (
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tNum  tokKind = iota // digits with their separators: 40, 1,000, 2,5, 1 000
	tWord                // a word, folded; a unit glued to its 2 (m2, ft²) stays one word
	tSym                 // any other rune: x × - – ~ ' .
)

// token is one piece of the text, with its byte offsets.
type token struct {
	kind       tokKind
	text       string
	start, end int
	space      bool // white space (or the start of the text) before it
}

// maxTokens bounds how much of a text is read: a quantity answer is a few
// words, a caption a sentence or two.
const maxTokens = 4096

// tokenize splits s into numbers, words and symbols. Thousands grouped
// with spaces or apostrophes make one number (1 000, 1'000).
func tokenize(s string) []token {
	toks := make([]token, 0, 8)
	space := true
	for i := 0; i < len(s) && len(toks) < maxTokens; {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			space = true
			i += n
			continue
		case isDigit(r) || ((r == '.' || r == ',') && digitAt(s, i+1) && !digitBefore(s, i)):
			end := scanNumber(s, i)
			toks = append(toks, token{kind: tNum, text: s[i:end], start: i, end: end, space: space})
			i = end
		case unicode.IsLetter(r):
			end := scanWord(s, i)
			toks = append(toks, token{kind: tWord, text: fold(wordText(s[i:end])), start: i, end: end, space: space})
			i = end
		default:
			toks = append(toks, token{kind: tSym, text: s[i : i+n], start: i, end: i + n, space: space})
			i += n
		}
		space = false
	}
	return toks
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func digitAt(s string, i int) bool { return i < len(s) && s[i] >= '0' && s[i] <= '9' }

func digitBefore(s string, i int) bool { return i > 0 && s[i-1] >= '0' && s[i-1] <= '9' }

// scanNumber returns the end of the number starting at i: digits, with
// '.' or ',' between digits, and groups of exactly three digits after an
// apostrophe or a space that groups thousands (1 000, 1'000), when the
// digits before are a group of one to three.
func scanNumber(s string, i int) int {
	j, groups := i, true
	for {
		start := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j >= len(s) {
			return j
		}
		if start == i && j-i > 3 {
			groups = false
		}
		r, n := utf8.DecodeRuneInString(s[j:])
		switch {
		case (r == '.' || r == ',') && digitAt(s, j+1):
			j += n
			groups = false
		case groups && j > i && isGroupSep(r) && threeDigits(s, j+n):
			j += n
		default:
			return j
		}
	}
}

// isGroupSep reports whether r may group thousands: an apostrophe (Swiss
// German), a space, or a no-break or thin space.
func isGroupSep(r rune) bool {
	switch r {
	case '\'', '’', ' ', '\u00a0', '\u202f', '\u2009':
		return true
	}
	return false
}

// threeDigits reports whether exactly three digits start at i.
func threeDigits(s string, i int) bool {
	return digitAt(s, i) && digitAt(s, i+1) && digitAt(s, i+2) && !digitAt(s, i+3)
}

// scanWord returns the end of the word starting at i: letters, an
// apostrophe between letters (zo'n), and a 2 or 3 (or ², ³, ^2) that
// squares a unit (m2, ft²).
func scanWord(s string, i int) int {
	j := i
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		switch {
		case unicode.IsLetter(r) || r == '²' || r == '³':
			j += n
		case (r == '\'' || r == '’') && j+n < len(s):
			if r2, _ := utf8.DecodeRuneInString(s[j+n:]); !unicode.IsLetter(r2) {
				return j
			}
			j += n
		case (r == '2' || r == '3') && !digitAt(s, j+1) && !letterAt(s, j+1) && squaredUnit(s[i:j]):
			return j + 1
		case r == '^' && j+1 < len(s) && (s[j+1] == '2' || s[j+1] == '3') && !digitAt(s, j+2) && squaredUnit(s[i:j]):
			return j + 2
		default:
			return j
		}
	}
	return j
}

// squaredUnit reports whether w followed by 2 is a unit: m2, ft2, mts2.
// A 3 after such a unit is kept in the word too, so m3 is no metre.
func squaredUnit(w string) bool {
	for _, p := range phrases[fold(w)+"2"] {
		if p.kind == pUnit && len(p.words) == 1 {
			return true
		}
	}
	return false
}

func letterAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}

// wordText drops the caret of m^2.
func wordText(w string) string {
	for i := 0; i < len(w); i++ {
		if w[i] == '^' {
			return w[:i] + w[i+1:]
		}
	}
	return w
}
