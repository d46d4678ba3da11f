package flows

// Closest returns the candidate nearest to word by edit distance when it
// is close enough to be a likely typo, else "". The configuration loader
// uses it for the same did-you-mean hints the linter gives.
func Closest(word string, candidates []string) string { return closest(word, candidates) }
