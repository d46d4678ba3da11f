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
