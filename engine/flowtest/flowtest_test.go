package flowtest

import (
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

func TestParse(t *testing.T) {
	src := `name: everything
contact: web:abc
language: nl
start: greeting
now: 2026-06-01T10:00:00+02:00
steps:
  - customer: hi
  - bot: Welcome
  - bot_not: Bye
  - photo: sample about 40 m2
  - wait: 1d12h
  - expect: { lead.name: Ana, quote.total: 3327.50, consent.x.granted: true, lead.phone: null }
`
	f, err := Parse("t.test.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "everything" || f.Contact != "web:abc" || f.Language != "nl" || f.Start != "greeting" || f.StartPos != 4 ||
		!f.Now.Equal(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("file: %+v", f)
	}
	kinds := []string{}
	for _, s := range f.Steps {
		kinds = append(kinds, s.Kind)
	}
	if strings.Join(kinds, " ") != "customer bot bot_not photo wait expect" {
		t.Errorf("steps: %v", kinds)
	}
	if p := f.Steps[3]; p.Photo != "sample" || p.Text != "about 40 m2" || len(p.photoOK) == 0 || mimeOf(p.photoOK) != "image/png" {
		t.Errorf("photo: %+v", p)
	}
	if f.Steps[4].Wait != 36*time.Hour || f.Steps[4].Line != 11 {
		t.Errorf("wait: %+v", f.Steps[4])
	}
	e := f.Steps[5].Expect
	if len(e) != 4 || e[1].Value != 3327.5 || e[2].Value != true || e[3].Value != nil {
		t.Errorf("expect: %+v", e)
	}
	if def, _ := Parse("d.test.yaml", []byte("name: x\nsteps:\n  - customer: hi\n"), nil); def.Contact != "whatsapp:15550100" || !def.Now.Equal(DefaultNow) {
		t.Errorf("defaults: %+v", def)
	}
}

func TestParseProblems(t *testing.T) {
	for src, want := range map[string]string{
		"":                                "t.test.yaml:1: empty file: a test has a name and steps",
		"name: x\nsteps: [\n":             "t.test.yaml:2: not valid YAML:",
		"- a\n":                           `t.test.yaml:1: a test starts with "name:" and "steps:"`,
		"name: x\n":                       "t.test.yaml:1: missing steps: the conversation to play",
		"steps:\n  - customer: hi\n":      "t.test.yaml:1: missing name:",
		"name: x\nsteps: []\n":            "t.test.yaml:2: steps: want a list",
		"name: x\nsteps:\n  - hi\n":       "t.test.yaml:3: a step is one of customer, bot, bot_not, photo, wait, expect",
		"name: x\nsteps:\n  - wait: 0s\n": "t.test.yaml:3: wait: 0s: time only moves forward",
		"name: x\nnow: yesterday\nsteps:\n  - customer: hi\n":            `t.test.yaml:2: now: "yesterday" is not a time`,
		"name: x\ncontact: nobody\nsteps:\n  - customer: hi\n":           `t.test.yaml:2: contact: "nobody" is not a phone number or a contact URN`,
		"name: x\nsteps:\n  - customer: hi\n    bot: x\n":                "t.test.yaml:3: a step is one of",
		"name: x\nsteps:\n  - photo: roof.jpg\n":                         "t.test.yaml:3: photo: roof.jpg: only the built-in sample photo is available here",
		"name: x\nsteps:\n  - customer:\n":                               "t.test.yaml:3: customer: want text",
		"name: x\nname: y\nsteps:\n  - customer: hi\n":                   "t.test.yaml:2: name is given twice",
		"name: x\nsteps:\n  - customer: hi\nstep:\n  - bot: x\n":         `t.test.yaml:4: unknown key "step" (did you mean "steps"?)`,
		"name: x\nsteps:\n  - customer: hi\n  - expect: [a]\n":           "t.test.yaml:4: expect: want variables and values",
		"name: x\nsteps:\n  - customer: hi\nbot: hello\n":                `t.test.yaml:4: unknown key "bot" (steps go in the list under steps:)`,
		"name: x\nsteps:\n  - custmer: hi\n":                             `t.test.yaml:3: unknown step "custmer" (did you mean "customer"?)`,
		"name: x\nsteps:\n  - wait: 2 hours\n":                           `t.test.yaml:3: wait: duration "2 hours"`,
		"name: x\nsteps:\n  - expect: { lead.name: { a: b } }\n":         "t.test.yaml:3: expect: lead.name: want one value",
		"name: x\nsteps:\n  - bot_not: \"\"\n":                           "t.test.yaml:3: bot_not: want text",
		"name: x\nsteps:\n  - customer: hi\nlanguage: [en]\n":            "t.test.yaml:4: language: want text",
		"name: [x]\nsteps:\n  - customer: hi\n":                          "t.test.yaml:1: name: want text",
		"name: x\nstart: ''\nsteps:\n  - customer: hi\n":                 "t.test.yaml:2: start: want text",
		"name: x\nsteps: {a: b}\n":                                       "t.test.yaml:2: steps: want a list",
		"name: x\nsteps:\n  - customer: hi\nnow: 2026-13-01T00:00:00Z\n": `t.test.yaml:4: now: "2026-13-01T00:00:00Z" is not a time`,
	} {
		_, err := Parse("t.test.yaml", []byte(src), nil)
		if err == nil {
			t.Errorf("%q: parsed", src)
			continue
		}
		if !strings.Contains(err.Error(), want) && !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q:\n got %s\nwant %s", src, err, want)
		}
	}
}

func TestRecorderWritesWhatParses(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := NewRecorder("odd texts", "web:abc", start)
	r.Bot(core.Outbound{Kind: core.OutText, Text: "printed before the customer spoke: not part of the test"})
	r.At(start.Add(10 * time.Minute))
	texts := []string{"hi", "yes", "no", "1", "3327.50", "null", "~", "José O'Neil", "a: b", "# not a comment", "- dash", "* star",
		"{{ braces }}", "[list]", "it's 50% off", "@home", "trailing #tag", "'quoted'", "\"double\"", "true", "2026-03-02", "👋 hello"}
	for _, s := range texts {
		r.Customer(s)
	}
	r.Photo("pics/roof.png", "about 40 m2")
	r.At(start.Add(10*time.Minute + 30*time.Second))
	r.Waited(3 * time.Hour)
	r.At(start.Add(5 * time.Hour))
	r.Bot(core.Outbound{Kind: core.OutButtons, Text: "\nHere is your quote 👇\nTotal: €1", Options: []core.Option{{ID: "a", Title: "Accept"}}})
	r.Bot(core.Outbound{Kind: core.OutTemplate, Template: &core.Template{Name: "follow_up"}})
	var b strings.Builder
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	read := map[string][]byte{"pics/roof.png": []byte("\x89PNG...")}
	f, err := Parse("rec.test.yaml", []byte(b.String()), func(n string) ([]byte, error) { return read[n], nil })
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if !f.Now.Equal(start.Add(10*time.Minute)) || f.Contact != "web:abc" || f.Name != "odd texts" {
		t.Errorf("header: %+v\n%s", f, b.String())
	}
	var got []string
	for _, s := range f.Steps {
		switch s.Kind {
		case StepCustomer:
			got = append(got, s.Text)
		case StepWait:
			got = append(got, "wait "+s.Wait.String())
		case StepPhoto:
			got = append(got, "photo "+s.Photo+" "+s.Text)
		case StepBot:
			got = append(got, "bot "+s.Text)
		}
	}
	want := append(append([]string{}, texts...), "photo pics/roof.png about 40 m2", "wait 3h0m0s", "wait 1h50m0s", "bot Here is your quote 👇", "bot [template follow_up]")
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("read back:\n got %q\nwant %q\n%s", got, want, b.String())
	}
	if strings.Contains(b.String(), `\U`) {
		t.Errorf("emoji escaped:\n%s", b.String())
	}
}

func TestMatchingIsForgiving(t *testing.T) {
	out := []core.Outbound{{Kind: core.OutButtons, Text: "Welcome to *Brightside Roofing*.\n\nIs that OK with you?", Options: []core.Option{{Title: "Yes, that's fine"}}}}
	for _, s := range []string{"welcome to brightside roofing", "OK with you? 1) Yes", "Yes, that's fine", "is  that ok"} {
		if !anyContains(out, s) {
			t.Errorf("%q should match", s)
		}
	}
	for _, s := range []string{"Welcome to Acme", "No, thanks"} {
		if anyContains(out, s) {
			t.Errorf("%q should not match", s)
		}
	}
}

func TestSame(t *testing.T) {
	for _, c := range []struct {
		want, got any
		found, ok bool
	}{
		{3327.5, 3327.5, true, true}, {3327.5, "3327.50", true, true}, {40, 40.0, true, true}, {"Ana", "Ana", true, true},
		{true, true, true, true}, {nil, nil, false, true}, {nil, "x", true, false}, {"x", nil, false, false}, {1, 2.0, true, false},
		{"ana", "Ana", true, false},
	} {
		if got := same(c.want, c.got, c.found); got != c.ok {
			t.Errorf("same(%v, %v, %v) = %v", c.want, c.got, c.found, got)
		}
	}
}
