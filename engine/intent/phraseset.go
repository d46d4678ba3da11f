package intent

import "strings"

// phraseSet is one language's phrases and the words around them that
// matter. Patterns use the syntax of pattern.go.
type phraseSet struct {
	lang string // ISO 639-1
	name string // the language's name for itself

	// names are language names in this language, for {lang}; the names
	// languages give themselves (endonyms) are added to every set.
	names []langName

	// polite are words around a request that do not change it: "please",
	// "can I", "thanks". A phrase in alone is a request only when the
	// rest of the message is polite words.
	polite []string
	// negate take a phrase back when they come up to negateWindow words
	// before it in its clause: "don't", "no quiero que".
	negate []string
	// after take a phrase back when they come just after it: "nicht",
	// "pas", "niet".
	after []string
	// ask make a phrase a question about it when right before it: "did
	// you delete my data?".
	ask []string
	// cond make a phrase a condition: "I'll unsubscribe if...".
	cond []string
	// link open a clause that a negation before it still reaches: "ich
	// möchte nicht, dass Sie meine Daten löschen".
	link []string

	// alone are phrases that are a request only on their own ("stop",
	// "my data"); within are phrases that are one anywhere in a message
	// ("stop messaging me", "delete my data").
	alone, within map[Intent][]string
}

// langName is one word (or words) for a language.
type langName struct{ word, code string }

// foldedName is a language name as a phrase's words.
type foldedName struct {
	words []string
	code  string
}

// phraseSets returns the phrase sets the package has.
func phraseSets() []phraseSet {
	return []phraseSet{english(), spanish(), portuguese(), german(), french(), dutch()}
}

func phraseSetOf(code string) (phraseSet, bool) {
	for _, s := range phraseSets() {
		if s.lang == code {
			return s, true
		}
	}
	return phraseSet{}, false
}

// endonyms are the names languages give themselves; every set knows them
// ("Deutsch" is understood in an English message).
func endonyms() []langName {
	return []langName{
		{"english", "en"}, {"español", "es"}, {"castellano", "es"}, {"português", "pt"},
		{"deutsch", "de"}, {"français", "fr"}, {"nederlands", "nl"},
	}
}

// languageNames are the set's names for languages and the endonyms, each
// once and folded. A word named for two languages is left for New to
// refuse.
func (s phraseSet) languageNames() []foldedName {
	seen := map[langName]bool{}
	var out []foldedName
	for _, n := range append(append([]langName(nil), s.names...), endonyms()...) {
		words := foldWords(n.word)
		k := langName{strings.Join(words, " "), n.code}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, foldedName{words, n.code})
	}
	return out
}
