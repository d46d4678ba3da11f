package engine

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestFuzzyChoice reads testdata/fuzzy_choice.yaml: near misses of option
// titles and ids (typos, accents, case) are read as the option; other
// words, short ones, hedges and questions match none.
func TestFuzzyChoice(t *testing.T) {
	raw, err := os.ReadFile("testdata/fuzzy_choice.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Options map[string][]Option          `yaml:"options"`
		Match   map[string]map[string]string `yaml:"match"`
		NoMatch map[string][]string          `yaml:"no_match"`
	}
	if err := yaml.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	n := 0
	for set, cases := range table.Match {
		opts := table.Options[set]
		for text, want := range cases {
			n++
			in := &Inbound{Kind: InText, Text: text}
			got, ok := pickChoice(in, opts)
			if !ok {
				got, ok = fuzzyChoice(in, opts)
			}
			if !ok || got.ID != want {
				t.Errorf("%s: %q: got %q (%v), want %q", set, text, got.ID, ok, want)
			}
		}
	}
	for set, words := range table.NoMatch {
		opts := table.Options[set]
		for _, text := range words {
			n++
			if got, ok := fuzzyChoice(&Inbound{Kind: InText, Text: text}, opts); ok {
				t.Errorf("%s: %q: read as %q, want no option", set, text, got.ID)
			}
		}
	}
	t.Logf("%d answers", n)
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"roofing", "roofing", 0}, {"roofng", "roofing", 1}, {"pianting", "painting", 1}, {"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3}} {
		if d := editDistance([]rune(c.a), []rune(c.b)); d != c.d {
			t.Errorf("%q → %q: %d edits, want %d", c.a, c.b, d, c.d)
		}
	}
}
