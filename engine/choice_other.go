package engine

import (
	"strings"

	"github.com/allmyleads/allmyleads/flows"
)

// catchAllIDs and catchAllWords name an option that takes what the other
// options do not: "other", "Something else", "None of these", "Otro",
// "Anders", "Autre", "Outro", "Sonstiges".
var (
	catchAllIDs   = []string{"other", "others", "else", "something_else", "none", "none_of_these", "otro", "otra", "andere", "anders", "autre", "outro", "sonstiges"}
	catchAllWords = []string{"other", "else", "none of", "not listed", "otro", "otra", "algo más", "algo mas", "outro", "outra", "andere", "anderes", "anders", "sonstiges", "autre", "ninguno"}
)

// catchAll returns the title of a choice step's catch-all option, or ""
// when it has none.
func catchAll(s *flows.Step) string {
	for _, o := range s.Options {
		if contains(catchAllIDs, strings.ToLower(o.ID)) {
			return o.Title
		}
	}
	for _, o := range s.Options {
		title := " " + normalizeAnswer(o.Title) + " "
		for _, w := range catchAllWords {
			if strings.Contains(title, " "+w+" ") {
				return o.Title
			}
		}
	}
	return ""
}

// sayChoiceInvalid re-asks a choice the answer fit none of: with the
// step's `error` text; else, when an option takes everything else, a hint
// that names it ("both" or "gutters" at roofing, painting, something
// else); else the engine's "didn't catch that".
func (t *turn) sayChoiceInvalid(s *flows.Step, opts []Option) {
	switch other := catchAll(s); {
	case s.Error != nil:
		t.sendChoice(t.render(s.Error, nil), opts)
	case other != "":
		t.sendChoice(t.render(t.e.text(t.e.cfg.Texts.ChoiceOther), map[string]any{"other": other}), opts)
	default:
		t.sendChoice(t.render(t.e.text(t.e.cfg.Texts.ChoiceInvalid), nil), opts)
	}
}
