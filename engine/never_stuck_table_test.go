package engine_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

// phrasingTable is testdata/never_stuck/phrasings.yaml.
type phrasingTable struct {
	Situations map[string]map[string][]string `yaml:"situations"`
	Cases      []phrasingCase                 `yaml:"cases"`
}

type phrasingCase struct {
	Situation string       `yaml:"situation"`
	Want      phrasingWant `yaml:"want"`
	EN        []string     `yaml:"en"`
	ES        []string     `yaml:"es"`
}

type phrasingWant struct {
	Said     string `yaml:"said"`
	NotSaid  string `yaml:"not_said"`
	Step     string `yaml:"step"`
	Handoff  *bool  `yaml:"handoff"`
	OptedOut *bool  `yaml:"opted_out"`
	Quote    string `yaml:"quote"`
	Unset    string `yaml:"unset"`
}

// say sends one scripted customer message: text, "PHOTO caption" for a
// photo, or "BUTTON id" for a tap on a button of the last message.
func say(h *enginetest.Harness, contact, msg string) []core.Outbound {
	switch {
	case strings.HasPrefix(msg, "PHOTO"):
		caption := strings.TrimSpace(strings.TrimPrefix(msg, "PHOTO"))
		return h.Send(h.Photo(contact, []byte("\xff\xd8\xff\xe0"+contact+caption), caption))
	case strings.HasPrefix(msg, "BUTTON "):
		in := h.Message(contact, "")
		in.Kind, in.ReplyID = core.InButton, strings.TrimPrefix(msg, "BUTTON ")
		return h.Send(in)
	}
	return h.Say(contact, msg)
}

// TestNeverStuckPhrasings plays issue 13's phrasings, per language,
// through the shipped flows: each phrasing is sent by a fresh customer in
// the situation it answers.
func TestNeverStuckPhrasings(t *testing.T) {
	raw, err := os.ReadFile("testdata/never_stuck/phrasings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var table phrasingTable
	if err := yaml.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	h := enginetest.New(t, enginetest.Options{NoSync: true})
	n, counts := 0, map[string]int{}
	for i, c := range table.Cases {
		for lang, phrasings := range map[string][]string{"en": c.EN, "es": c.ES} {
			prefix, ok := table.Situations[c.Situation][lang]
			if len(phrasings) > 0 && !ok {
				t.Fatalf("case %d: no situation %q in %s", i+1, c.Situation, lang)
			}
			for _, p := range phrasings {
				n++
				counts[lang]++
				contact := fmt.Sprintf("+447700%06d", n)
				for _, m := range prefix {
					say(h, contact, m)
				}
				out := say(h, contact, p)
				if msg := c.Want.check(h.Session(contact), out); msg != "" {
					t.Errorf("%s, %s, %q: %s; the bot said:\n%s", c.Situation, lang, p, msg, enginetest.Format(out))
				}
			}
		}
	}
	t.Logf("%d phrasings: %d English, %d Spanish", n, counts["en"], counts["es"])
}

// check reports what of want a customer's session and the bot's reply
// miss, or "".
func (w phrasingWant) check(s *core.Session, out []core.Outbound) string {
	said := enginetest.Format(out)
	switch {
	case w.Said != "" && !strings.Contains(said, w.Said):
		return "want the reply to say " + w.Said
	case w.NotSaid != "" && strings.Contains(said, w.NotSaid):
		return "want the reply not to say " + w.NotSaid
	case w.Step != "" && s.Flow+"/"+s.Step != w.Step:
		return "want the conversation at " + w.Step + ", it is at " + s.Flow + "/" + s.Step
	case w.Handoff != nil && s.Handoff != *w.Handoff:
		return "handoff is " + boolText(s.Handoff)
	case w.OptedOut != nil && s.OptedOut != *w.OptedOut:
		return "opted out is " + boolText(s.OptedOut)
	case w.Quote != "" && (s.Quote == nil || s.Quote.Status != w.Quote):
		return "want the quote " + w.Quote
	}
	if w.Unset != "" {
		m := s.Vars
		parts := strings.Split(w.Unset, ".")
		for _, p := range parts[:len(parts)-1] {
			m, _ = m[p].(map[string]any)
		}
		if v, ok := m[parts[len(parts)-1]]; ok {
			return fmt.Sprintf("the message was saved as %s: %v", w.Unset, v)
		}
	}
	return ""
}

func boolText(b bool) string { return fmt.Sprint(b) }
