package engine

import (
	"strings"

	"github.com/allmyleads/allmyleads/engine/intent"
	"github.com/allmyleads/allmyleads/flows"
)

// Choice answers tolerate typos, accents and case: when a typed answer is
// no option's id, title or number (pickChoice), it is compared with each
// option's title and id, accents, case and punctuation folded and filler
// words ("please", "i need", "por favor") dropped, by edit distance
// (letters added, dropped, changed or swapped). The option within the
// threshold (one edit for words of 5 to 7 letters, two from 8; none for
// shorter ones) whose first letter is the same wins, unless another is as
// close. "roofng", "PIANTING", "somthing else", "pintúra" are read; "mother"
// (for other), "rain", "nothing" are not. engine/testdata/fuzzy_choice.yaml
// holds the near misses and the words that must not match.

// fuzzyChoice finds the option a mistyped answer means.
func fuzzyChoice(in *Inbound, opts []Option) (Option, bool) {
	text := answerText(in)
	if in.ReplyID != "" || text == "" || intent.IsQuestion(text) {
		return Option{}, false
	}
	said := dropFiller(intent.Normalize(text))
	if said == "" || hedged(said) {
		return Option{}, false
	}
	best, bestD, tie := -1, 0, false
	for i, o := range opts {
		d, ok := closeTo(said, o)
		if !ok {
			continue
		}
		switch {
		case best < 0 || d < bestD:
			best, bestD, tie = i, d, false
		case d == bestD && opts[best].ID != o.ID:
			tie = true
		}
	}
	if best < 0 || tie {
		return Option{}, false
	}
	return opts[best], true
}

// closeTo reports how close an answer is to an option: its title or id
// as a whole, or, for a one-word answer, a word of the title.
func closeTo(said string, o Option) (int, bool) {
	best, found := 0, false
	try := func(name string) {
		if d, ok := near(said, name); ok && (!found || d < best) {
			best, found = d, true
		}
	}
	for _, name := range []string{intent.Normalize(o.Title), intent.Normalize(strings.ReplaceAll(o.ID, "_", " "))} {
		if name == "" {
			continue
		}
		try(name)
		if !strings.Contains(said, " ") {
			for _, w := range strings.Fields(name) {
				try(w)
			}
		}
	}
	return best, found
}

// near reports whether a is a likely typo of b, and how many edits apart
// they are.
func near(a, b string) (int, bool) {
	ra, rb := []rune(a), []rune(b)
	n := min(len(ra), len(rb))
	limit := 0
	switch {
	case n >= 8:
		limit = 2
	case n >= 5:
		limit = 1
	}
	if limit == 0 || ra[0] != rb[0] {
		return 0, false
	}
	d := editDistance(ra, rb)
	return d, d <= limit
}

// editDistance counts the letters added, dropped, changed or swapped with
// the next one (optimal string alignment) to turn a into b.
func editDistance(a, b []rune) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// fillers are words around a choice that do not change it, folded.
var fillers = map[string]bool{
	"please": true, "pls": true, "plz": true, "thanks": true, "thank": true, "you": true, "i": true, "need": true, "want": true,
	"would": true, "like": true, "it": true, "s": true, "the": true, "a": true, "my": true, "for": true, "is": true, "its": true, "just": true,
	"por": true, "favor": true, "porfa": true, "gracias": true, "quiero": true, "necesito": true, "el": true, "la": true, "un": true, "una": true, "es": true,
	"bitte": true, "danke": true, "svp": true, "merci": true, "obrigado": true, "obrigada": true, "alsjeblieft": true,
}

// dropFiller removes filler words from a folded answer.
func dropFiller(folded string) string {
	words := strings.Fields(folded)
	kept := words[:0]
	for _, w := range words {
		if !fillers[w] {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}

// choiceOptions are a choice step's options in the customer's language.
func (t *turn) choiceOptions(s *flows.Step) []Option {
	opts := choiceOptions(s)
	lang := t.lang()
	if lang == flows.SourceLanguage {
		return opts
	}
	for i := range opts {
		if tr, ok := t.e.deps.Flows.Option(t.sess.Flow, s, opts[i].ID, lang); ok {
			opts[i].Title = tr.Title
			if tr.Description != "" {
				opts[i].Description = tr.Description
			}
		}
	}
	return opts
}

// pickAnyChoice reads a choice in the customer's language, then in the
// flows' own, then allowing for typos in either.
func (t *turn) pickAnyChoice(s *flows.Step, in *Inbound, shown []Option) (Option, bool) {
	if o, ok := pickChoice(in, shown); ok {
		return o, true
	}
	source := choiceOptions(s)
	if t.lang() != flows.SourceLanguage {
		if o, ok := pickChoice(in, source); ok {
			return o, true
		}
	}
	return fuzzyChoice(in, append(shown, source...))
}
