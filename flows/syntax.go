package flows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// This file turns yaml.v3's syntax errors into plain language: what is
// wrong, on which line, and the fix. yaml.v3 reports the line where the
// enclosing list or mapping starts (and counts it from 0) rather than the
// line at fault, so the explainer first measures the real line: the
// shortest run of whole lines from the top that fails with the same error.
// Then it reads that line's raw text (tabs, ": " inside text, quotes,
// indentation, brackets) to name the mistake. When it cannot tell, it keeps
// yaml's line and gives its guess as a "maybe" hint.

// maxExplainSize bounds the files whose real error line is searched for.
const maxExplainSize = 1 << 20

// syntaxFinding is one explained YAML syntax error.
type syntaxFinding struct {
	line, col int // 1-based; col counts characters
	msg, hint string
	tab       bool // a tab in the indentation: every such line is reported
}

// maxTabLines bounds how many lines indented with tabs are reported one by
// one; the last one reported counts the rest.
const maxTabLines = 10

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError reports a yaml.v3 decoding error in plain language.
func (d *decoder) yamlError(err error) {
	d.syntax = true
	f := explainYAML(d.src, firstLine(err.Error()))
	if f.tab {
		d.tabLines(f)
		return
	}
	d.errorf(Pos{File: d.file, Line: f.line, Col: f.col}, f.hint, "YAML syntax: %s", f.msg)
}

// tabLines reports every line indented with a tab, not only the first one
// yaml stopped at, so one edit fixes them all: up to maxTabLines, the last
// of which counts the others.
func (d *decoder) tabLines(first syntaxFinding) {
	type at struct{ line, col int }
	lines := []at{{first.line, first.col}}
	for i, ln := range scanSource(d.src).lines {
		if i+1 != first.line && ln.tab >= 0 && !ln.blank && ln.within != 'b' && ln.within != 'q' {
			lines = append(lines, at{i + 1, ln.col(ln.tab)})
		}
	}
	slices.SortFunc(lines, func(a, b at) int { return a.line - b.line })
	for i, l := range lines {
		msg := "YAML syntax: " + first.msg
		if i == maxTabLines-1 && len(lines) > maxTabLines {
			n := len(lines) - i - 1
			msg += fmt.Sprintf(", and on %d more %s below", n, plural(n, "line", "lines"))
		}
		d.errorf(Pos{File: d.file, Line: l.line, Col: l.col}, first.hint, "%s", msg)
		if i == maxTabLines-1 {
			return
		}
	}
}

// yamlFirstError decodes every document of src and returns the first
// error's text, or "" when src decodes.
func yamlFirstError(src []byte) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint("panic: ", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return ""
		}
		if err != nil {
			return firstLine(err.Error())
		}
	}
}

// realLine returns the first line L (from line from on) such that the
// file's first L lines fail with exactly the error want, or 0 when even
// the whole file does not (or it is too large to search). Once the lines
// up to the fault are in, more lines fail the same way, so a galloping
// search from yaml's line, then a binary one, finds L with a few parses
// of little more than the lines up to the fault.
func realLine(src []byte, want string, from int) int {
	if len(src) > maxExplainSize {
		return 0
	}
	var ends []int // ends[i] is the offset just after line i+1
	for off := 0; off < len(src); {
		k := bytes.IndexByte(src[off:], '\n')
		if k < 0 {
			off = len(src)
		} else {
			off += k + 1
		}
		ends = append(ends, off)
	}
	n := len(ends)
	fails := func(l int) bool { return yamlFirstError(src[:ends[l-1]]) == want }
	lo := max(from, 1)
	if lo > n {
		return 0
	}
	hi := n // the first line known to fail, once checked
	checked := false
	for step := 0; lo+step < n; step = 2*step + 1 {
		if fails(lo + step) {
			hi, checked = lo+step, true
			break
		}
		lo = lo + step + 1
	}
	if !checked && !fails(n) {
		return 0
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi
}

// explainYAML explains one yaml.v3 error message about src.
func explainYAML(src []byte, msg string) syntaxFinding {
	yline, what := 0, strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		yline, _ = strconv.Atoi(m[1])
		what = m[2]
	}
	s := scanSource(src)
	e := &explainer{src: s, what: what}
	at := realLine(src, msg, max(yline, 1))
	if at > len(s.lines) {
		at = 0
	}
	if at > 0 {
		if f, ok := e.explain(at); ok {
			return f
		}
		l := &s.lines[at-1]
		return syntaxFinding{line: at, col: l.col(l.first), msg: what}
	}
	// The real line is unknown: keep yaml's, and give a guess as a maybe.
	line := max(yline, 1)
	f := syntaxFinding{line: line, col: 1, msg: what}
	if q, ok := e.brokenQuote(len(s.lines)); ok && !q.closed {
		return e.quoteFinding(q) // a quote open to the end of the file
	}
	for _, l := range []int{line, line + 1} {
		if l <= len(s.lines) {
			if g, ok := e.explain(l); ok {
				f.hint = "maybe: line " + strconv.Itoa(g.line) + ": " + g.msg
				if g.hint != "" {
					f.hint += "; " + g.hint
				}
				break
			}
		}
	}
	return f
}

// srcLine is one line of the file as the explainer reads it. Offsets are
// bytes into text.
type srcLine struct {
	text     string
	first    int    // first character that is not a space or a tab
	tab      int    // a tab in the leading whitespace, or -1
	blank    bool   // nothing, spaces or a comment
	cont     bool   // inside a block scalar, or a quoted or plain text that began above
	within   byte   // for cont lines: 'b'lock scalar, 'q'uoted or 'p'lain text
	dashes   []int  // leading "- " list markers
	key      string // the key of "key: value", "" without one
	keyAt    int    // where the key starts, -1 without one
	valAt    int    // where the value starts, -1 without one
	valKind  byte   // 'p'lain, 'q'uoted, 'f'low, 'b'lock, 0 for none
	colon2   int    // a ": " inside a plain value, -1 if none
	special  int    // a value starting with one of *&!@`%|>, -1 if none
	openFlow *mark  // the innermost { or [ still open when the line starts
	flowEnd  int    // text after a { } or [ ] value closes, -1 if none
	backsl   int    // a backslash inside a double-quoted value, -1 if none
	comment  int    // where a comment starts, -1 if none
}

// col converts a byte offset of the line into a 1-based character column.
func (l *srcLine) col(at int) int {
	at = min(max(at, 0), len(l.text))
	return utf8.RuneCountInString(l.text[:at]) + 1
}

// mark is a place in the file: a 1-based line and a byte offset in it.
type mark struct {
	line, at int
	c        byte
}

// quoteSpan is a quoted text: where it opens, where (and whether) it
// closes, and what follows the closing quote on its line.
type quoteSpan struct {
	open     mark
	closed   bool
	end      mark
	after    string
	flow     bool
	swallows int // a line inside it that looks like a key or a list item, 0 if none
}

// rawSource is the file split into lines, with its quoted texts.
type rawSource struct {
	lines  []srcLine
	quotes []quoteSpan
}

// scanSource reads the raw text line by line, following quotes, block
// scalars and brackets well enough to explain a syntax error.
func scanSource(src []byte) *rawSource {
	s := &rawSource{}
	sc := &lineScanner{src: s, blockParent: -1, blockIndent: -1, plainCol: -1}
	for i, t := range strings.Split(string(src), "\n") {
		sc.line(i+1, strings.TrimSuffix(t, "\r"))
	}
	if sc.open != nil {
		s.quotes = append(s.quotes, *sc.open)
	}
	for i := range s.quotes {
		s.markSwallowed(&s.quotes[i])
	}
	return s
}

// lineScanner carries what spans lines: an open quote, a block scalar, a
// plain text that may go on, open brackets.
type lineScanner struct {
	src         *rawSource
	open        *quoteSpan
	blockParent int // > -1: in a block scalar whose lines are indented more than this
	blockIndent int // the block scalar's indentation, set by its first line; -1 before
	plainCol    int // > -1: a plain text goes on in lines indented more than this
	stack       []mark
}

func (sc *lineScanner) line(n int, t string) {
	ln := srcLine{text: t, tab: -1, keyAt: -1, valAt: -1, colon2: -1, special: -1, flowEnd: -1, backsl: -1, comment: -1}
	j := 0
	for j < len(t) && (t[j] == ' ' || t[j] == '\t') {
		if t[j] == '\t' && ln.tab < 0 {
			ln.tab = j
		}
		j++
	}
	ln.first = j
	ln.blank = j == len(t) || t[j] == '#'
	if len(sc.stack) > 0 {
		m := sc.stack[len(sc.stack)-1]
		ln.openFlow = &m
	}
	switch {
	case sc.blockParent >= 0 && (j == len(t) || j > sc.blockParent && (sc.blockIndent < 0 || j >= sc.blockIndent)):
		ln.cont, ln.within = true, 'b'
		if j < len(t) && sc.blockIndent < 0 {
			sc.blockIndent = j
		}
		sc.src.lines = append(sc.src.lines, ln)
		return
	case sc.open != nil:
		ln.cont, ln.within = true, 'q'
		k := closeQuote(t, 0, sc.open.open.c)
		if k < 0 {
			sc.src.lines = append(sc.src.lines, ln)
			return
		}
		q := *sc.open
		sc.open = nil
		q.closed, q.end = true, mark{line: n, at: k, c: q.open.c}
		q.after = strings.TrimLeft(t[k+1:], " \t")
		sc.src.quotes = append(sc.src.quotes, q)
		sc.tokens(n, &ln, k+1, false, 2)
		sc.src.lines = append(sc.src.lines, ln)
		return
	}
	sc.blockParent, sc.blockIndent = -1, -1
	if !ln.blank && sc.plainCol >= 0 && j > sc.plainCol && len(sc.stack) == 0 {
		// A plain text going on: read its shape, but its quotes and
		// brackets are just characters.
		ln.cont, ln.within = true, 'p'
		sc.tokensLiteral(&ln)
		sc.src.lines = append(sc.src.lines, ln)
		return
	}
	sc.tokens(n, &ln, j, true, 0)
	if ln.tab < 0 && !ln.blank {
		// A tab between the dashes and the key also breaks indentation.
		end := len(t)
		if ln.keyAt >= 0 {
			end = ln.keyAt
		} else if ln.valAt >= 0 {
			end = ln.valAt
		}
		if k := strings.IndexByte(t[:end], '\t'); k >= 0 {
			ln.tab = k
		}
	}
	if !ln.blank {
		sc.plainCol = -1
		if ln.valKind == 'p' && len(sc.stack) == 0 && ln.tab < 0 {
			// A line indented with a tab has no column to compare with:
			// the lines below it are not read as its text going on.
			sc.plainCol = ln.parentCol()
		}
	}
	sc.src.lines = append(sc.src.lines, ln)
}

// parentCol is the column a block scalar's or a plain text's lines must be
// indented beyond: the key's, else the last dash's, else the line's.
func (l *srcLine) parentCol() int {
	switch {
	case l.keyAt >= 0:
		return l.keyAt
	case len(l.dashes) > 0:
		return l.dashes[len(l.dashes)-1]
	}
	return l.first
}

// tokens reads a line from p. phase 0 expects a key or a value, 1 a value
// after "key:", 2 is inside or after a value.
func (sc *lineScanner) tokens(n int, ln *srcLine, p int, atStart bool, phase int) {
	t := ln.text
	blankAt := func(k int) bool { return k >= len(t) || t[k] == ' ' || t[k] == '\t' }
	for p < len(t) {
		c := t[p]
		if c == ' ' || c == '\t' {
			p++
			continue
		}
		if c == '#' && (p == 0 || t[p-1] == ' ' || t[p-1] == '\t') {
			ln.comment = p
			return
		}
		flow := len(sc.stack) > 0
		if atStart {
			atStart = false
			switch {
			case c == '"' || c == '\'':
				p = sc.quoted(n, ln, p, flow, &phase)
				if p < 0 {
					return
				}
				continue
			case c == '-' && !flow && phase == 0 && blankAt(p+1):
				ln.dashes = append(ln.dashes, p)
				p++
				atStart = true
				continue
			case c == '?' && !flow && blankAt(p+1):
				p++
				atStart = true
				continue
			case c == '{' || c == '[':
				if !flow && ln.valAt < 0 {
					ln.valAt, ln.valKind = p, 'f'
				}
				sc.stack = append(sc.stack, mark{line: n, at: p, c: c})
				p++
				atStart, phase = true, 2
				continue
			case (c == '|' || c == '>') && !flow && phase > 0 && isBlockHeader(t[p+1:]):
				ln.valAt, ln.valKind = p, 'b'
				sc.blockParent = ln.parentCol()
				return
			}
			if !flow {
				if strings.IndexByte("*&!@`%|>", c) >= 0 {
					ln.special = p
				}
				if phase == 0 {
					if k := keyEnd(t, p); k >= 0 {
						ln.key, ln.keyAt = strings.TrimSpace(t[p:k]), p
						p = k + 1
						atStart, phase = true, 1
						continue
					}
				}
				if ln.valAt < 0 {
					ln.valAt, ln.valKind = p, 'p'
				}
				phase = 2
			}
		}
		switch {
		case flow && (c == '{' || c == '['):
			sc.stack = append(sc.stack, mark{line: n, at: p, c: c})
			atStart = true
		case flow && (c == '}' || c == ']'):
			sc.stack = sc.stack[:len(sc.stack)-1]
			if len(sc.stack) == 0 {
				rest := strings.TrimLeft(t[p+1:], " \t")
				if rest != "" && rest[0] != '#' {
					ln.flowEnd = len(t) - len(rest)
				}
			}
		case flow && c == ',':
			atStart = true
		case flow && c == ':' && (blankAt(p+1) || strings.IndexByte(",]}", t[p+1]) >= 0):
			atStart = true
		case !flow && c == ':' && blankAt(p+1) && ln.valKind == 'p' && ln.colon2 < 0:
			ln.colon2 = p
		}
		p++
	}
}

// quoted reads a quoted text opening at p and returns where reading goes
// on, or -1 when the quote stays open past the line.
func (sc *lineScanner) quoted(n int, ln *srcLine, p int, flow bool, phase *int) int {
	t := ln.text
	c := t[p]
	if !flow && ln.valAt < 0 {
		ln.valAt, ln.valKind = p, 'q'
	}
	k := closeQuote(t, p+1, c)
	if c == '"' && ln.backsl < 0 {
		in := t[p+1:]
		if k >= 0 {
			in = t[p+1 : k]
		}
		if b := strings.IndexByte(in, '\\'); b >= 0 {
			ln.backsl = p + 1 + b
		}
	}
	q := quoteSpan{open: mark{line: n, at: p, c: c}, flow: flow}
	if k < 0 {
		sc.open = &q
		return -1
	}
	q.closed, q.end = true, mark{line: n, at: k, c: c}
	q.after = strings.TrimLeft(t[k+1:], " \t")
	sc.src.quotes = append(sc.src.quotes, q)
	if !flow && *phase == 0 && strings.HasPrefix(q.after, ":") {
		ln.key, ln.keyAt = t[p+1:k], p // a quoted key
		ln.valAt, ln.valKind = -1, 0
		*phase = 1
		return k + 2
	}
	*phase = 2
	return k + 1
}

// keyEnd returns the offset of the ": " (or final ":") that ends a plain
// key starting at p, or -1 when the text has none before a comment.
func keyEnd(t string, p int) int {
	for k := p; k < len(t); k++ {
		switch {
		case t[k] == '#' && k > p && (t[k-1] == ' ' || t[k-1] == '\t'):
			return -1
		case t[k] == ':' && (k+1 == len(t) || t[k+1] == ' ' || t[k+1] == '\t'):
			return k
		}
	}
	return -1
}

// tokensLiteral reads the shape of a line that continues a plain text:
// its key, if it looks like one, and a ": " after it.
func (sc *lineScanner) tokensLiteral(ln *srcLine) {
	t := ln.text
	p := ln.first
	for p+1 < len(t) && t[p] == '-' && (t[p+1] == ' ' || t[p+1] == '\t') {
		ln.dashes = append(ln.dashes, p)
		p += 2
		for p < len(t) && t[p] == ' ' {
			p++
		}
	}
	if k := strings.Index(t[p:], ": "); k > 0 {
		ln.key, ln.keyAt = strings.TrimSpace(t[p:p+k]), p
		ln.valAt, ln.valKind = p+k+2, 'p'
	} else if strings.HasSuffix(t, ":") && len(t) > p+1 {
		ln.key, ln.keyAt = strings.TrimSuffix(t[p:], ":"), p
	}
}

// isBlockHeader reports whether rest (after | or >) is a block scalar
// header: indicators, then nothing or a comment.
func isBlockHeader(rest string) bool {
	i := 0
	for i < len(rest) && strings.IndexByte("+-123456789", rest[i]) >= 0 {
		i++
	}
	r := strings.TrimLeft(rest[i:], " \t")
	return r == "" || (r[0] == '#' && len(r) < len(rest[i:]))
}

// closeQuote returns the offset of the quote that closes a text opened
// with q, searching t from p, or -1.
func closeQuote(t string, p int, q byte) int {
	for p < len(t) {
		c := t[p]
		switch {
		case q == '"' && c == '\\':
			p += 2
			continue
		case c == q && q == '\'' && p+1 < len(t) && t[p+1] == '\'':
			p += 2
			continue
		case c == q:
			return p
		}
		p++
	}
	return -1
}

var structureRE = regexp.MustCompile(`^(-( |$)|[A-Za-z_][A-Za-z0-9_-]*:( |$))`)

// markSwallowed notes the first line inside a quoted text that is
// indented no more than the line the quote opens on and looks like a key
// or a list item: a sign the quote was meant to close earlier.
func (s *rawSource) markSwallowed(q *quoteSpan) {
	last := len(s.lines)
	if q.closed {
		last = q.end.line
	}
	indent := s.lines[q.open.line-1].first
	for l := q.open.line + 1; l <= last; l++ {
		ln := s.lines[l-1]
		if ln.first <= indent && structureRE.MatchString(ln.text[ln.first:]) {
			q.swallows = l
			return
		}
	}
}

// broken reports whether a quoted text is surely a mistake: never closed,
// followed by more text, or running over lines that look like keys.
func (q *quoteSpan) broken() bool {
	if !q.closed || q.swallows > 0 {
		return true
	}
	a := q.after
	if a == "" || a[0] == '#' {
		return false
	}
	if q.flow {
		return strings.IndexByte(",]}:", a[0]) < 0
	}
	return a[0] != ':'
}

// explainer matches a syntax error to the raw text.
type explainer struct {
	src  *rawSource
	what string // yaml's message without the line
}

func (e *explainer) ln(n int) *srcLine { return &e.src.lines[n-1] }

// brokenQuote returns the first broken quoted text that opens on or
// before line upTo.
func (e *explainer) brokenQuote(upTo int) (quoteSpan, bool) {
	for _, q := range e.src.quotes {
		if q.open.line <= upTo && q.broken() {
			return q, true
		}
	}
	return quoteSpan{}, false
}

// explain names the mistake on line n, the line where the file stops
// being YAML, or reports false.
func (e *explainer) explain(n int) (syntaxFinding, bool) {
	if q, ok := e.brokenQuote(n); ok {
		return e.quoteFinding(q), true
	}
	ln := e.ln(n)
	if ln.tab >= 0 {
		f := e.at(n, ln.tab, "a tab in the indentation", "indent with spaces, not tabs")
		f.tab = true
		return f, true
	}
	if f, ok := e.dashNoSpace(n); ok {
		return f, true
	}
	if f, ok := e.blockText(n); ok {
		return f, true
	}
	w := e.what
	switch {
	case strings.Contains(w, "unknown escape character") || strings.Contains(w, "hexdecimal number"):
		if ln.backsl >= 0 {
			return e.at(n, ln.backsl, `a backslash inside double quotes starts an escape such as \n`,
				"use single quotes: "+e.requoted(ln, '\'')), true
		}
	case strings.Contains(w, "mapping values are not allowed"):
		return e.mappingValues(n)
	case strings.Contains(w, "block sequence entries are not allowed"):
		if ln.keyAt >= 0 && ln.valAt >= 0 && strings.HasPrefix(ln.text[ln.valAt:], "-") {
			return e.at(n, ln.valAt, `a list cannot start on the same line as its key`,
				fmt.Sprintf(`put "- ..." on the next line, indented more than %s:`, ln.key)), true
		}
	case strings.Contains(w, "did not find expected ',' or"), strings.Contains(w, "did not find expected ']'"),
		strings.Contains(w, "did not find expected '}'"):
		if f, ok := e.unclosedBracket(n); ok {
			return f, true
		}
	}
	if f, ok := e.specialStart(n); ok {
		return f, true
	}
	if ln.openFlow == nil && ln.flowEnd >= 0 {
		return e.at(n, ln.flowEnd, "text goes on after the closing bracket",
			"end the line after } or ], or put the whole text in quotes"), true
	}
	if f, ok := e.indentation(n); ok {
		return f, true
	}
	if strings.Contains(w, "could not find expected ':'") && !ln.blank {
		if lv := e.levels(n); len(lv) > 0 {
			if f, ok := e.missingDashLine(n, lv); ok {
				return f, true // { id: b, title: B } without its "- "
			}
		}
		return e.missingColon(n), true
	}
	return syntaxFinding{}, false
}

// at builds a finding at a byte offset of line n.
func (e *explainer) at(n, at int, msg, hint string) syntaxFinding {
	return syntaxFinding{line: n, col: e.ln(n).col(at), msg: msg, hint: hint}
}

func (e *explainer) quoteFinding(q quoteSpan) syntaxFinding {
	ln := e.ln(q.open.line)
	where := fmt.Sprintf("%d:%d", q.open.line, ln.col(q.open.at))
	if q.closed && q.end.line == q.open.line && q.swallows == 0 {
		if q.open.c == '\'' && q.end.at > 0 && isLetter(ln.text[q.end.at-1]) && q.after != "" && isLetter(q.after[0]) {
			// An apostrophe inside single quotes: 'we'll call you'.
			v := strings.TrimSuffix(strings.TrimSpace(stripComment(ln.text[q.open.at+1:])), "'")
			return e.at(q.open.line, q.end.at, "an apostrophe ends the text in single quotes",
				"use double quotes: "+keyPrefix(ln)+quote(shortenRight(v, 50), '"')+"; inside single quotes write '' for '")
		}
		return e.at(q.open.line, q.end.at+1, "text goes on after the closing quote",
			"put the whole text in quotes: "+e.requoted(ln, otherQuote(q.open.c)))
	}
	hint := "close it at the end of the line: " + e.closedLine(ln, q)
	if q.flow {
		hint = fmt.Sprintf("close it with %c before the next , or }", q.open.c)
	}
	return e.at(q.open.line, q.open.at, fmt.Sprintf("a quote opened at %s is never closed", where), hint)
}

// closedLine shows a line with its quote closed, shortened to fit a hint.
func (e *explainer) closedLine(ln *srcLine, q quoteSpan) string {
	head := ""
	if ln.keyAt >= 0 && ln.keyAt < q.open.at {
		head = ln.key + ": "
	}
	body := strings.TrimRight(ln.text[q.open.at+1:], " \t")
	return head + string(q.open.c) + shortenLeft(body, 40) + string(q.open.c)
}

func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func otherQuote(c byte) byte {
	if c == '"' {
		return '\''
	}
	return '"'
}

// requoted shows a line's value in quotes q (or the other kind when the
// text holds q), shortened to fit a hint. A value already wrapped in one
// kind of quotes is unwrapped first.
func (e *explainer) requoted(ln *srcLine, q byte) string {
	v := ""
	if ln.valAt >= 0 {
		v = strings.TrimSpace(stripComment(ln.text[ln.valAt:]))
	}
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		if v[0] == '"' {
			v = strings.ReplaceAll(strings.ReplaceAll(v[1:len(v)-1], `\\`, `\`), `\"`, `"`)
		} else {
			v = strings.ReplaceAll(v[1:len(v)-1], "''", "'")
		}
	}
	return keyPrefix(ln) + quote(shortenRight(v, 50), q)
}

func keyPrefix(ln *srcLine) string {
	if ln.keyAt >= 0 {
		return ln.key + ": "
	}
	return ""
}

// quote puts v in quotes q, or in the other kind when v holds q and not
// the other; single quotes double inner ones, double quotes escape them.
func quote(v string, q byte) string {
	if strings.IndexByte(v, q) >= 0 && strings.IndexByte(v, otherQuote(q)) < 0 {
		q = otherQuote(q)
	}
	if q == '\'' {
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return `"` + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), `"`, `\"`) + `"`
}

// stripComment cuts a plain value's comment: # after a space.
func stripComment(v string) string {
	for i := 1; i < len(v); i++ {
		if v[i] == '#' && (v[i-1] == ' ' || v[i-1] == '\t') {
			return v[:i]
		}
	}
	return v
}

// shortenRight keeps about the first n characters of s, cut between words.
func shortenRight(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := string([]rune(s)[:n])
	if k := strings.LastIndexByte(cut, ' '); k > n/2 {
		cut = cut[:k]
	}
	return strings.TrimRight(cut, " ") + " …"
}

// shortenLeft keeps about the last n characters of s, cut between words.
func shortenLeft(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[len(r)-n:])
	if k := strings.IndexByte(cut, ' '); k >= 0 && k < n/2 {
		cut = cut[k:]
	}
	return "… " + strings.TrimLeft(cut, " ")
}

// mappingValues explains "mapping values are not allowed in this context":
// a ": " inside unquoted text, a key indented under a text, or "-id:".
func (e *explainer) mappingValues(n int) (syntaxFinding, bool) {
	ln := e.ln(n)
	if !ln.cont && ln.colon2 >= 0 {
		return e.at(n, ln.colon2, `the text has ": " in it, which YAML reads as a new key`,
			"put the text in quotes: "+e.colonExcerpt(ln)), true
	}
	if ln.cont && ln.keyAt >= 0 {
		if f, ok := e.indentation(n); ok {
			return f, true
		}
		// The text above goes on to this line and holds ": ".
		return e.at(n, ln.keyAt+len(ln.key), `the text has ": " in it, which YAML reads as a new key`,
			"maybe: put the text above in quotes, or line this key up with the others"), true
	}
	return syntaxFinding{}, false
}

// blockText explains a line right under "key: |" (or >) that is not
// indented more than the key, so the block of text ends before it.
func (e *explainer) blockText(n int) (syntaxFinding, bool) {
	ln := e.ln(n)
	h := n - 1
	for h >= 1 && (e.ln(h).blank || e.ln(h).cont) {
		h--
	}
	if h < 1 || e.ln(h).valKind != 'b' || ln.blank || ln.first > e.ln(h).parentCol() {
		return syntaxFinding{}, false
	}
	head := e.ln(h)
	want := head.parentCol() + 2
	like := ""
	for l := h + 1; l < n; l++ {
		if c := e.ln(l); !c.blank {
			want, like = c.first, fmt.Sprintf(", like line %d", l)
			break
		}
	}
	if like != "" && ln.keyAt >= 0 {
		return syntaxFinding{}, false // a key after the text: its indentation is the trouble
	}
	hdr := strings.TrimSpace(stripComment(head.text[head.valAt:]))
	return e.at(n, ln.first, fmt.Sprintf("the text under %s: %s must be indented more than %s:", head.key, hdr, head.key),
		fmt.Sprintf("indent every line of it with %s%s", spaces(want), like)), true
}

// dashNoSpace finds "-id: a" on line n or the line above it: a list item
// without the space after its dash reads as a key named "-id".
func (e *explainer) dashNoSpace(n int) (syntaxFinding, bool) {
	for l, seen := n, 0; l >= 1 && seen < 2; l-- {
		ln := e.ln(l)
		if ln.blank || ln.cont && l != n {
			continue
		}
		seen++
		at := ln.first
		if len(ln.dashes) > 0 {
			at = ln.dashes[len(ln.dashes)-1] + 2
			for at < len(ln.text) && ln.text[at] == ' ' {
				at++
			}
		}
		if t := ln.text[min(at, len(ln.text)):]; len(t) > 1 && t[0] == '-' && isLetter(t[1]) && strings.Contains(t, ":") {
			return e.at(l, at, `a "-" that starts a list item needs a space after it`,
				"write it as - "+strings.TrimSpace(stripComment(t[1:]))), true
		}
	}
	return syntaxFinding{}, false
}

// colonExcerpt shows a value with ": " in quotes, around the colon when
// the text is long: ask: "… Note: please".
func (e *explainer) colonExcerpt(ln *srcLine) string {
	v := strings.TrimSpace(stripComment(ln.text[ln.valAt:]))
	q := byte('"')
	if utf8.RuneCountInString(v) <= 50 {
		return keyPrefix(ln) + quote(v, q)
	}
	c := ln.colon2 - ln.valAt
	start := strings.LastIndexByte(v[:c], ' ') + 1
	after := strings.TrimLeft(v[c+1:], " ")
	word := after
	if k := strings.IndexByte(after, ' '); k >= 0 {
		word = after[:k]
	}
	ex := v[start:c] + ": " + word
	if start > 0 {
		ex = "… " + ex
	}
	if len(word) < len(after) {
		ex += " …"
	}
	return keyPrefix(ln) + quote(ex, q)
}

// specialStart explains a value that begins with a character YAML reads
// as syntax: *bold* is a reference, [x] a list, {{ x }} a mapping.
func (e *explainer) specialStart(n int) (syntaxFinding, bool) {
	ln := e.ln(n)
	at := ln.special
	if at < 0 && ln.valKind == 'f' && ln.keyAt >= 0 && !contains(structureKeys(), ln.key) &&
		(ln.flowEnd >= 0 || strings.HasPrefix(ln.text[ln.valAt:], "{{")) {
		at = ln.valAt
	}
	if at < 0 || ln.cont {
		return syntaxFinding{}, false
	}
	c := ln.text[at]
	why := map[byte]string{
		'*': "YAML reads *word as a reference to an anchor",
		'&': "YAML reads &word as an anchor",
		'!': "YAML reads !word as a type tag",
		'|': "YAML reads | as the start of a block of text",
		'>': "YAML reads > as the start of a block of text",
		'[': "YAML reads [ as the start of a list",
		'{': "YAML reads { as the start of a mapping",
	}[c]
	if why == "" {
		why = fmt.Sprintf("YAML reserves %c", c)
	}
	return e.at(n, at, fmt.Sprintf("text that starts with %c must be in quotes: %s", c, why),
		"put the text in quotes: "+e.requoted(ln, '"')), true
}

// structureKeys hold lists and mappings rather than text.
func structureKeys() []string {
	return []string{"steps", "options", "if", "extract", "fields", "enum"}
}

// unclosedBracket finds the { or [ still open where line n starts.
func (e *explainer) unclosedBracket(n int) (syntaxFinding, bool) {
	var m *mark
	if n < len(e.src.lines) {
		m = e.ln(n + 1).openFlow // still open after line n
	}
	if m == nil {
		m = e.ln(n).openFlow
	}
	if m == nil {
		return syntaxFinding{}, false
	}
	closer := map[byte]byte{'{': '}', '[': ']'}[m.c]
	if f, ok := e.commentInBrackets(m); ok {
		return f, true
	}
	return e.at(m.line, m.at, fmt.Sprintf("a %c opened at %d:%d is never closed", m.c, m.line, e.ln(m.line).col(m.at)),
		fmt.Sprintf("close it with %c at the end of line %d", closer, m.line)), true
}

// commentInBrackets explains a { or [ left open because a " #" inside
// unquoted text on its line started a comment: { id: a, title: Order #12 }.
func (e *explainer) commentInBrackets(m *mark) (syntaxFinding, bool) {
	ln := e.ln(m.line)
	c := ln.comment
	if c < 0 || c < m.at {
		return syntaxFinding{}, false
	}
	// The text runs from after the ": ", "," or bracket before the # to the
	// next "," or closing bracket after it.
	start := m.at + 1
	for k := c - 1; k > m.at; k-- {
		if ch := ln.text[k]; ch == ',' || ch == '{' || ch == '[' || ch == ':' && k+1 < len(ln.text) && ln.text[k+1] == ' ' {
			start = k + 1
			break
		}
	}
	end := len(ln.text)
	if k := strings.IndexAny(ln.text[c:], ",}]"); k >= 0 {
		end = c + k
	}
	text := strings.TrimSpace(ln.text[start:end])
	head := ""
	if start >= 2 && ln.text[start-1] == ':' {
		keyStart := strings.LastIndexAny(ln.text[:start-1], "{[, ") + 1
		head = ln.text[keyStart:start-1] + ": "
	}
	comment := strings.TrimRight(ln.text[c:], " \t")
	return e.at(m.line, c, fmt.Sprintf("YAML reads %q as a comment, so the %c opened at %d:%d is never closed", comment, m.c, m.line, ln.col(m.at)),
		"put the text in quotes: "+head+quote(text, '"')), true
}

// missingColon explains a line that is neither a key nor a list item.
func (e *explainer) missingColon(n int) syntaxFinding {
	ln := e.ln(n)
	t := strings.TrimSpace(stripComment(ln.text[ln.first:]))
	word, rest, _ := strings.Cut(t, " ")
	known := append(append(topKeys(), stepKeys(Kinds())...), "id", "description", "title", "when", "from", "instructions", "fields")
	if contains(known, word) {
		hint := "write it as " + word + ": " + strings.TrimSpace(rest)
		if rest == "" {
			hint = "add a colon: " + word + ":"
		}
		return e.at(n, ln.first, fmt.Sprintf("%s needs a colon after it", word), hint)
	}
	return e.at(n, ln.first, `this line is not "key: value"`,
		"maybe: a colon is missing after the key, or the text belongs on the line above")
}

// level is an open mapping or list above a line, found by indentation.
type level struct {
	col  int
	list bool   // a "- " list rather than keys
	line int    // the nearest line at this level
	key  string // the key on that line (mappings)
	ctx  string // what the mapping is: step, option, branch, extract, field, flow file
}

// levels returns the mappings and lists open above line n, innermost
// first, as their indentation shows.
func (e *explainer) levels(n int) []level {
	var out []level
	limit := 1 << 30
	for l := n - 1; l >= 1 && (limit > 0 || len(out) > 0 && out[len(out)-1].list); l-- {
		ln := e.ln(l)
		if ln.blank || ln.cont {
			continue
		}
		// A list may stand at its key's own indentation ("steps:" then "- id").
		listHere := len(out) > 0 && out[len(out)-1].list && ln.keyAt == limit && len(ln.dashes) == 0
		if ln.keyAt >= 0 && (ln.keyAt < limit || listHere) {
			out = append(out, level{col: ln.keyAt, line: l, key: ln.key})
			limit = ln.keyAt
		}
		for k := len(ln.dashes) - 1; k >= 0; k-- {
			if ln.dashes[k] < limit {
				out = append(out, level{col: ln.dashes[k], list: true, line: l})
				limit = ln.dashes[k]
			}
		}
		if ln.keyAt < 0 && len(ln.dashes) == 0 && ln.first < limit {
			limit = ln.first
		}
	}
	// Name each mapping by the key that holds it.
	for i := range out {
		if out[i].list {
			continue
		}
		parent := ""
		switch {
		case i+1 < len(out) && out[i+1].list && i+2 < len(out):
			parent = out[i+2].key + "[]"
		case i+1 < len(out) && !out[i+1].list:
			parent = out[i+1].key
		case i+1 == len(out):
			parent = "/"
		}
		out[i].ctx = map[string]string{
			"steps[]": "step", "options[]": "option", "if[]": "branch",
			"extract": "extract", "fields": "fields", "/": "file's top-level",
		}[parent]
	}
	return out
}

// ctxKeys lists the keys a mapping of a kind may hold.
func ctxKeys(ctx string) []string {
	switch ctx {
	case "step":
		return append([]string{"id", "description"}, stepKeys(Kinds())...)
	case "option":
		return optionKeys()
	case "branch":
		return []string{"when", "next"}
	case "extract":
		return extractKeys()
	case "file's top-level":
		return topKeys()
	}
	return nil
}

func (l level) keysName() string {
	switch l.ctx {
	case "":
		return "the keys above it"
	case "file's top-level":
		return "the file's top-level keys"
	case "fields":
		return "the fields"
	}
	return "the " + l.ctx + "'s keys"
}

func (l level) owner() string {
	switch l.ctx {
	case "":
		return "the keys above it"
	case "file's top-level":
		return "the file's top-level keys"
	case "fields":
		return "the other fields"
	}
	return "the " + l.ctx + "'s other keys"
}

// indentation explains a line whose indentation fits no open mapping or
// list above it.
func (e *explainer) indentation(n int) (syntaxFinding, bool) {
	ln := e.ln(n)
	if ln.blank {
		return syntaxFinding{}, false
	}
	c := ln.first
	lv := e.levels(n)
	if len(lv) == 0 {
		return syntaxFinding{}, false
	}
	isDash := len(ln.dashes) > 0 && ln.dashes[0] == c
	var same *level
	var deeper, shallower *level // nearest mappings around c
	var lists []level
	for i := range lv {
		l := &lv[i]
		if l.list {
			lists = append(lists, *l)
		}
		switch {
		case l.col == c:
			if same == nil {
				same = l
			}
		case l.col > c && !l.list:
			deeper = l
		case l.col < c && !l.list && shallower == nil:
			shallower = l
		}
	}
	inner := lv[0]
	opensList := !inner.list && e.ln(inner.line).valAt < 0 && c >= inner.col // "key:" then its list
	switch {
	case isDash && (opensList || (same != nil && same.list)):
		return syntaxFinding{}, false
	case isDash && len(lists) == 0 && same != nil:
		return e.at(n, c, fmt.Sprintf(`a list item ("- ") in the middle of %s`, same.keysName()), ""), true
	case isDash:
		if len(lists) == 0 {
			return syntaxFinding{}, false
		}
		l := lists[0]
		return e.at(n, c, `this "- " is not lined up with the list's other items`,
			fmt.Sprintf(`put the "-" %s, like line %d`, atColumn(l.col), l.line)), true
	case ln.keyAt < 0:
		return syntaxFinding{}, false
	}
	// A key: which mapping did it mean to join?
	if same != nil && same.list {
		if f, ok := e.missingDashLine(n, lv); ok {
			return f, true
		}
	}
	if same != nil && !same.list {
		return syntaxFinding{}, false // lined up with keys: the trouble is elsewhere
	}
	if deeper == nil && inner.col < c && !inner.list {
		// Indented more than the innermost keys, under a line with a value.
		return e.misindented(n, inner, "more"), true
	}
	if outer := lv[len(lv)-1]; c == 0 && !outer.list && outer.col > 0 {
		ol := e.ln(outer.line)
		return e.at(outer.line, ol.first, "the file's top-level keys start at the beginning of the line",
			fmt.Sprintf("remove the spaces before %s:", outer.key)), true
	}
	pick := deeper
	if pick == nil {
		pick = shallower
	}
	if deeper != nil && shallower != nil {
		inDeep := contains(ctxKeys(deeper.ctx), ln.key)
		inShallow := contains(ctxKeys(shallower.ctx), ln.key)
		if inShallow && !inDeep {
			pick = shallower
		}
		if inShallow && inDeep {
			f := e.misindented(n, *deeper, "less")
			f.hint = fmt.Sprintf("maybe: indent %s: with %s, like %s: on line %d, or with %s, like %s: on line %d",
				ln.key, spaces(deeper.col), deeper.key, deeper.line, spaces(shallower.col), shallower.key, shallower.line)
			return f, true
		}
	}
	if pick == nil {
		return syntaxFinding{}, false
	}
	dir := "less"
	if pick.col < c {
		dir = "more"
	}
	return e.misindented(n, *pick, dir), true
}

func (e *explainer) misindented(n int, l level, dir string) syntaxFinding {
	ln := e.ln(n)
	hint := fmt.Sprintf("indent %s: with %s, like %s: on line %d", ln.key, spaces(l.col), l.key, l.line)
	if dir == "more" || l.col == 0 {
		hint = fmt.Sprintf("line %s: up with %s: on line %d (%s)", ln.key, l.key, l.line, spaces(l.col))
	}
	return e.at(n, ln.first, fmt.Sprintf("this line is indented %s than %s", dir, l.owner()), hint)
}

func spaces(n int) string {
	switch n {
	case 0:
		return "no spaces"
	case 1:
		return "1 space"
	}
	return fmt.Sprintf("%d spaces", n)
}

func atColumn(n int) string {
	if n == 0 {
		return "at the start of the line"
	}
	return "after " + spaces(n)
}
