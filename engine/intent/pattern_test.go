package intent

import (
	"strings"
	"testing"
)

// TestExpand checks the pattern syntax: alternatives, optional parts,
// gaps, folding, and the errors a phrase set can make.
func TestExpand(t *testing.T) {
	for _, tc := range []struct{ pattern, want string }{
		{"stop", "stop"},
		{"(delete|erase) my [personal] data", "delete my personal data|delete my data|erase my personal data|erase my data"},
		{"[a|an] agent", "a agent|an agent|agent"},
		{"m'(effacer|effacez)", "m effacer|m effacez"},
		{"(désabonnez|désinscrivez)-moi", "desabonnez moi|desinscrivez moi"},
		{"meine Daten * löschen", "meine daten * loschen"},
		{"in het {lang}", "in het {lang}"},
		{"(talk to|speak with) [a (real|live)] person", "talk to a real person|talk to a live person|talk to person|speak with a real person|speak with a live person|speak with person"},
	} {
		seqs, err := expand(tc.pattern)
		if err != nil {
			t.Errorf("%q: %v", tc.pattern, err)
			continue
		}
		var got []string
		for _, s := range seqs {
			got = append(got, strings.Join(s, " "))
		}
		if g := strings.Join(got, "|"); g != tc.want {
			t.Errorf("%q expands to %q, want %q", tc.pattern, g, tc.want)
		}
	}
	for _, bad := range []string{"(stop", "stop]", "[please]", "* stop", "stop *", "(a|b) )", strings.Repeat("(a|b|c|d) ", 7)} {
		if _, err := expand(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestConflicts checks that New refuses a phrase set where one word
// sequence means two intents, and a {lang} outside language phrases.
func TestConflicts(t *testing.T) {
	for _, set := range []phraseSet{
		{lang: "xx", within: map[Intent][]string{OptOut: {"stop [it]"}, Restart: {"stop it"}}},
		{lang: "xx", alone: map[Intent][]string{Human: {"in {lang}"}}},
		{lang: "xx", alone: map[Intent][]string{Language: {"speak english"}}},
		{lang: "xx", names: []langName{{"english", "es"}}, alone: map[Intent][]string{Language: {"{lang}"}}},
	} {
		m := &Matcher{vocab: vocab{}, phrases: newTrie(0), polite: newTrie(0)}
		if err := m.load(set); err == nil {
			t.Errorf("%+v loaded without error", set)
		}
	}
}

// TestPhraseSetsAreSane checks what no compiler does for the phrase data:
// every set names itself, has polite words and negators, and has phrases
// for every intent.
func TestPhraseSetsAreSane(t *testing.T) {
	for _, s := range phraseSets() {
		if s.name == "" || len(s.polite) == 0 || len(s.negate) == 0 {
			t.Errorf("%s: name, polite words and negators are required", s.lang)
		}
		for _, in := range Intents() {
			if len(s.alone[in])+len(s.within[in]) == 0 {
				t.Errorf("%s: no phrase for %s", s.lang, in)
			}
		}
		for _, list := range [][]string{s.polite, s.negate} {
			for _, w := range list {
				if Normalize(w) == "" {
					t.Errorf("%s: %q folds to nothing", s.lang, w)
				}
			}
		}
	}
}
