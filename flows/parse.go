package flows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// WhatsApp's limits, as the Cloud API enforces them.
const (
	maxTextLen        = 4096 // a text message body
	maxInteractiveLen = 1024 // the body above buttons or a list
	maxOptions        = 10   // rows of a list
	maxButtons        = 3    // reply buttons
	maxButtonTitle    = 20
	maxRowTitle       = 24
	maxRowDescription = 72
	maxOptionID       = 200
)

// maxNodes bounds how many YAML nodes one file may expand to through
// anchors and aliases, so a small file cannot make loading explode.
const maxNodes = 200_000

// maxRetries bounds `retries`.
const maxRetries = 20

// ParseFile decodes one flow file. It returns the flow as far as it could be
// read (nil when the file is not a YAML mapping) and every problem found,
// sorted. It checks each step on its own (keys, kinds, values, templates,
// validate tags, WhatsApp limits); Lint checks the graph and what crosses
// files. It never panics.
func ParseFile(name string, data []byte) (*Flow, Diagnostics) {
	d := &decoder{file: name}
	f := d.parse(data)
	d.diags.Sort()
	return f, d.diags
}

// decoder reads one file. tags may be shared by a whole load.
type decoder struct {
	collector
	file    string
	src     []byte
	tags    *tagChecker
	nodes   int
	tooBig  bool
	syntax  bool // the file is not valid YAML
	specs   []KindSpec
	allKeys []string

	lineStarts []int        // byte offsets where each line starts, built by line
	textWarned map[Pos]bool // findings about texts already made (aliases read them again)
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file, Line: 1, Col: 1}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) parse(data []byte) *Flow {
	d.src = data
	d.specs = Kinds()
	d.allKeys = stepKeys(d.specs)
	root, ok := d.document(data)
	if !ok {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		d.errorf(d.pos(root), `start with "flow: NAME" and "steps:"`, "a flow file is a mapping with flow and steps, got %s", describe(root))
		return nil
	}
	f := &Flow{Keys: map[string]Pos{}, Pos: d.pos(root)}
	var stepsNode *yaml.Node
	ps := d.pairs(root)
	respell(ps, topKeys(), func(p pair, meant string) {
		d.errorf(d.pos(p.k), fmt.Sprintf("did you mean %q?", meant), "unknown key %q", p.key)
	})
	for _, p := range ps {
		f.Keys[p.key] = d.pos(p.k)
		switch p.key {
		case "flow":
			f.Pos = d.pos(p.k)
			if name, ok := d.text(p, "flow"); ok {
				if err := checkName(name); err != nil {
					d.errorf(d.pos(p.v), "", "flow: %v", err)
				} else {
					f.Name = name
				}
			}
		case "description":
			f.Description, _ = d.text(p, "description")
		case "start":
			if id, ok := d.text(p, "start"); ok {
				if id == "" {
					d.errorf(d.pos(p.v), "leave it out to start at the first step", "start: empty")
				}
				f.Start = id
			}
		case "steps":
			stepsNode = p.v
		case "faq":
			f.FAQ = d.faq(p)
		default:
			hint := didYouMean(p.key, topKeys())
			if hint == "" && contains(d.allKeys, p.key) {
				hint = "step keys go inside a step under steps:"
			}
			d.errorf(d.pos(p.k), hint, "unknown key %q", p.key)
		}
	}
	if _, ok := f.Keys["flow"]; !ok {
		d.errorf(d.pos(root), `add "flow: NAME" at the top`, "missing flow: every flow file names its flow")
	}
	if f.Name == "" {
		f.Name = strings.TrimSuffix(path.Base(d.file), path.Ext(d.file))
	}
	if stepsNode == nil {
		d.errorf(d.pos(root), "", "missing steps: a flow needs at least one step")
	} else {
		d.steps(f, stepsNode)
	}
	f.reindex()
	return f
}

// document decodes the YAML into a node tree, reporting syntax errors.
func (d *decoder) document(data []byte) (root *yaml.Node, ok bool) {
	defer func() {
		// yaml.v3 is outside our control; a panic in it must still end as
		// a diagnostic, not a crash.
		if r := recover(); r != nil {
			d.errorf(Pos{File: d.file, Line: 1, Col: 1}, "", "YAML: cannot read the file: %v", r)
			root, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorf(Pos{File: d.file, Line: 1, Col: 1}, `start with "flow: NAME" and "steps:"`, "empty file")
			return nil, false
		}
		d.yamlError(err)
		return nil, false
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.errorf(d.pos(&extra), "put each flow in its own file", "a second YAML document: one flow per file")
	case !errors.Is(err, io.EOF):
		d.yamlError(err)
	}
	if len(doc.Content) == 0 {
		d.errorf(Pos{File: d.file, Line: 1, Col: 1}, "", "empty file")
		return nil, false
	}
	root = d.resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		d.errorf(d.pos(root), `start with "flow: NAME" and "steps:"`, "empty file")
		return nil, false
	}
	return root, true
}

// resolve follows aliases and counts the nodes visited against maxNodes.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if hops > 100 {
			n = nil
			break
		}
		n = n.Alias
	}
	if n == nil {
		n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	d.nodes++
	if d.nodes > maxNodes && !d.tooBig {
		d.tooBig = true
		d.errorf(d.pos(n), "", "the file expands to more than %d YAML nodes through aliases: too large to load", maxNodes)
	}
	return n
}

// pair is one key and value of a mapping.
type pair struct {
	key  string
	k, v *yaml.Node
}

// pairs returns a mapping's keys and values in file order, with merge keys
// (<<: *anchor) expanded and duplicate keys reported.
func (d *decoder) pairs(n *yaml.Node) []pair {
	return d.pairsDepth(n, 0)
}

func (d *decoder) pairsDepth(n *yaml.Node, depth int) []pair {
	if d.tooBig || depth > 20 {
		return nil
	}
	seen := map[string]int{}
	out := make([]pair, 0, len(n.Content)/2)
	var merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), d.resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.errorf(d.pos(k), "", "a key must be a plain word, got %s", describe(k))
			continue
		}
		if k.Tag == "!!merge" {
			merged = append(merged, d.merge(v, depth+1)...)
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.errorf(d.pos(k), fmt.Sprintf("first at line %d", line), "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, pair{key: k.Value, k: k, v: v})
	}
	for _, p := range merged {
		if _, dup := seen[p.key]; !dup {
			seen[p.key] = p.k.Line
			out = append(out, p)
		}
	}
	return out
}

func (d *decoder) merge(v *yaml.Node, depth int) []pair {
	switch v.Kind {
	case yaml.MappingNode:
		return d.pairsDepth(v, depth)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range v.Content {
			if item = d.resolve(item); item.Kind == yaml.MappingNode {
				out = append(out, d.pairsDepth(item, depth)...)
			} else {
				d.errorf(d.pos(item), "", "<< merges mappings, got %s", describe(item))
			}
		}
		return out
	}
	d.errorf(d.pos(v), "", "<< merges a mapping, got %s", describe(v))
	return nil
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// text reads a scalar as text; a missing value reads as "".
func (d *decoder) text(p pair, what string) (string, bool) {
	if p.v.Kind != yaml.ScalarNode {
		if text, ok := d.colonText(p.v); ok {
			d.errorf(d.pos(p.v), "put the text in quotes: "+p.key+": "+quote(text, '"'),
				`%s: the text has ": " in it, which YAML reads as a key and its value`, what)
			return "", false
		}
		hint := ""
		if p.v.Kind == yaml.MappingNode && p.v.Style&yaml.FlowStyle != 0 {
			hint = `put quotes around text that starts with {{: "{{ lead.name }}, hello"`
		}
		d.errorf(d.pos(p.v), hint, "%s: want text, got %s", what, describe(p.v))
		return "", false
	}
	if p.v.Tag == "!!null" {
		return "", true
	}
	return p.v.Value, true
}

// word reads a non-empty scalar: an id, a target, a name.
func (d *decoder) word(p pair, what string) (string, bool) {
	s, ok := d.text(p, what)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		d.errorf(d.pos(p.v), "", "%s: empty", what)
		return "", false
	}
	return s, true
}

func (d *decoder) integer(p pair, what string, lo, hi int) (int, bool) {
	if p.v.Kind == yaml.ScalarNode && p.v.Tag == "!!int" {
		n, err := strconv.ParseInt(strings.ReplaceAll(p.v.Value, "_", ""), 0, 64)
		if err == nil {
			if n < int64(lo) || n > int64(hi) {
				d.errorf(d.pos(p.v), "", "%s: %d is out of range %d to %d", what, n, lo, hi)
				return 0, false
			}
			return int(n), true
		}
	}
	d.errorf(d.pos(p.v), "", "%s: want a whole number, got %s", what, describe(p.v))
	return 0, false
}

func (d *decoder) number(p pair, what string, lo, hi float64) (float64, bool) {
	if p.v.Kind == yaml.ScalarNode && (p.v.Tag == "!!int" || p.v.Tag == "!!float") {
		x, err := strconv.ParseFloat(strings.ReplaceAll(p.v.Value, "_", ""), 64)
		if err == nil && !math.IsNaN(x) {
			if x < lo || x > hi {
				d.errorf(d.pos(p.v), "", "%s: %g is out of range %g to %g", what, x, lo, hi)
				return 0, false
			}
			return x, true
		}
	}
	d.errorf(d.pos(p.v), "", "%s: want a number, got %s", what, describe(p.v))
	return 0, false
}

func (d *decoder) boolean(p pair, what string) (bool, bool) {
	if p.v.Kind == yaml.ScalarNode {
		switch strings.ToLower(p.v.Value) {
		case "true", "yes", "on":
			return true, true
		case "false", "no", "off":
			return false, true
		}
	}
	d.errorf(d.pos(p.v), "", "%s: want true or false, got %s", what, describe(p.v))
	return false, false
}

// template parses a text value as a template, pointing at the column of a
// problem where the value is on one line.
func (d *decoder) template(p pair, what string) *Template {
	src, ok := d.text(p, what)
	if !ok {
		return nil
	}
	t, err := ParseTemplate(src)
	if err != nil {
		var te *TemplateError
		if errors.As(err, &te) {
			d.errorf(d.offsetPos(p.v, te.Offset), te.Hint, "%s: %s", what, te.Msg)
		} else {
			d.errorf(d.pos(p.v), "", "%s: %v", what, err)
		}
		return nil
	}
	t.Pos = d.pos(p.v)
	return t
}

// offsetPos maps a byte offset in a scalar's value to its place in the
// file: exactly for one-line plain and quoted scalars without escapes and
// for literal blocks (|), otherwise the scalar's start.
func (d *decoder) offsetPos(n *yaml.Node, offset int) Pos {
	pos := d.pos(n)
	if offset < 0 || offset > len(n.Value) {
		return pos
	}
	before := n.Value[:offset]
	switch n.Style {
	case 0, yaml.FlowStyle:
		if strings.Contains(n.Value, "\n") {
			return pos
		}
	case yaml.SingleQuotedStyle:
		if strings.ContainsAny(n.Value, "\n'") {
			return pos
		}
		pos.Col++
	case yaml.DoubleQuotedStyle:
		if strings.ContainsAny(n.Value, "\n\\\"") {
			return pos
		}
		pos.Col++
	case yaml.LiteralStyle:
		indent := d.blockIndent(n.Line)
		if indent < 0 {
			return pos
		}
		lineStart := strings.LastIndexByte(before, '\n') + 1
		pos.Line += 1 + strings.Count(before, "\n")
		pos.Col = indent + 1 + utf8.RuneCountInString(before[lineStart:])
		return pos
	default:
		return pos
	}
	pos.Col += utf8.RuneCountInString(before)
	return pos
}

// verbatimCol returns the column where a one-line scalar's value starts
// when the file holds the value byte for byte there (plain, or quoted
// without escapes), else 0.
func (d *decoder) verbatimCol(n *yaml.Node) int {
	col := n.Column
	switch n.Style {
	case 0, yaml.FlowStyle:
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		col++
	default:
		return 0
	}
	line := d.line(n.Line)
	if col < 1 || col-1 > utf8.RuneCountInString(line) {
		return 0
	}
	rest := string([]rune(line)[col-1:])
	if !strings.HasPrefix(rest, n.Value) {
		return 0
	}
	return col
}

// line returns line n (1-based) of the file, without its line break, or
// "" past the end.
func (d *decoder) line(n int) string {
	return string(d.lineBytes(n))
}

// lineBytes is line without copying. The line starts are found once per
// file.
func (d *decoder) lineBytes(n int) []byte {
	if d.lineStarts == nil {
		d.lineStarts = append(make([]int, 0, 64), 0)
		for off := 0; ; {
			k := bytes.IndexByte(d.src[off:], '\n')
			if k < 0 {
				break
			}
			off += k + 1
			d.lineStarts = append(d.lineStarts, off)
		}
	}
	if n < 1 || n > len(d.lineStarts) {
		return nil
	}
	start, end := d.lineStarts[n-1], len(d.src)
	if n < len(d.lineStarts) {
		end = d.lineStarts[n] - 1
	}
	return bytes.TrimSuffix(d.src[start:end], []byte("\r"))
}

// blockIndent returns the indentation of a block scalar's content: the
// leading spaces of the first non-blank line after the given line (the one
// with the | indicator), or -1.
func (d *decoder) blockIndent(line int) int {
	rest := d.src
	for i := 0; i < line && len(rest) > 0; i++ {
		k := bytes.IndexByte(rest, '\n')
		if k < 0 {
			return -1
		}
		rest = rest[k+1:]
	}
	for len(rest) > 0 {
		l := rest
		if k := bytes.IndexByte(rest, '\n'); k >= 0 {
			l, rest = rest[:k], rest[k+1:]
		} else {
			rest = nil
		}
		if t := bytes.TrimLeft(l, " "); len(bytes.TrimSpace(t)) > 0 {
			return len(l) - len(t)
		}
	}
	return -1
}

// topKeys are the keys of a flow file's top level.
func topKeys() []string { return []string{"flow", "description", "start", "steps", "faq"} }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*$`)

// checkName checks a flow name or step id: letters, digits, _ and -.
func checkName(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("empty")
	case !nameRE.MatchString(s):
		return fmt.Errorf("%q may only use letters, digits, _ and -", s)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *decoder) steps(f *Flow, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(d.pos(n), `each step starts with "- id: NAME"`, "steps: want a list of steps, got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		d.errorf(d.pos(n), "", "steps: empty: a flow needs at least one step")
		return
	}
	firstLine := map[string]int{}
	for i, item := range d.listItems(n, d.stepShape()) {
		if d.tooBig {
			return
		}
		s := d.step(item, i)
		if s == nil {
			continue
		}
		if s.ID != "" {
			if line, dup := firstLine[s.ID]; dup {
				d.errorf(s.KeyPos("id"), fmt.Sprintf("first at line %d", line), "duplicate step id %q", s.ID)
			} else {
				firstLine[s.ID] = s.Pos.Line
			}
		}
		f.Steps = append(f.Steps, s)
	}
}

// stepLabel names a step in messages: by id, or by number when it has none.
func stepLabel(s *Step, i int) string {
	if s.ID != "" {
		return fmt.Sprintf("step %q", s.ID)
	}
	return fmt.Sprintf("step %d", i+1)
}

func (d *decoder) step(n *yaml.Node, i int) *Step {
	if n.Kind != yaml.MappingNode {
		d.errorf(d.pos(n), `a step looks like "- id: hello" then "say: Hi!"`, "step %d: want a mapping of keys, got %s", i+1, describe(n))
		return nil
	}
	s := &Step{Pos: d.pos(n), Keys: map[string]Pos{}}
	ps := d.pairs(n)
	var kinds []pair
	idAt := -1
	for k, p := range ps {
		s.Keys[p.key] = d.pos(p.k)
		if p.key == "id" {
			idAt = k
		}
		if d.isKind(p.key) {
			kinds = append(kinds, p)
		}
	}
	// A misspelt id or kind key stands for the one that is missing, so
	// its typo is the only error: no "missing id", no unknown targets.
	var typoOf map[int]string // only for steps with unknown keys
	for k, p := range ps {
		if contains(d.allKeys, p.key) {
			continue
		}
		if typoOf == nil {
			typoOf = map[int]string{}
		}
		switch g := misspelt(p.key, d.allKeys, s.Keys); {
		case g == "id" && idAt < 0:
			typoOf[k], idAt = g, k
		case g != "" && d.isKind(g) && len(kinds) == 0:
			typoOf[k] = g
			kinds = append(kinds, pair{key: g, k: p.k, v: p.v})
		}
	}
	if idAt >= 0 {
		d.stepID(s, ps[idAt], i)
	}
	label := stepLabel(s, i)
	if idAt < 0 {
		d.errorf(s.Pos, `add "id: NAME" so other steps can go to it`, "%s: missing id", label)
	}
	var spec KindSpec
	switch len(kinds) {
	case 0:
		if !d.hasKindTypo(ps) {
			d.errorf(s.Pos, "", "%s: no kind: add one of %s", label, d.kindList())
		}
	default:
		for _, extra := range kinds[1:] {
			d.errorf(d.pos(extra.k), "split it into two steps", "%s: has both %s and %s: a step does one thing", label, kinds[0].key, extra.key)
		}
		fallthrough
	case 1:
		s.Kind = Kind(kinds[0].key)
		spec, _ = d.spec(s.Kind)
		s.Keys[kinds[0].key] = d.pos(kinds[0].k)
	}
	for k, p := range ps {
		if p.key == "id" || d.isKind(p.key) {
			continue
		}
		if p.key == "description" {
			s.Keys[p.key] = d.pos(p.k)
			d.text(p, label+": description")
			continue
		}
		if _, ok := typoOf[k]; ok {
			d.errorf(d.pos(p.k), didYouMean(p.key, d.allKeys), "%s: unknown key %q", label, p.key)
			continue
		}
		if s.Kind != "" && !contains(spec.Keys, p.key) {
			if contains(d.allKeys, p.key) {
				hint := d.whoUses(p.key)
				if s.Kind == KindIf && p.key == "next" {
					hint = "an if step goes on with else when no branch holds"
				}
				d.errorf(d.pos(p.k), hint, "%s: %s does not apply to %s step", label, p.key, article(string(s.Kind)))
				continue
			}
			known := append(append(commonKeys(), spec.Keys...), string(s.Kind))
			d.errorf(d.pos(p.k), didYouMean(p.key, known), "%s: unknown key %q", label, p.key)
			// Read a misspelt key as the key it stands for (sav: as
			// save:), so its typo does not also leave the answer
			// unsaved and every {{ }} that reads it unresolved.
			if g := misspelt(p.key, known, s.Keys); g != "" && contains(spec.Keys, g) {
				s.Keys[g] = d.pos(p.k)
				d.stepKey(s, label, pair{key: g, k: p.k, v: p.v})
			}
			continue
		}
		if s.Kind == "" && !contains(d.allKeys, p.key) {
			d.errorf(d.pos(p.k), didYouMean(p.key, d.allKeys), "%s: unknown key %q", label, p.key)
			continue
		}
		d.stepKey(s, label, p)
	}
	if s.Kind == "" {
		return s
	}
	for _, r := range spec.Required {
		if _, ok := s.Keys[r]; !ok && !hasTypoOf(ps, r, d.allKeys) {
			d.errorf(s.KeyPos(string(s.Kind)), "", "%s: %s step needs %s", label, article(string(s.Kind)), r)
		}
	}
	d.kindValue(s, label, spec, kinds[0])
	d.finishStep(s, label)
	return s
}

// stepID reads a step's id.
func (d *decoder) stepID(s *Step, p pair, i int) {
	s.Keys["id"] = d.pos(p.k)
	id, ok := d.word(p, fmt.Sprintf("step %d: id", i+1))
	if !ok {
		return
	}
	if err := checkName(id); err != nil {
		d.errorf(d.pos(p.v), "", "step %d: id: %v", i+1, err)
	} else if id == End {
		d.errorf(d.pos(p.v), "pick another id", "step %d: id: %q is reserved: it ends the conversation", i+1, End)
	}
	s.ID = id
}

// respell reads each unknown key of a mapping that is a likely typo of a
// known key the mapping lacks as that key (titel: as title:), after
// report tells of the typo. The mapping is then checked as meant, so one
// typo gives one error, not also "missing title" and what follows from it.
// Other unknown keys are left for the caller to report.
func respell(ps []pair, known []string, report func(p pair, meant string)) {
	for i, p := range ps {
		if contains(known, p.key) {
			continue
		}
		g := closest(p.key, known)
		if g == "" || slices.ContainsFunc(ps, func(q pair) bool { return q.key == g }) {
			continue
		}
		report(p, g)
		ps[i].key = g
	}
}

// fieldKeys are the keys of an extract field's mapping.
func fieldKeys() []string { return []string{"type", "description", "enum", "required", "list"} }

// misspelt returns the known key an unknown key most likely stands for,
// when the mapping lacks that key, else "". Reading the value as that
// key's keeps one typo to one error.
func misspelt(key string, known []string, present map[string]Pos) string {
	g := closest(key, known)
	if _, ok := present[g]; ok {
		return ""
	}
	return g
}

func (d *decoder) isKind(key string) bool {
	for _, s := range d.specs {
		if string(s.Kind) == key {
			return true
		}
	}
	return false
}

func (d *decoder) spec(k Kind) (KindSpec, bool) {
	for _, s := range d.specs {
		if s.Kind == k {
			return s, true
		}
	}
	return KindSpec{}, false
}

func (d *decoder) kindNames() []string {
	out := make([]string, len(d.specs))
	for i, s := range d.specs {
		out[i] = string(s.Kind)
	}
	return out
}

func (d *decoder) kindList() string {
	return strings.Join(d.kindNames(), ", ")
}

// hasKindTypo reports whether an unknown key is a likely typo of a kind
// key: its own diagnostic then says enough.
func (d *decoder) hasKindTypo(ps []pair) bool {
	for _, p := range ps {
		if !contains(d.allKeys, p.key) && closest(p.key, d.kindNames()) != "" {
			return true
		}
	}
	return false
}

// hasTypoOf reports whether an unknown key is a likely typo of want: its
// own diagnostic then says enough.
func hasTypoOf(ps []pair, want string, known []string) bool {
	for _, p := range ps {
		if !contains(known, p.key) && closest(p.key, []string{want}) == want {
			return true
		}
	}
	return false
}

// whoUses returns a hint naming the kinds a key belongs to.
func (d *decoder) whoUses(key string) string {
	var kinds []string
	for _, s := range d.specs {
		if contains(s.Keys, key) {
			kinds = append(kinds, string(s.Kind))
		}
	}
	if len(kinds) == 0 {
		return ""
	}
	return fmt.Sprintf("%s belongs to %s steps", key, joinOr(kinds))
}

// article puts "a" or "an" before a kind name.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

func joinOr(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// stepKey decodes one key the step's kind allows.
func (d *decoder) stepKey(s *Step, label string, p pair) {
	what := label + ": " + p.key
	switch p.key {
	case "save":
		if v, ok := d.word(p, what); ok {
			if err := checkPath(v); err != nil {
				d.errorf(d.pos(p.v), "write a dotted path such as lead.name", "%s: %v", what, err)
				return
			}
			if root, _, _ := strings.Cut(v, "."); root == "contact" || root == "config" {
				d.errorf(d.pos(p.v), "save under lead, project or a name of your own", "%s: %s.* is built in and read-only", what, root)
				return
			}
			s.Save = v
		}
	case "validate":
		if v, ok := d.text(p, what); ok {
			s.Validate = v
			d.checkTag(p, what, v)
		}
	case "error":
		s.Error = d.message(p, what, maxTextLen)
	case "confirm":
		s.Confirm = d.message(p, what, maxTextLen)
	case "retries":
		s.Retries, _ = d.integer(p, what, 0, maxRetries)
	case "options":
		s.Options = d.options(p, label)
	case "min":
		s.Min, _ = d.integer(p, what, 0, 100)
	case "max":
		s.Max, _ = d.integer(p, what, 1, 100)
	case "done_word":
		if v, ok := d.word(p, what); ok {
			s.DoneWord = strings.TrimSpace(v)
		}
	case "else":
		s.Else, _ = d.word(p, what)
	case "accept":
		s.Accept, _ = d.word(p, what)
	case "decline":
		s.Decline, _ = d.word(p, what)
	case "next":
		s.Next, _ = d.word(p, what)
	case "on_error":
		s.OnError, _ = d.word(p, what)
	case "accept_title":
		s.AcceptTitle, _ = d.buttonTitle(p, what)
	case "decline_title":
		s.DeclineTitle, _ = d.buttonTitle(p, what)
	case "purpose":
		if v, ok := d.word(p, what); ok {
			if err := checkPath(v); err != nil || strings.Contains(v, ".") {
				d.errorf(d.pos(p.v), "for example quote_processing", "%s: %q: use one word of letters, digits and _", what, v)
			}
			s.Purpose = v
		}
	case "confirm_below":
		if s.Kind == KindAsk {
			s.ConfirmBelow, _ = d.number(p, what, 0, maxQuantity)
			return
		}
		s.ConfirmBelow, _ = d.number(p, what, 0, 1)
	case "confirm_above":
		s.ConfirmAbove, _ = d.number(p, what, 0, maxQuantity)
	case "unit":
		s.Unit, _ = d.oneOf(p, what, AskUnits())
	case "range":
		s.Range, _ = d.oneOf(p, what, RangeRules())
	case "after":
		s.After = d.after(p, s, label)
	case "valid_for":
		s.ValidFor, _ = d.duration(p, what, minAfterWait, maxValidFor)
	case "on_expiry":
		s.OnExpiry, _ = d.word(p, what)
	default:
		d.wayOutKey(s, label, p)
	}
}

// maxQuantity bounds confirm_above and an ask's confirm_below.
const maxQuantity = 1e12

// oneOf decodes a word that must be one of a list.
func (d *decoder) oneOf(p pair, what string, list []string) (string, bool) {
	v, ok := d.word(p, what)
	if !ok {
		return "", false
	}
	if !contains(list, v) {
		hint := didYouMean(v, list)
		if hint == "" {
			hint = "one of " + strings.Join(list, ", ")
		}
		d.errorf(d.pos(p.v), hint, "%s: unknown value %q", what, v)
		return "", false
	}
	return v, true
}

func (d *decoder) buttonTitle(p pair, what string) (string, bool) {
	v, ok := d.word(p, what)
	if !ok {
		return "", false
	}
	d.checkText(p, what)
	if n := utf8.RuneCountInString(v); n > maxButtonTitle {
		d.warnf(d.pos(p.v), "shorten it to show it as a button there", "%s: %q is %d characters; WhatsApp buttons show %d, so there the question is sent as a list", what, v, n, maxButtonTitle)
	}
	return v, true
}

// message parses a customer-facing text: a template that is not empty and
// fits WhatsApp's limit.
func (d *decoder) message(p pair, what string, limit int) *Template {
	t := d.template(p, what)
	if t == nil {
		return nil
	}
	if t.IsEmpty() {
		if pos, comment, ok := d.emptyByComment(p); ok {
			d.errorf(pos, "put the text in quotes: "+p.key+": "+quote(comment, '"'),
				"%s: YAML reads %q as a comment, so the text is empty", what, comment)
			return t
		}
		d.errorf(d.pos(p.v), "write what the customer should read", "%s: empty text", what)
		return t
	}
	d.checkText(p, what)
	for _, b := range singleBraces(t.Source) {
		d.warnf(d.offsetPos(p.v, b.Offset), "", "%s: text has \"%s\" — placeholders need double braces: %s", what, b.Text, b.Want)
	}
	if n := utf8.RuneCountInString(t.Source); n > limit {
		where := "in a message"
		if limit == maxInteractiveLen {
			where = "above buttons or a list"
		}
		d.warnf(d.pos(p.v), "shorten it, or split it over two steps", "%s: text is %d characters; WhatsApp takes %d %s, so there it is sent in parts", what, n, limit, where)
	}
	return t
}

func (d *decoder) checkTag(p pair, what, tag string) {
	if d.tags == nil {
		d.tags = newTagChecker()
	}
	if err := d.tags.check(tag); err != nil {
		var te *TagError
		if errors.As(err, &te) {
			d.errorf(d.pos(p.v), te.Hint, "%s: %s", what, te.Msg)
		} else {
			d.errorf(d.pos(p.v), "", "%s: %v", what, err)
		}
		return
	}
	for _, part := range strings.Split(tag, ",") {
		name, _, _ := strings.Cut(part, "=")
		if contains(fileSystemTags(), name) {
			d.warnf(d.pos(p.v), "a customer's answer is not a file name", "%s: %s checks files on the server", what, name)
		}
	}
}

// kindValue decodes the value of the kind key.
func (d *decoder) kindValue(s *Step, label string, spec KindSpec, p pair) {
	what := label + ": " + p.key
	switch {
	case spec.Text:
		limit := maxTextLen
		switch s.Kind {
		case KindChoice, KindConfirmQuote, KindConsent:
			limit = maxInteractiveLen
		}
		s.Text = d.message(p, what, limit)
	case s.Kind == KindIf:
		s.If = d.branches(p, label)
	case s.Kind == KindExtract:
		s.Extract = d.extract(p, label)
	case s.Kind == KindPlugin:
		if v, ok := d.word(p, what); ok {
			s.Plugin = v
			if !pluginRefRE.MatchString(v) {
				d.errorf(d.pos(p.v), "for example pricing.quote: plugins/pricing.lua, function quote", "%s: %q is not FILE.FUNCTION", what, v)
			}
		}
	case s.Kind == KindLink:
		if v, ok := d.word(p, what); ok {
			s.Link = v
		}
	}
}

var pluginRefRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_]*$`)

// finishStep fills defaults and checks what involves several keys.
func (d *decoder) finishStep(s *Step, label string) {
	defer d.finishWayOut(s, label)
	switch s.Kind {
	case KindPhotos:
		_, hasMin := s.Keys["min"]
		_, hasMax := s.Keys["max"]
		if !hasMin {
			s.Min = 1
		}
		if !hasMax {
			s.Max = max(10, s.Min)
		}
		if s.Min > s.Max {
			d.errorf(s.KeyPos("min"), "", "%s: min %d is more than max %d", label, s.Min, s.Max)
		}
		if s.DoneWord == "" {
			s.DoneWord = "done"
		}
	case KindAsk:
		d.finishQuantity(s, label)
	case KindExtract:
		if s.Confirm != nil && s.ConfirmBelow == 0 {
			d.warnf(s.KeyPos("confirm"), "set confirm_below, for example 0.6", "%s: confirm is never shown without confirm_below", label)
		}
	case KindConfirmQuote, KindConsent:
		if s.AcceptTitle != "" && strings.EqualFold(s.AcceptTitle, s.DeclineTitle) {
			d.errorf(s.KeyPos("decline_title"), "", "%s: accept and decline have the same title %q", label, s.AcceptTitle)
		}
	}
}

// finishQuantity checks an ask step's quantity keys: they need a numeric
// answer, and the plausible range they leave must not be empty.
func (d *decoder) finishQuantity(s *Step, label string) {
	for _, key := range []string{"unit", "confirm_above", "confirm_below", "range"} {
		if _, ok := s.Keys[key]; ok && !s.Numeric() {
			d.errorf(s.KeyPos(key), "add numeric to validate, for example validate: required,numeric", "%s: %s needs a numeric answer", label, key)
		}
	}
	if s.ConfirmAbove > 0 && s.ConfirmBelow >= s.ConfirmAbove {
		d.errorf(s.KeyPos("confirm_below"), "", "%s: confirm_below %g is not below confirm_above %g: every answer would be checked", label, s.ConfirmBelow, s.ConfirmAbove)
	}
}

func (d *decoder) options(p pair, label string) []Option {
	what := label + ": options"
	if p.v.Kind != yaml.SequenceNode {
		d.errorf(d.pos(p.v), `each option looks like "- { id: roofing, title: Roofing }"`, "%s: want a list, got %s", what, describe(p.v))
		return nil
	}
	items := d.listItems(p.v, optionShape())
	switch n := len(items); {
	case n == 0:
		d.errorf(d.pos(p.v), "", "%s: empty: a choice needs at least one option", what)
		return nil
	case n > maxOptions:
		d.warnf(d.pos(p.k), "split the question in two to show a list there", "%s: %d options; WhatsApp lists hold %d, so there the options are sent as numbered lines in the text", what, n, maxOptions)
	}
	buttons := len(items) <= maxButtons
	var out []Option
	ids, titles := map[string]int{}, map[string]int{}
	for i, item := range items {
		o, ok := d.option(item, fmt.Sprintf("%s: option %d", label, i+1), buttons)
		if !ok {
			continue
		}
		if line, dup := ids[o.ID]; dup && o.ID != "" {
			d.errorf(o.Pos, fmt.Sprintf("first at line %d", line), "%s: option id %q used twice", label, o.ID)
		} else {
			ids[o.ID] = o.Pos.Line
		}
		key := strings.ToLower(strings.TrimSpace(o.Title))
		if line, dup := titles[key]; dup && key != "" {
			d.errorf(o.Pos, fmt.Sprintf("first at line %d", line), "%s: option title %q used twice: customers could not tell them apart", label, o.Title)
		} else {
			titles[key] = o.Pos.Line
		}
		out = append(out, o)
	}
	return out
}

func (d *decoder) option(n *yaml.Node, what string, buttons bool) (Option, bool) {
	o := Option{Pos: d.pos(n)}
	if n.Kind != yaml.MappingNode {
		d.errorf(d.pos(n), `write it as "{ id: roofing, title: Roofing }"`, "%s: want a mapping with id and title, got %s", what, describe(n))
		return o, false
	}
	seen := map[string]bool{}
	ps := d.pairs(n)
	respell(ps, optionKeys(), func(p pair, meant string) {
		d.errorf(d.pos(p.k), fmt.Sprintf("did you mean %q?", meant), "%s: unknown key %q", what, p.key)
	})
	for _, p := range ps {
		seen[p.key] = true
		switch p.key {
		case "id":
			if v, ok := d.word(p, what+": id"); ok {
				o.ID = v
				if n := utf8.RuneCountInString(v); n > maxOptionID {
					d.errorf(d.pos(p.v), "", "%s: id is %d characters; WhatsApp allows %d", what, n, maxOptionID)
				}
			}
		case "title":
			tw := what + ": title"
			if v, ok := d.word(p, tw); ok {
				d.checkText(p, tw)
				o.Title = v
				n := utf8.RuneCountInString(v)
				switch {
				case buttons && n > maxButtonTitle:
					d.warnf(d.pos(p.v), "shorten it to show buttons there", "%s: title %q is %d characters; WhatsApp buttons show %d, so there the question is sent as a list", what, v, n, maxButtonTitle)
				case n > maxRowTitle:
					d.warnf(d.pos(p.v), "put the rest in description", "%s: title %q is %d characters; WhatsApp lists show %d, so there it is cut with …", what, v, n, maxRowTitle)
				}
			}
		case "description":
			dw := what + ": description"
			if v, ok := d.text(p, dw); ok {
				d.checkText(p, dw)
				o.Description = v
				if n := utf8.RuneCountInString(v); n > maxRowDescription {
					d.warnf(d.pos(p.v), "shorten it", "%s: description is %d characters; WhatsApp lists show %d, so there it is cut", what, n, maxRowDescription)
				}
				if buttons && v != "" {
					d.warnf(d.pos(p.v), "descriptions show only in lists of 4 to 10 options", "%s: description is not shown on a button", what)
				}
			}
		case "next":
			o.Next, _ = d.word(p, what+": next")
		default:
			d.errorf(d.pos(p.k), didYouMean(p.key, optionKeys()), "%s: unknown key %q", what, p.key)
		}
	}
	if !seen["id"] && !hasTypoOf(ps, "id", optionKeys()) {
		d.errorf(o.Pos, "the id is what gets saved", "%s: missing id", what)
	}
	if !seen["title"] && !hasTypoOf(ps, "title", optionKeys()) {
		d.errorf(o.Pos, "the title is what the customer sees", "%s: missing title", what)
	}
	return o, true
}

func optionKeys() []string { return []string{"id", "title", "description", "next"} }

func (d *decoder) branches(p pair, label string) []Branch {
	what := label + ": if"
	if p.v.Kind != yaml.SequenceNode {
		d.errorf(d.pos(p.v), `write "- when: CONDITION" then "next: STEP"`, "%s: want a list of branches, got %s", what, describe(p.v))
		return nil
	}
	if len(p.v.Content) == 0 {
		d.errorf(d.pos(p.v), "", "%s: empty: needs at least one branch", what)
		return nil
	}
	var out []Branch
	for i, item := range d.listItems(p.v, branchShape()) {
		bw := fmt.Sprintf("%s: branch %d", what, i+1)
		if item.Kind != yaml.MappingNode {
			d.errorf(d.pos(item), `write "- when: CONDITION" then "next: STEP"`, "%s: want a mapping with when and next, got %s", bw, describe(item))
			continue
		}
		b := Branch{Pos: d.pos(item), NextPos: d.pos(item)}
		seen := map[string]bool{}
		bps := d.pairs(item)
		respell(bps, []string{"when", "next"}, func(p pair, meant string) {
			d.errorf(d.pos(p.k), fmt.Sprintf("did you mean %q?", meant), "%s: unknown key %q", bw, p.key)
		})
		for _, bp := range bps {
			seen[bp.key] = true
			switch bp.key {
			case "when":
				b.Pos = d.pos(bp.v)
				if d.whenMangled(bp, bw+": when") {
					b.When, b.mangled = bp.v.Value, true
					break
				}
				if v, ok := d.word(bp, bw+": when"); ok {
					b.When = v
					b.whenCol = d.verbatimCol(bp.v)
				}
			case "next":
				b.NextPos = d.pos(bp.k)
				b.Next, _ = d.word(bp, bw+": next")
			default:
				d.errorf(d.pos(bp.k), didYouMean(bp.key, []string{"when", "next"}), "%s: unknown key %q", bw, bp.key)
			}
		}
		if !seen["when"] && !hasTypoOf(bps, "when", []string{"when", "next"}) {
			d.errorf(d.pos(item), "a Lua condition such as project.service == 'roofing'", "%s: missing when", bw)
		}
		if !seen["next"] && !hasTypoOf(bps, "next", []string{"when", "next"}) {
			d.errorf(d.pos(item), "the step to go to when the condition holds", "%s: missing next", bw)
		}
		out = append(out, b)
	}
	return out
}

func extractKeys() []string { return []string{"from", "instructions", "fields"} }

// FieldTypes are the value types an extract field may have.
func FieldTypes() []string { return []string{"string", "number", "integer", "boolean", "date"} }

func (d *decoder) extract(p pair, label string) *Extract {
	what := label + ": extract"
	if p.v.Kind != yaml.MappingNode {
		d.errorf(d.pos(p.v), "", "%s: want a mapping with from, instructions and fields, got %s", what, describe(p.v))
		return nil
	}
	e := &Extract{FromPos: d.pos(p.v)}
	seen := map[string]bool{}
	eps := d.pairs(p.v)
	respell(eps, extractKeys(), func(p pair, meant string) {
		d.errorf(d.pos(p.k), fmt.Sprintf("did you mean %q?", meant), "%s: unknown key %q", what, p.key)
	})
	for _, ep := range eps {
		seen[ep.key] = true
		switch ep.key {
		case "from":
			e.FromPos = d.pos(ep.v)
			if v, ok := d.word(ep, what+": from"); ok {
				if err := checkPath(v); err != nil {
					d.errorf(d.pos(ep.v), "", "%s: from: %v", what, err)
				} else {
					e.From = v
				}
			}
		case "instructions":
			iw := what + ": instructions"
			e.Instructions, _ = d.text(ep, iw)
			d.checkText(ep, iw)
		case "fields":
			e.Fields = d.fields(ep, what+": fields")
		default:
			d.errorf(d.pos(ep.k), didYouMean(ep.key, extractKeys()), "%s: unknown key %q", what, ep.key)
		}
	}
	if !seen["from"] && !hasTypoOf(eps, "from", extractKeys()) {
		d.errorf(d.pos(p.v), "the variable holding the photos or text, e.g. project.photos", "%s: missing from", what)
	}
	if !seen["fields"] && !hasTypoOf(eps, "fields", extractKeys()) {
		d.errorf(d.pos(p.v), "", "%s: missing fields: say what to read", what)
	}
	return e
}

func (d *decoder) fields(p pair, what string) []Field {
	if p.v.Kind != yaml.MappingNode {
		d.errorf(d.pos(p.v), "write NAME: { type: number }", "%s: want a mapping of field names, got %s", what, describe(p.v))
		return nil
	}
	ps := d.pairs(p.v)
	if len(ps) == 0 {
		d.errorf(d.pos(p.v), "", "%s: empty: say what to read", what)
	}
	var out []Field
	for _, fp := range ps {
		fw := fmt.Sprintf("%s: %s", what, fp.key)
		f := Field{Name: fp.key, Pos: d.pos(fp.k)}
		if err := checkPath(fp.key); err != nil || strings.Contains(fp.key, ".") {
			d.errorf(d.pos(fp.k), "for example area_m2", "%s: a field name is one word of letters, digits and _", fw)
		}
		d.field(&f, fp, fw)
		out = append(out, f)
	}
	return out
}

func (d *decoder) field(f *Field, p pair, what string) {
	typeNode := p.v
	var hasEnum bool
	switch p.v.Kind {
	case yaml.ScalarNode: // shorthand: `area_m2: number`
		if p.v.Tag == "!!null" {
			f.Type = "string"
			return
		}
	case yaml.MappingNode:
		typeNode = nil
		fps := d.pairs(p.v)
		respell(fps, fieldKeys(), func(p pair, meant string) {
			d.errorf(d.pos(p.k), fmt.Sprintf("did you mean %q?", meant), "%s: unknown key %q", what, p.key)
		})
		for _, fp := range fps {
			switch fp.key {
			case "type":
				typeNode = fp.v
			case "description":
				dw := what + ": description"
				f.Description, _ = d.text(fp, dw)
				d.checkText(fp, dw)
			case "enum":
				hasEnum = true
				f.Enum = d.enum(fp, what+": enum")
			case "required":
				f.Required, _ = d.boolean(fp, what+": required")
			case "list":
				f.List, _ = d.boolean(fp, what+": list")
			default:
				d.errorf(d.pos(fp.k), didYouMean(fp.key, fieldKeys()), "%s: unknown key %q", what, fp.key)
			}
		}
	default:
		d.errorf(d.pos(p.v), "write { type: number } or just number", "%s: want a type or a mapping, got %s", what, describe(p.v))
		return
	}
	f.Type = "string"
	if typeNode != nil {
		if typeNode.Kind != yaml.ScalarNode {
			d.errorf(d.pos(typeNode), "", "%s: type: want one of %s or enum, got %s", what, strings.Join(FieldTypes(), ", "), describe(typeNode))
		} else {
			t := typeNode.Value
			switch {
			case t == "enum":
				if !hasEnum {
					d.errorf(d.pos(typeNode), "list the allowed values: enum: [tiles, slate]", "%s: type enum needs enum", what)
				}
			case contains(FieldTypes(), t):
				f.Type = t
				if hasEnum && t != "string" {
					d.errorf(d.pos(typeNode), "use type string or enum", "%s: enum only fits text, not type %s", what, t)
				}
			default:
				d.errorf(d.pos(typeNode), didYouMean(t, append(FieldTypes(), "enum")), "%s: unknown type %q", what, t)
			}
		}
	}
}

func (d *decoder) enum(p pair, what string) []string {
	if p.v.Kind != yaml.SequenceNode || len(p.v.Content) == 0 {
		d.errorf(d.pos(p.v), "for example [tiles, slate, metal]", "%s: want a list of values, got %s", what, describe(p.v))
		return nil
	}
	var out []string
	for _, item := range p.v.Content {
		item = d.resolve(item)
		if item.Kind != yaml.ScalarNode || strings.TrimSpace(item.Value) == "" {
			d.errorf(d.pos(item), "", "%s: want a word, got %s", what, describe(item))
			continue
		}
		if contains(out, item.Value) {
			d.errorf(d.pos(item), "", "%s: %q listed twice", what, item.Value)
			continue
		}
		out = append(out, item.Value)
	}
	return out
}
