package flows

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// This file finds where YAML silently changes a text in a file that loads:
// a comment that cuts an unquoted text (`ask: order #12` reads "order"), an
// anchor or a tag at its start (`&copy 2024` reads "2024", `!urgent Call`
// reads "Call"), and a ": " that turns text written below its key into a key
// and a value. yaml.v3 keeps only the value, so the checks read the raw line
// the value stands on. Each finding names the line as it should be written.

// rawFrom returns line `line` of the file from character column col (both
// 1-based) to its end, or false when the line is shorter.
func (d *decoder) rawFrom(line, col int) (string, bool) {
	t := d.line(line)
	at := byteOffset(t, col)
	if at < 0 {
		return "", false
	}
	return t[at:], true
}

// byteOffset converts a 1-based character column of t into a byte offset,
// or -1 past the end.
func byteOffset(t string, col int) int {
	if col < 1 {
		return -1
	}
	n := 1
	for i := range t {
		if n == col {
			return i
		}
		n++
	}
	if n == col {
		return len(t)
	}
	return -1
}

// textFix is what a raw line shows about one text value.
type textFix struct {
	col  int    // where the trouble starts (1-based character column)
	why  string // what YAML did, in plain words
	text string // the text as the author meant it
}

// rawTextFix looks at a one-line scalar text value in the raw file and
// reports what YAML changed: a tag or an unused anchor before it, or a
// comment that cuts it. It reports false when the text reads as written.
func (d *decoder) rawTextFix(v *yaml.Node) (textFix, bool) {
	if v.Kind != yaml.ScalarNode || v.Line < 1 || strings.Contains(v.Value, "\n") || !d.mayChange(v) {
		return textFix{}, false
	}
	raw, ok := d.rawFrom(v.Line, v.Column)
	if !ok || raw == "" {
		return textFix{}, false
	}
	fix := textFix{col: v.Column, text: v.Value}
	body := raw
	switch c := raw[0]; {
	case c == '!' && !strings.HasPrefix(raw, "!!"), c == '&' && v.Anchor != "" && !d.aliased(v.Anchor):
		token, rest, _ := strings.Cut(raw, " ")
		rest = strings.TrimLeft(rest, " \t")
		if c == '!' {
			fix.why = fmt.Sprintf("YAML reads %q as a type tag, so the text starts at %q", token, v.Value)
		} else {
			fix.why = fmt.Sprintf("YAML reads %q as an anchor (a name to reuse the value by), so the text starts at %q", token, v.Value)
		}
		fix.text = token + " " + v.Value
		body = rest
		if v.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
			return fix, true
		}
	case c == '!' || c == '&':
		return textFix{}, false // !!str and anchors that are used are meant
	}
	if v.Style&^yaml.TaggedStyle != 0 || !strings.HasPrefix(body, v.Value) {
		return fix, fix.why != ""
	}
	after := body[len(v.Value):]
	comment := strings.TrimLeft(after, " \t")
	if !strings.HasPrefix(comment, "#") || isNote(after[:len(after)-len(comment)], comment) {
		return fix, fix.why != ""
	}
	hashAt := len(raw) - len(comment)
	comment = strings.TrimRight(comment, " \t")
	if fix.why == "" {
		fix.col = v.Column + utf8.RuneCountInString(raw[:hashAt])
		fix.why = fmt.Sprintf("YAML reads %q as a comment, so the text stops at %q", comment, v.Value)
	}
	fix.text += after[:len(after)-len(strings.TrimLeft(after, " \t"))] + comment
	return fix, true
}

// mayChange is a quick look, without copying the line, for what
// rawTextFix looks for: a value that starts with ! or &, or a # after it.
func (d *decoder) mayChange(v *yaml.Node) bool {
	lb := d.lineBytes(v.Line)
	at := 0
	for n := 1; n < v.Column && at < len(lb); n++ {
		_, size := utf8.DecodeRune(lb[at:])
		at += size
	}
	if at >= len(lb) {
		return false
	}
	return lb[at] == '!' || lb[at] == '&' || bytes.IndexByte(lb[at:], '#') >= 0
}

// isNote reports whether a comment after a text is clearly meant as a
// note: at least two spaces (or a tab) before the # and a space after it.
// Anything else, like "order #12", is text that YAML cut.
func isNote(gap, comment string) bool {
	wide := len(gap) >= 2 || strings.Contains(gap, "\t")
	spaced := len(comment) == 1 || comment[1] == ' ' || comment[1] == '\t'
	return wide && spaced
}

// aliased reports whether the file refers to an anchor: *name somewhere.
func (d *decoder) aliased(anchor string) bool {
	return bytes.Contains(d.src, []byte("*"+anchor))
}

// checkText warns when YAML read a text value other than as written.
// A value reused through an alias or a merge key is reported once, where
// it stands.
func (d *decoder) checkText(p pair, what string) {
	fix, ok := d.rawTextFix(p.v)
	if !ok {
		return
	}
	pos := d.pos(p.v)
	pos.Col = fix.col
	if d.once(pos) {
		return
	}
	d.warnf(pos, "put the text in quotes: "+p.key+": "+quote(fix.text, '"'), "%s: %s", what, fix.why)
}

// once reports whether a finding at pos was already made: values reused
// through aliases are read again where the anchor stands.
func (d *decoder) once(pos Pos) bool {
	if d.textWarned[pos] {
		return true
	}
	if d.textWarned == nil {
		d.textWarned = map[Pos]bool{}
	}
	d.textWarned[pos] = true
	return false
}

// emptyByComment explains a text key whose whole value YAML read as a
// comment (`ask: #12 is your order?`): it returns the position of the #
// and the text, or false.
func (d *decoder) emptyByComment(p pair) (Pos, string, bool) {
	if p.v.Kind != yaml.ScalarNode || p.v.Tag != "!!null" {
		return Pos{}, "", false
	}
	raw, ok := d.rawFrom(p.k.Line, p.k.Column)
	if !ok {
		return Pos{}, "", false
	}
	rest, ok := strings.CutPrefix(raw, p.key)
	if !ok || !strings.HasPrefix(rest, ":") {
		return Pos{}, "", false
	}
	rest = rest[1:]
	comment := strings.TrimLeft(rest, " \t")
	if !strings.HasPrefix(comment, "#") || len(comment) < 2 {
		return Pos{}, "", false
	}
	pos := d.pos(p.k)
	pos.Col += utf8.RuneCountInString(raw[:len(raw)-len(comment)])
	return pos, strings.TrimRight(comment, " \t"), true
}

// colonText explains a text key whose value YAML read as a mapping because
// the text, written on the line below, holds ": " (`say:` then `Call us:
// 555`): it returns the text as written, or false.
func (d *decoder) colonText(v *yaml.Node) (string, bool) {
	if v.Kind != yaml.MappingNode || v.Style&yaml.FlowStyle != 0 || len(v.Content) != 2 {
		return "", false
	}
	k, val := v.Content[0], v.Content[1]
	if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode || k.Style != 0 || val.Style != 0 ||
		k.Line != val.Line || strings.Contains(val.Value, "\n") {
		return "", false
	}
	raw, ok := d.rawFrom(k.Line, k.Column)
	if !ok {
		return "", false
	}
	text := strings.TrimRight(stripComment(raw), " \t")
	if !strings.HasPrefix(text, k.Value+":") || !strings.HasSuffix(text, val.Value) {
		return "", false
	}
	return text, true
}
