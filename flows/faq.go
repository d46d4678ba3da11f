package flows

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// FAQ is one answer to a question customers ask while a step of the flow
// waits ("do you work weekends?"). The engine answers a question whose
// words hold one of Match (case, accents and punctuation aside), then asks
// the waiting question again; a question no FAQ matches is passed on to
// the business. The start flow's FAQ serves every flow.
//
//	faq:
//	  - id: weekends
//	    match: [weekend, saturday, sunday, fin de semana, sábado]
//	    answer: Yes, we work on Saturdays by arrangement.
type FAQ struct {
	ID     string
	Match  []string  // words or phrases, in any of the flows' languages
	Answer *Template // what the bot says
	Pos    Pos
}

// faqKeys are the keys of one FAQ entry.
func faqKeys() []string { return []string{"id", "match", "answer"} }

// faq decodes a flow's faq list.
func (d *decoder) faq(p pair) []FAQ {
	if p.v.Kind != yaml.SequenceNode || len(p.v.Content) == 0 {
		d.errorf(d.pos(p.v), `each entry looks like "- { id: weekends, match: [weekend, saturday], answer: ... }"`, "faq: want a list of questions and answers, got %s", describe(p.v))
		return nil
	}
	var out []FAQ
	ids := map[string]int{}
	for i, item := range p.v.Content {
		item = d.resolve(item)
		what := fmt.Sprintf("faq %d", i+1)
		f, ok := d.faqEntry(item, what)
		if !ok {
			continue
		}
		if line, dup := ids[f.ID]; dup && f.ID != "" {
			d.errorf(f.Pos, fmt.Sprintf("first at line %d", line), "%s: id %q used twice", what, f.ID)
			continue
		}
		ids[f.ID] = f.Pos.Line
		out = append(out, f)
	}
	return out
}

func (d *decoder) faqEntry(n *yaml.Node, what string) (FAQ, bool) {
	f := FAQ{Pos: d.pos(n)}
	if n.Kind != yaml.MappingNode {
		d.errorf(d.pos(n), `write it as "{ id: weekends, match: [weekend], answer: ... }"`, "%s: want a mapping with id, match and answer, got %s", what, describe(n))
		return f, false
	}
	ps := d.pairs(n)
	respell(ps, faqKeys(), func(p pair, meant string) {
		d.errorf(d.pos(p.k), fmt.Sprintf("did you mean %q?", meant), "%s: unknown key %q", what, p.key)
	})
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.key] = true
		switch p.key {
		case "id":
			if v, ok := d.word(p, what+": id"); ok {
				if err := checkName(v); err != nil {
					d.errorf(d.pos(p.v), "", "%s: id: %v", what, err)
				}
				f.ID = v
			}
		case "match":
			f.Match = d.matchWords(p, what+": match")
		case "answer":
			f.Answer = d.message(p, what+": answer", maxTextLen)
		default:
			d.errorf(d.pos(p.k), didYouMean(p.key, faqKeys()), "%s: unknown key %q", what, p.key)
		}
	}
	if f.ID != "" {
		what = fmt.Sprintf("faq %q", f.ID)
	}
	for _, k := range faqKeys() {
		if !seen[k] && !hasTypoOf(ps, k, faqKeys()) {
			d.errorf(f.Pos, faqHint(k), "%s: missing %s", what, k)
		}
	}
	return f, f.ID != "" && len(f.Match) > 0 && f.Answer != nil
}

func faqHint(key string) string {
	switch key {
	case "match":
		return "the words that make a question this one, e.g. [weekend, saturday]"
	case "answer":
		return "what the bot says to the question"
	}
	return "so translations can name it"
}

// matchWords reads a word or a list of words and phrases.
func (d *decoder) matchWords(p pair, what string) []string {
	var items []*yaml.Node
	switch p.v.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{p.v}
	case yaml.SequenceNode:
		items = p.v.Content
	}
	if len(items) == 0 {
		d.errorf(d.pos(p.v), "for example [weekend, saturday, sunday]", "%s: want words or phrases, got %s", what, describe(p.v))
		return nil
	}
	var out []string
	for _, n := range items {
		n = d.resolve(n)
		if n.Kind != yaml.ScalarNode || strings.TrimSpace(n.Value) == "" || n.Tag == "!!null" {
			d.errorf(d.pos(n), "", "%s: want a word or phrase, got %s", what, describe(n))
			continue
		}
		w := strings.TrimSpace(n.Value)
		if contains(out, w) {
			d.errorf(d.pos(n), "", "%s: %q listed twice", what, w)
			continue
		}
		out = append(out, w)
	}
	return out
}

// faqs checks the paths the answers read.
func (l *linter) faqs(f *Flow) {
	for _, q := range f.FAQ {
		l.paths(nil, fmt.Sprintf("flow %s: faq %q", f.Name, q.ID), "answer", q.Answer, nil)
	}
}
