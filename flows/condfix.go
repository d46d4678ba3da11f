package flows

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// This file gives `when` conditions fixes in plain words: the operators
// people bring from other languages (=, !=, &&, ||, !), words compared
// without quotes (project.service == roofing reads a variable roofing),
// values a choice step never saves ("Other" where the option id is other),
// and what YAML does to a condition before Lua sees it (# starts a
// comment, ! a type tag).

// luaToken is one token of a condition.
type luaToken struct {
	kind    byte   // 'n'ame (a dotted chain), 's'tring, 'd'igits, 'o'perator or punctuation
	text    string // as written; a name's chain without spaces
	val     string // a string's value
	at, end int    // byte offsets in the expression
}

// luaOperators are the operators of two or three characters, longest
// first, with the ones Lua lacks that people write (!=, &&, ||).
func luaOperators() []string {
	return []string{"...", "==", "~=", "<=", ">=", "..", "//", "::", "<<", ">>", "!=", "&&", "||"}
}

// luaTokens splits a condition into tokens, leaving out comments.
func luaTokens(expr string) []luaToken {
	out := make([]luaToken, 0, len(expr)/4+1)
	for i := 0; i < len(expr); {
		c := expr[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '-' && strings.HasPrefix(expr[i:], "--"):
			i = skipLuaComment(expr, i+2)
			continue
		case c == '\'' || c == '"':
			i = skipLuaString(expr, i)
			val := expr[start+1 : i]
			if strings.HasSuffix(val, string(c)) {
				val = val[:len(val)-1]
			}
			out = append(out, luaToken{kind: 's', text: expr[start:i], val: val, at: start, end: i})
			continue
		case c == '[' && longBracket(expr, i) >= 0:
			level := longBracket(expr, i)
			i = skipLongBracket(expr, i, level)
			body := expr[min(start+level+2, i):i]
			body = strings.TrimSuffix(body, "]"+strings.Repeat("=", level)+"]")
			out = append(out, luaToken{kind: 's', text: expr[start:i], val: body, at: start, end: i})
			continue
		case isDigit(c) || c == '.' && i+1 < len(expr) && isDigit(expr[i+1]):
			i = skipLuaNumber(expr, i)
			out = append(out, luaToken{kind: 'd', text: expr[start:i], at: start, end: i})
			continue
		case isIdentStart(c):
			chain, end := readLuaChain(expr, i)
			i = end
			out = append(out, luaToken{kind: 'n', text: chain, at: start, end: i})
			continue
		}
		op := expr[i : i+1]
		for _, o := range luaOperators() {
			if strings.HasPrefix(expr[i:], o) {
				op = o
				break
			}
		}
		i += len(op)
		out = append(out, luaToken{kind: 'o', text: op, at: start, end: i})
	}
	return out
}

// opFix is one operator to rewrite in a condition.
type opFix struct {
	at, end int
	want    string
}

// operatorFixes finds the operators Lua lacks or reads otherwise: = (not
// inside a table constructor), !=, &&, || and a leading !.
func operatorFixes(tokens []luaToken) []opFix {
	var out []opFix
	depth := 0
	for _, t := range tokens {
		if t.kind != 'o' {
			continue
		}
		switch t.text {
		case "{":
			depth++
		case "}":
			depth--
		case "=":
			if depth == 0 {
				out = append(out, opFix{t.at, t.end, "=="})
			}
		case "!=":
			out = append(out, opFix{t.at, t.end, "~="})
		case "&&":
			out = append(out, opFix{t.at, t.end, "and"})
		case "||":
			out = append(out, opFix{t.at, t.end, "or"})
		case "!":
			out = append(out, opFix{t.at, t.end, "not"})
		}
	}
	return out
}

// applyFixes rewrites expr with the fixes (in order, not overlapping),
// putting spaces around words that replace symbols.
func applyFixes(expr string, fixes []opFix) string {
	var b strings.Builder
	last := 0
	for _, f := range fixes {
		b.WriteString(expr[last:f.at])
		w := f.want
		if isIdentStart(w[0]) {
			if f.at > 0 && !isSpace(expr[f.at-1]) && expr[f.at-1] != '(' {
				w = " " + w
			}
			if f.end < len(expr) && !isSpace(expr[f.end]) {
				w += " "
			}
		}
		b.WriteString(w)
		last = f.end
	}
	b.WriteString(expr[last:])
	return b.String()
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// whenLine shows a condition as a `when:` line, in quotes where YAML
// needs them.
func whenLine(expr string) string {
	if needsQuotes(expr) {
		return "when: " + quote(expr, '"')
	}
	return "when: " + expr
}

// needsQuotes reports whether a plain YAML scalar would not read as s.
func needsQuotes(s string) bool {
	if s == "" || strings.Contains(s, "\n") || strings.Contains(s, ": ") || strings.Contains(s, " #") ||
		strings.HasSuffix(s, ":") || s != strings.TrimSpace(s) {
		return true
	}
	return strings.IndexByte("!&*#%@`|>'\"[]{},?-", s[0]) >= 0
}

// whenPos is where byte offset at of a branch's condition stands in the
// file, or the condition's start when the text does not map onto the
// file byte for byte.
func whenPos(b Branch, at int) Pos {
	pos := b.Pos
	if b.whenCol > 0 && pos.Line > 0 && at <= len(b.When) && !strings.Contains(b.When[:at], "\n") {
		pos.Col = b.whenCol + utf8.RuneCountInString(b.When[:at])
	}
	return pos
}

// operatorError explains a condition that does not parse because of
// operators from other languages, when rewriting them makes it parse.
func (l *linter) operatorError(b Branch, what string) bool {
	fixes := operatorFixes(luaTokens(b.When))
	if len(fixes) == 0 {
		return false
	}
	fixed := applyFixes(b.When, fixes)
	if ParseCondition(fixed) != nil {
		return false
	}
	var whys, others []string
	for _, f := range fixes {
		op := b.When[f.at:f.end]
		switch w := fmt.Sprintf("%q as %q", op, f.want); {
		case op == "=":
			if len(whys) == 0 {
				whys = append(whys, `"=" sets a value; to compare, write "=="`)
			}
		case !slices.Contains(others, w):
			others = append(others, w)
		}
	}
	if len(others) > 0 {
		whys = append(whys, "Lua writes "+joinAnd(others))
	}
	l.errorf(whenPos(b, fixes[0].at), "write it as "+whenLine(fixed), "%s: not a Lua expression: %s", what, strings.Join(whys, "; "))
	return true
}

func joinAnd(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// comparison is `A == B` or `A ~= B` in a condition, by tokens.
type comparison struct {
	op          string
	left, right luaToken
}

// comparisons calls yield for each == and ~= whose operands are single
// tokens: a name or a literal standing alone between and, or, not,
// brackets and the ends of the condition (not `f(x) == a .. b`).
func comparisons(tokens []luaToken, yield func(comparison)) {
	bounds := func(i int) bool {
		if i < 0 || i >= len(tokens) {
			return true
		}
		t := tokens[i]
		return t.kind == 'n' && (t.text == "and" || t.text == "or" || t.text == "not") ||
			t.kind == 'o' && (t.text == "(" || t.text == ")")
	}
	for i := 1; i+1 < len(tokens); i++ {
		if t := tokens[i]; t.kind == 'o' && (t.text == "==" || t.text == "~=") && bounds(i-2) && bounds(i+2) {
			yield(comparison{t.text, tokens[i-1], tokens[i+1]})
		}
	}
}

// bareWords returns the names compared with a variable that are not
// variables themselves: `project.service == roofing` means 'roofing'.
func (l *linter) bareWords(tokens []luaToken) []luaToken {
	var out []luaToken
	bare := func(word, other luaToken) {
		if word.kind != 'n' || other.kind != 'n' || strings.Contains(word.text, ".") ||
			contains(luaKeywords(), word.text) || contains(conditionGlobals(), word.text) ||
			l.resolves(word.text, nil) || l.savedUnder(word.text) {
			return
		}
		if !strings.Contains(other.text, ".") && !l.resolves(other.text, nil) && !l.savedUnder(other.text) {
			return // two unknown names: no telling which is the variable
		}
		out = append(out, word)
	}
	comparisons(tokens, func(c comparison) {
		bare(c.left, c.right)
		bare(c.right, c.left)
	})
	return out
}

// quoteWords puts each word of a condition in single quotes.
func quoteWords(expr string, words []luaToken) string {
	var b strings.Builder
	last := 0
	for _, w := range words {
		b.WriteString(expr[last:w.at])
		b.WriteString("'" + expr[w.at:w.end] + "'")
		last = w.end
	}
	b.WriteString(expr[last:])
	return b.String()
}

// choiceSaves is what the choice steps that save at one path can save.
type choiceSaves struct {
	step   string   // the first choice step saving there, for messages
	ids    []string // every option id saved there
	titles []string // the options' titles, parallel to ids
}

// collectChoices records the choice steps by the path they save.
func (l *linter) collectChoices() {
	for _, name := range l.set.Order {
		f := l.set.Flows[name]
		if f == nil {
			continue
		}
		for _, s := range f.Steps {
			if s == nil || s.Kind != KindChoice || s.Save == "" || len(s.Options) == 0 {
				continue
			}
			if l.choices == nil {
				l.choices = map[string]*Step{}
			}
			if _, dup := l.choices[s.Save]; dup {
				l.moreChoices = append(l.moreChoices, s)
			} else {
				l.choices[s.Save] = s
			}
		}
	}
}

// choiceOptionsAt calls yield for each option of the choice steps that
// save at path.
func (l *linter) choiceOptionsAt(path string, yield func(Option)) {
	for _, o := range l.choices[path].Options {
		yield(o)
	}
	for _, s := range l.moreChoices {
		if s.Save == path {
			for _, o := range s.Options {
				yield(o)
			}
		}
	}
}

// isOptionID reports whether a choice step saving at path has an option
// with the given id.
func (l *linter) isOptionID(path, id string) bool {
	found := false
	l.choiceOptionsAt(path, func(o Option) { found = found || o.ID == id })
	return found
}

// choiceOptions gathers the option ids the choice steps saving at path
// can save; it runs only for conditions that compare that path with
// something else.
func (l *linter) choiceOptions(path string) choiceSaves {
	cs := choiceSaves{step: l.choices[path].ID}
	l.choiceOptionsAt(path, func(o Option) {
		if o.ID != "" && !slices.Contains(cs.ids, o.ID) {
			cs.ids = append(cs.ids, o.ID)
			cs.titles = append(cs.titles, o.Title)
		}
	})
	return cs
}

// optionValues warns where a condition compares what a choice step saves
// with text that is none of its option ids: that test never holds (==) or
// always holds (~=).
func (l *linter) optionValues(b Branch, tokens []luaToken, what string) {
	if len(l.choices) == 0 {
		return
	}
	comparisons(tokens, func(c comparison) {
		path, lit := c.left, c.right
		if path.kind != 'n' {
			path, lit = lit, path
		}
		if path.kind != 'n' || lit.kind != 's' || l.choices[path.text] == nil || l.isOptionID(path.text, lit.val) {
			return
		}
		cs := l.choiceOptions(path.text)
		guess := ""
		for i, t := range cs.titles {
			if strings.EqualFold(strings.TrimSpace(t), strings.TrimSpace(lit.val)) {
				guess = cs.ids[i]
				break
			}
		}
		if guess == "" {
			guess = closest(lit.val, cs.ids)
		}
		hint := fmt.Sprintf("the option ids are %s", strings.Join(cs.ids, ", "))
		if guess != "" && (lit.text[0] == '\'' || lit.text[0] == '"') {
			fixed := b.When[:lit.at+1] + guess + b.When[lit.end-1:]
			hint = fmt.Sprintf("did you mean %q? write it as %s", guess, whenLine(fixed))
		} else if guess != "" {
			hint = fmt.Sprintf("did you mean %q?", guess)
		}
		never := "never holds"
		if c.op == "~=" {
			never = "always holds"
		}
		l.warnf(whenPos(b, lit.at), hint, "%s: %s holds an option id of choice step %q, and %q is none of them: the test %s",
			what, path.text, cs.step, lit.val, never)
	})
}

// whenMangled reports what YAML did to a condition before Lua sees it: a
// # that starts a comment (Lua's length operator, or text) and a leading !
// read as a type tag. It reports false when the condition reads as
// written.
func (d *decoder) whenMangled(p pair, what string) bool {
	if p.v.Kind != yaml.ScalarNode {
		return false
	}
	if pos, comment, ok := d.emptyByComment(p); ok {
		if d.once(pos) {
			return true
		}
		d.errorf(pos, "put it in quotes: when: "+quote(comment, '"'), "%s: YAML reads %q as a comment, so the condition is empty", what, comment)
		return true
	}
	fix, ok := d.rawTextFix(p.v)
	if !ok {
		return false
	}
	pos := d.pos(p.v)
	pos.Col = fix.col
	if d.once(pos) {
		return true
	}
	if strings.HasPrefix(fix.text, "!") && !strings.HasPrefix(fix.text, "!=") {
		negated := "not " + strings.TrimSpace(fix.text[1:])
		d.errorf(pos, "write it as "+whenLine(negated), "%s: YAML reads %q as a type tag, and Lua writes \"!\" as \"not\"",
			what, strings.Fields(fix.text)[0])
		return true
	}
	why := strings.Replace(fix.why, "the text stops at", "the condition stops at", 1)
	why = strings.Replace(why, "the text starts at", "the condition starts at", 1)
	d.errorf(pos, "put it in quotes: when: "+quote(fix.text, '"'), "%s: %s", what, why)
	return true
}
