package flows

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// A list item written without its "- " either breaks the YAML (a key at
// the dashes' column) or, indented like the keys above it, silently joins
// the item above: its keys come back as duplicates ("duplicate key id",
// "has both say and ask"...). Both are told as one error at the line that
// lost its dash, and a joined item is split again so the rest of the file
// is checked as written.

// itemShape says which keys begin a list item of one kind.
type itemShape struct {
	noun   string
	ident  string // the key every item has: an item without it is no item
	begins func(key string, have func(string) bool) bool
}

// stepShape: a second id, or a second kind key, begins a new step.
func (d *decoder) stepShape() itemShape {
	return itemShape{noun: "step", ident: "id", begins: func(key string, have func(string) bool) bool {
		if key == "id" {
			return have("id")
		}
		if !d.isKind(key) {
			return false
		}
		for _, s := range d.specs {
			if have(string(s.Kind)) {
				return true
			}
		}
		return false
	}}
}

func optionShape() itemShape {
	return itemShape{noun: "option", ident: "id", begins: func(key string, have func(string) bool) bool {
		return (key == "id" || key == "title") && have(key)
	}}
}

func branchShape() itemShape {
	return itemShape{noun: "branch", ident: "when", begins: func(key string, have func(string) bool) bool {
		return (key == "when" || key == "next") && have(key)
	}}
}

// listItems resolves a list's items, splitting those that hold an item
// whose "- " is missing.
func (d *decoder) listItems(seq *yaml.Node, shape itemShape) []*yaml.Node {
	out := make([]*yaml.Node, 0, len(seq.Content))
	for _, item := range seq.Content {
		if d.tooBig {
			break
		}
		if item.Kind == yaml.AliasNode {
			out = append(out, d.resolve(item)) // checked where the anchor stands
			continue
		}
		n := d.resolve(item)
		if parts := d.splitItem(n, shape, seq.Column); parts != nil {
			out = append(out, parts...)
		} else {
			out = append(out, n)
		}
	}
	return out
}

// splitItem returns the mappings YAML joined into a list item's mapping
// where a "- " is missing, each reported at the line that lost its dash,
// or nil when the item is one item. dashCol is the column of the list's
// dashes.
func (d *decoder) splitItem(n *yaml.Node, shape itemShape, dashCol int) []*yaml.Node {
	if n.Kind != yaml.MappingNode || n.Style&yaml.FlowStyle != 0 || !hasDupKey(n) {
		return nil
	}
	var out []*yaml.Node
	c := n.Content
	start := 0 // first key of the item being read, an index into c
	for j := 2; j+1 < len(c); j += 2 {
		if !keyIn(c[start:j], c[j].Value) {
			continue
		}
		// c[j] repeats a key: the item below began at or before it.
		split := -1
		for s := start + 2; s <= j; s += 2 {
			have := func(key string) bool { return keyIn(c[start:s], key) }
			if shape.begins(c[s].Value, have) {
				split = s
				break
			}
		}
		if split >= 0 && !keyIn(c[split:], shape.ident) {
			split = -1 // no item below, just a key written twice
		}
		if split < 0 {
			continue // a plain duplicate key: pairs reports it
		}
		d.missingDash(c[split], shape.noun, dashCol)
		out = append(out, subMapping(c[start:split]))
		start = split
	}
	if out == nil {
		return nil // only plain duplicate keys
	}
	return append(out, subMapping(c[start:]))
}

// missingDash reports the key that begins an item without its "- ".
func (d *decoder) missingDash(k *yaml.Node, noun string, dashCol int) {
	nouns := noun + "s"
	if strings.HasSuffix(noun, "ch") {
		nouns = noun + "es"
	}
	line := strings.TrimSpace(stripComment(d.line(k.Line)))
	hint := fmt.Sprintf(`write it as "- %s", with the "-" %s, like the other %s`, shortenRight(line, 60), atColumn(dashCol-1), nouns)
	d.errorf(d.pos(k), hint, `this %s is missing its leading "- ": YAML reads its keys as more keys of the %s above`, noun, noun)
}

// hasDupKey reports whether a mapping repeats a key, without allocating:
// list items have a handful of keys.
func hasDupKey(n *yaml.Node) bool {
	c := n.Content
	for i := 0; i+1 < len(c); i += 2 {
		if c[i].Kind != yaml.ScalarNode || c[i].Tag == "!!merge" {
			return false // merge keys and odd keys: left to pairs
		}
		if keyIn(c[:i], c[i].Value) {
			return true
		}
	}
	return false
}

// keyIn reports whether the keys of a mapping's content hold key.
func keyIn(content []*yaml.Node, key string) bool {
	for i := 0; i+1 < len(content); i += 2 {
		if content[i].Value == key {
			return true
		}
	}
	return false
}

// subMapping is a mapping of some of another's keys and values, placed at
// its first key.
func subMapping(content []*yaml.Node) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: content}
	if len(content) > 0 {
		m.Line, m.Column = content[0].Line, content[0].Column
	}
	return m
}

// listNouns name the items of the lists a flow file holds, by the key that
// holds the list.
func listNouns() map[string]string {
	return map[string]string{"steps": "step", "options": "option", "if": "branch"}
}

// missingDashLine explains a key, or a { } mapping, standing at the
// column of a list's dashes when it begins an item: the item lost its
// "- ".
func (e *explainer) missingDashLine(n int, lv []level) (syntaxFinding, bool) {
	ln := e.ln(n)
	c := ln.first
	braces := ln.keyAt < 0 && strings.HasPrefix(ln.text[c:], "{")
	for i, l := range lv {
		if !l.list || l.col != c || i+1 >= len(lv) {
			continue
		}
		noun := listNouns()[lv[i+1].key]
		if noun == "" || !braces && !e.beginsItem(n, c, noun) {
			return syntaxFinding{}, false
		}
		hint := fmt.Sprintf(`write it as "- %s"`, shortenRight(strings.TrimSpace(stripComment(ln.text[c:])), 60))
		for m := n + 1; m <= len(e.src.lines); m++ {
			if next := e.ln(m); !next.blank {
				if next.first == c && next.keyAt == c {
					hint += fmt.Sprintf(" and indent the %s's other keys by 2 more spaces", noun)
				}
				break
			}
		}
		return e.at(n, c, fmt.Sprintf(`this %s is missing its leading "- "`, noun), hint), true
	}
	return syntaxFinding{}, false
}

// beginsItem reports whether the key on line n, at the column c of a
// list's dashes, begins a new item: an id (a when for branches), or a key
// the item above already has (for steps, any second kind).
func (e *explainer) beginsItem(n, c int, noun string) bool {
	key := e.ln(n).key
	if key == "id" && noun != "branch" || key == "when" && noun == "branch" {
		return true
	}
	for m := n - 1; m >= 1; m-- {
		above := e.ln(m)
		if above.blank || above.cont {
			continue
		}
		if above.first < c || above.keyAt < c {
			return false
		}
		if above.key == key || noun == "step" && isKindKey(key) && isKindKey(above.key) {
			return true
		}
		if len(above.dashes) > 0 && above.dashes[0] == c {
			return false // the item above starts here
		}
	}
	return false
}

// isKindKey reports whether key names a step kind.
func isKindKey(key string) bool {
	_, ok := KindOf(Kind(key))
	return ok
}
