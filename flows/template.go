package flows

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Template is a text with {{ path }} and {{ path | filter "arg" }}
// placeholders, parsed once at load and rendered many times by the engine.
// A parsed Template is immutable and safe for concurrent use.
type Template struct {
	Source string
	Parts  []Part
	Pos    Pos // where the text stands in its file
}

// Part is a literal text (Path empty) or a placeholder.
type Part struct {
	Text    string   // literal text, when Path is empty
	Path    string   // dotted variable path of a placeholder
	Filters []Filter // applied left to right
}

// Filter is one `| name "arg"...` of a placeholder.
type Filter struct {
	Name string
	Args []string
}

// FilterFunc applies a filter to a value. The engine adds the filters that
// need its context (money); BaseFilters holds the rest.
type FilterFunc func(v any, args []string) (any, error)

// FilterNames lists every filter the language knows, for the linter and the
// schema: money, upper, lower, title, default.
var FilterNames = []string{"money", "upper", "lower", "title", "default"}

// filterArity says how many arguments each filter of FilterNames takes.
var filterArity = map[string][2]int{
	"money":   {0, 1}, // optional currency code
	"upper":   {0, 0},
	"lower":   {0, 0},
	"title":   {0, 0},
	"default": {1, 1},
}

// TemplateError is a text that does not parse as a template, with the byte
// offset in the source where the problem starts.
type TemplateError struct {
	Offset int
	Msg    string
	Hint   string // e.g. `did you mean "upper"?`
}

// Error returns the message with its hint.
func (e *TemplateError) Error() string {
	if e.Hint != "" {
		return e.Msg + " (" + e.Hint + ")"
	}
	return e.Msg
}

// ParseTemplate parses a text with {{ path }} and
// {{ path | filter "arg" | filter2 }} placeholders. It fails with a
// *TemplateError on unclosed braces, an empty or malformed path, an unknown
// filter or the wrong arguments for a filter.
func ParseTemplate(src string) (*Template, error) {
	t := &Template{Source: src}
	i := 0
	for i < len(src) {
		j := strings.Index(src[i:], "{{")
		if j < 0 {
			t.Parts = append(t.Parts, Part{Text: src[i:]})
			break
		}
		if j > 0 {
			t.Parts = append(t.Parts, Part{Text: src[i : i+j]})
		}
		start := i + j
		p := placeholderParser{src: src, pos: start + 2, open: start}
		part, err := p.parse()
		if err != nil {
			return nil, err
		}
		t.Parts = append(t.Parts, part)
		i = p.pos
	}
	return t, nil
}

// placeholderParser reads one {{ ... }} from just after its opening braces.
type placeholderParser struct {
	src  string
	pos  int
	open int // offset of the opening braces
}

func (p *placeholderParser) fail(at int, hint, format string, args ...any) error {
	return &TemplateError{Offset: at, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// peek returns the character at the current position, for messages.
func (p *placeholderParser) peek() string {
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return string(r)
}

func (p *placeholderParser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

func (p *placeholderParser) unclosed() error {
	return p.fail(p.open, `close it with "}}"`, "unclosed {{")
}

func (p *placeholderParser) parse() (Part, error) {
	p.skipSpace()
	at := p.pos
	path := p.word(isPathByte)
	if path == "" {
		switch {
		case p.pos >= len(p.src):
			return Part{}, p.unclosed()
		case strings.HasPrefix(p.src[p.pos:], "}}"):
			return Part{}, p.fail(p.open, `write a variable such as {{ lead.name }}`, "empty placeholder {{ }}")
		}
		return Part{}, p.fail(at, "", "unexpected %q in placeholder: a variable path such as lead.name comes first", p.peek())
	}
	if err := checkPath(path); err != nil {
		return Part{}, p.fail(at, "", "bad path %q: %v", path, err)
	}
	part := Part{Path: path}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return Part{}, p.unclosed()
		}
		if strings.HasPrefix(p.src[p.pos:], "}}") {
			p.pos += 2
			return part, nil
		}
		if p.src[p.pos] != '|' {
			if strings.HasPrefix(p.src[p.pos:], "{{") {
				return Part{}, p.unclosed()
			}
			return Part{}, p.fail(p.pos, `filters follow a "|"`, "unexpected %q after %s", p.src[p.pos:p.pos+1], path)
		}
		p.pos++
		f, err := p.filter()
		if err != nil {
			return Part{}, err
		}
		part.Filters = append(part.Filters, f)
	}
}

func (p *placeholderParser) filter() (Filter, error) {
	p.skipSpace()
	at := p.pos
	name := p.word(isIdentByte)
	if name == "" {
		if p.pos >= len(p.src) {
			return Filter{}, p.unclosed()
		}
		return Filter{}, p.fail(at, "known filters: "+strings.Join(FilterNames, ", "), "missing filter name after \"|\"")
	}
	arity, ok := filterArity[name]
	if !ok {
		hint := didYouMean(name, FilterNames)
		if hint == "" {
			hint = "known filters: " + strings.Join(FilterNames, ", ")
		}
		return Filter{}, p.fail(at, hint, "unknown filter %q", name)
	}
	f := Filter{Name: name}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return Filter{}, p.unclosed()
		}
		c := p.src[p.pos]
		if c == '|' || strings.HasPrefix(p.src[p.pos:], "}}") {
			break
		}
		var arg string
		var err error
		switch {
		case c == '"' || c == '\'':
			arg, err = p.quoted()
		case c == '-' || c == '.' || (c >= '0' && c <= '9'):
			arg = p.word(isNumberByte)
		default:
			err = p.fail(p.pos, `quote text arguments: default "there"`, "filter %s: unexpected %q", name, p.peek())
		}
		if err != nil {
			return Filter{}, err
		}
		f.Args = append(f.Args, arg)
	}
	if n := len(f.Args); n < arity[0] || n > arity[1] {
		return Filter{}, p.fail(at, filterUsage(name), "filter %s takes %s, got %d", name, arityText(arity), n)
	}
	return f, nil
}

func filterUsage(name string) string {
	switch name {
	case "default":
		return `use it as {{ contact.name | default "there" }}`
	case "money":
		return `use it as {{ quote.total | money }} or {{ quote.total | money "EUR" }}`
	}
	return "use it as {{ lead.name | " + name + " }}"
}

func arityText(a [2]int) string {
	switch {
	case a[0] == a[1] && a[0] == 0:
		return "no arguments"
	case a[0] == a[1] && a[0] == 1:
		return "one argument"
	case a[0] == a[1]:
		return fmt.Sprintf("%d arguments", a[0])
	}
	return fmt.Sprintf("%d to %d arguments", a[0], a[1])
}

func (p *placeholderParser) quoted() (string, error) {
	q := p.src[p.pos]
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.src):
			p.pos++
			switch e := p.src[p.pos]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
		p.pos++
	}
	return "", p.fail(start, "", "unclosed quote in {{")
}

func (p *placeholderParser) word(ok func(byte) bool) string {
	start := p.pos
	for p.pos < len(p.src) && ok(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isPathByte(c byte) bool { return isIdentByte(c) || c == '.' }

func isNumberByte(c byte) bool { return c == '-' || c == '.' || c >= '0' && c <= '9' }

// braceSlip is a placeholder written with single braces, { lead.name },
// in a template's literal text: customers would see the braces.
type braceSlip struct {
	Offset int    // byte offset in the source
	Text   string // as written
	Want   string // with double braces
}

var singleBraceRE = regexp.MustCompile(`\{[ \t]*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)[ \t]*(\|[^{}\n]*)?\}`)

// singleBraces finds placeholders written with single braces in the
// literal text of a template source that parses: {name}, { lead.name },
// { quote.total | money }.
func singleBraces(src string) []braceSlip {
	var out []braceSlip
	literal := func(from, to int) {
		for _, m := range singleBraceRE.FindAllStringSubmatchIndex(src[from:to], -1) {
			want := "{{ " + src[from+m[2]:from+m[3]]
			if m[4] >= 0 {
				want += " | " + strings.TrimSpace(src[from+m[4]+1:from+m[5]])
			}
			out = append(out, braceSlip{Offset: from + m[0], Text: src[from+m[0] : from+m[1]], Want: want + " }}"})
		}
	}
	for i := 0; i < len(src); {
		j := strings.Index(src[i:], "{{")
		if j < 0 {
			literal(i, len(src))
			break
		}
		literal(i, i+j)
		p := placeholderParser{src: src, pos: i + j + 2, open: i + j}
		if _, err := p.parse(); err != nil {
			break
		}
		i = p.pos
	}
	return out
}

// checkPath checks a dotted variable path: words of letters, digits and _
// joined by dots, the first starting with a letter or _.
func checkPath(path string) error {
	if path == "" {
		return errors.New("empty path")
	}
	for i, seg := range strings.Split(path, ".") {
		if seg == "" {
			return errors.New("empty part between dots")
		}
		for k := 0; k < len(seg); k++ {
			if !isIdentByte(seg[k]) {
				return fmt.Errorf("%q may only use letters, digits and _", seg)
			}
		}
		if i == 0 && seg[0] >= '0' && seg[0] <= '9' {
			return fmt.Errorf("%q must start with a letter", seg)
		}
	}
	return nil
}

// Render fills the placeholders: lookup returns a path's value (a missing
// path renders as ""), filters are applied left to right, and the result is
// formatted with FormatValue. A nil Template renders as "".
func (t *Template) Render(lookup func(path string) (any, bool), filters map[string]FilterFunc) (string, error) {
	if t == nil {
		return "", nil
	}
	var b strings.Builder
	for _, part := range t.Parts {
		if part.Path == "" {
			b.WriteString(part.Text)
			continue
		}
		var v any
		if lookup != nil {
			if x, ok := lookup(part.Path); ok {
				v = x
			}
		}
		for _, f := range part.Filters {
			fn := filters[f.Name]
			if fn == nil {
				return "", fmt.Errorf("render {{ %s }}: filter %q is not available", part.Path, f.Name)
			}
			var err error
			if v, err = fn(v, f.Args); err != nil {
				return "", fmt.Errorf("render {{ %s | %s }}: %w", part.Path, f.Name, err)
			}
		}
		b.WriteString(FormatValue(v))
	}
	return b.String(), nil
}

// Paths returns the variable paths the template reads, each once, in order.
func (t *Template) Paths() []string {
	if t == nil {
		return nil
	}
	var out []string
	for _, part := range t.Parts {
		if part.Path != "" && !slices.Contains(out, part.Path) {
			out = append(out, part.Path)
		}
	}
	return out
}

// IsEmpty reports whether the template renders nothing but white space
// whatever the variables hold: no placeholders and blank literal text.
func (t *Template) IsEmpty() bool {
	if t == nil {
		return true
	}
	for _, part := range t.Parts {
		if part.Path != "" || strings.TrimSpace(part.Text) != "" {
			return false
		}
	}
	return true
}

// FormatValue renders a variable's value the way templates show it: nil as
// "", numbers without trailing zeros (42, 12.5), lists joined with ", ".
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case json.Number:
		return x.String()
	case fmt.Stringer:
		return x.String()
	case []string:
		return strings.Join(x, ", ")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = FormatValue(e)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// BaseFilters returns the filters that need no context: upper, lower, title
// and default "x". The engine adds money, which needs the currency.
func BaseFilters() map[string]FilterFunc {
	return map[string]FilterFunc{
		"upper": func(v any, _ []string) (any, error) { return strings.ToUpper(FormatValue(v)), nil },
		"lower": func(v any, _ []string) (any, error) { return strings.ToLower(FormatValue(v)), nil },
		"title": func(v any, _ []string) (any, error) { return titleCase(FormatValue(v)), nil },
		"default": func(v any, args []string) (any, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("default takes one argument, got %d", len(args))
			}
			if strings.TrimSpace(FormatValue(v)) == "" {
				return args[0], nil
			}
			return v, nil
		},
	}
}

// titleCase upper-cases the first letter of each word and lower-cases the
// rest: "jANE de vries" becomes "Jane De Vries".
func titleCase(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == '-':
			start = true
			b.WriteRune(r)
		case start:
			b.WriteRune(unicode.ToTitle(r))
			start = false
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
