package flows

import (
	"fmt"
	"strings"
)

// closest returns the candidate nearest to word by edit distance
// (insertions, deletions, substitutions and swaps of neighbours), or "" when
// none is near enough to be a likely typo.
func closest(word string, candidates []string) string {
	if word == "" {
		return ""
	}
	w := []rune(strings.ToLower(word))
	limit := 1
	switch n := len(w); {
	case n >= 10:
		limit = n / 3
	case n >= 4:
		limit = 2
	}
	best, bestD := "", limit+1
	for _, c := range candidates {
		if c == word || c == "" {
			continue
		}
		cr := []rune(strings.ToLower(c))
		if abs(len(cr)-len(w)) >= bestD {
			continue
		}
		if d := editDistance(w, cr); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// didYouMean returns a hint naming the closest candidate, or "".
func didYouMean(word string, candidates []string) string {
	if c := closest(word, candidates); c != "" {
		return fmt.Sprintf("did you mean %q?", c)
	}
	return ""
}

// editDistance is the optimal string alignment distance: Levenshtein plus
// swaps of two neighbouring letters, which are the commonest typos.
func editDistance(a, b []rune) int {
	if len(a) == 0 {
		return len(b)
	}
	if len(b) == 0 {
		return len(a)
	}
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
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// suggestions returns what a misspelt name most likely meant, at most
// three: the nearest candidate by edit distance, then the candidates that
// contain it or that it contains ("ask_email" for "email"). Names shorter
// than three letters and `end` are not matched by substring.
func suggestions(word string, candidates []string) []string {
	var out []string
	if c := closest(word, candidates); c != "" {
		out = append(out, c)
	}
	w := strings.ToLower(word)
	if len(w) < 3 {
		return out
	}
	for _, c := range candidates {
		if len(out) == 3 {
			break
		}
		lc := strings.ToLower(c)
		if len(lc) < 3 || c == End || lc == w || !strings.Contains(lc, w) && !strings.Contains(w, lc) || contains(out, c) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// guessTarget returns the step a misspelt target most likely meant: the
// nearest by edit distance, else the only one that contains it or that it
// contains; "" when there is none or several.
func guessTarget(word string, ids []string) string {
	if c := closest(word, ids); c != "" {
		return c
	}
	if s := suggestions(word, ids); len(s) == 1 {
		return s[0]
	}
	return ""
}

// maxListed bounds how many names a hint lists.
const maxListed = 12

// targetHint explains a target that names no step: what it most likely
// meant, whether it is a flow, and the flow's steps. ids are the step ids
// a target may name, with `end` last where it may be named.
func targetHint(word, flow string, ids []string, isFlow bool) string {
	var b strings.Builder
	if s := suggestions(word, ids); len(s) > 0 {
		b.WriteString("did you mean " + quoteOr(s) + "? ")
	} else if isFlow {
		b.WriteString(word + " is a flow: go there with a link step; ")
	}
	steps, orEnd := ids, ""
	if len(steps) > 0 && steps[len(steps)-1] == End {
		steps, orEnd = steps[:len(steps)-1], ", or "+End
	}
	if len(steps) == 0 {
		return strings.TrimRight(b.String(), "; ")
	}
	fmt.Fprintf(&b, "steps in flow %s: %s", flow, strings.Join(steps[:min(len(steps), maxListed)], ", "))
	if n := len(steps) - maxListed; n > 0 {
		fmt.Fprintf(&b, " and %d more", n)
	}
	b.WriteString(orEnd)
	return b.String()
}

// quoteOr joins names as "a", "b" or "c".
func quoteOr(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return joinOr(q)
}

// flowHint explains a flow name that names no loaded flow: what it most
// likely meant, and the flows there are.
func flowHint(word string, names []string) string {
	var b strings.Builder
	if s := suggestions(word, names); len(s) > 0 {
		b.WriteString("did you mean " + quoteOr(s) + "? ")
	}
	if len(names) == 0 {
		return strings.TrimSpace(b.String())
	}
	fmt.Fprintf(&b, "flows: %s", strings.Join(names[:min(len(names), maxListed)], ", "))
	if n := len(names) - maxListed; n > 0 {
		fmt.Fprintf(&b, " and %d more", n)
	}
	return b.String()
}
