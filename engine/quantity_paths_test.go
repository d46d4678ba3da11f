package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/engine/extract"
	"github.com/allmyleads/allmyleads/engine/quantity"
	"github.com/allmyleads/allmyleads/flows"
)

// pathCase is what this test needs of a case of engine/quantity's tables.
type pathCase struct {
	In    string   `yaml:"in"`
	Ask   *string  `yaml:"ask"`
	Value *float64 `yaml:"value"`
	High  *float64 `yaml:"high"`
	Range bool     `yaml:"range"`
	Err   string   `yaml:"err"`
	Auto  *bool    `yaml:"auto"`
}

// TestQuantityPaths feeds the quantity tables of all six languages through
// the three ways a quantity reaches a quote: typed at a numeric question in
// m², as a photo caption the extract step reads, and as text given to the
// offline extractor. Each reads the table's value and says the same about
// how it was read; a range is asked about when typed and left unread by
// the extractor (so a flow asks).
func TestQuantityPaths(t *testing.T) {
	files, _ := filepath.Glob("quantity/testdata/*.yaml")
	if len(files) < 6 {
		t.Fatalf("%d quantity tables, want the six languages", len(files))
	}
	h := enginetest.New(t, enginetest.Options{FlowsDir: "testdata/quantity_paths/flows", NoSync: true})
	x := extract.NewOffline()
	field := core.Field{Name: "area_m2", Type: "number", Description: "Size of the area, in square metres", Required: true}
	n := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var table struct {
			Lang  string     `yaml:"lang"`
			Cases []pathCase `yaml:"cases"`
		}
		if err := yaml.Unmarshal(raw, &table); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, c := range table.Cases {
			if c.Ask != nil || c.Err != "" || (c.Auto != nil && !*c.Auto) {
				continue // another unit, no answer, or needs the language
			}
			n++
			contact := fmt.Sprintf("+1555%07d", n)
			want, err := quantity.Parse(c.In, quantity.Options{Unit: quantity.SquareMetre})
			if err != nil || want.Value != *c.Value {
				t.Errorf("%s %q: the parser reads %v, %v; the table says %v", table.Lang, c.In, want.Value, err, *c.Value)
				continue
			}
			wantRead := ""
			if want.Derived() {
				wantRead = want.Text
			}

			// Typed at the question.
			h.Say(contact, "hi")
			h.Say(contact, c.In)
			s := h.Session(contact)
			typed, typedOK := lookup(s.Vars, "project", "area_m2")
			if c.Range {
				if typedOK || s.Step != "ask_area" || s.Scratch["range"] == nil {
					t.Errorf("%s %q typed: a range must be asked about, got %v at %s", table.Lang, c.In, typed, s.Step)
				}
				h.Say(contact, "35")
			} else if !typedOK || typed != *c.Value || readOf(s.Vars, "project", "area_m2") != wantRead {
				t.Errorf("%s %q typed: %v (%q), want %v (%q)", table.Lang, c.In, typed, readOf(s.Vars, "project", "area_m2"), *c.Value, wantRead)
			}

			// As a photo caption.
			h.Send(h.Photo(contact, []byte(fmt.Sprintf("\xff\xd8\xff\xe0photo %d", n)), c.In))
			h.Say(contact, "done")
			s = h.Session(contact)
			caption, captionOK := lookup(s.Vars, "project", "estimate", "area_m2")
			switch {
			case c.Range && captionOK:
				t.Errorf("%s %q caption: a range must not be read, got %v", table.Lang, c.In, caption)
			case !c.Range && (!captionOK || caption != *c.Value || readOf(s.Vars, "project", "estimate", "area_m2") != wantRead):
				t.Errorf("%s %q caption: %v (%q), want %v (%q)", table.Lang, c.In, caption, readOf(s.Vars, "project", "estimate", "area_m2"), *c.Value, wantRead)
			}

			// As text for the offline extractor.
			res, err := x.Extract(context.Background(), engine.ExtractRequest{Fields: []core.Field{field}, Texts: []string{c.In}})
			if err != nil {
				t.Fatal(err)
			}
			fr, ok := res.Fields["area_m2"]
			switch {
			case c.Range && ok:
				t.Errorf("%s %q text: a range must not be read, got %v", table.Lang, c.In, fr.Value)
			case !c.Range && (!ok || fr.Value != *c.Value || fr.Read != wantRead):
				t.Errorf("%s %q text: %v (%q), want %v (%q)", table.Lang, c.In, fr.Value, fr.Read, *c.Value, wantRead)
			}
		}
	}
	if n < 500 {
		t.Errorf("only %d phrasings went through the paths", n)
	}
	t.Logf("%d phrasings read alike typed, as captions and as text", n)
}

// lookup reads a nested variable.
func lookup(vars map[string]any, path ...string) (any, bool) {
	var cur any = vars
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// readOf is how the variable at path was read ("" when as typed).
func readOf(vars map[string]any, path ...string) string {
	path[len(path)-1] += flows.ReadSuffix
	v, _ := lookup(vars, path...)
	s, _ := v.(string)
	return s
}

// TestAskUnits: every unit a flow may ask in (flows.AskUnits) is one the
// quantity reader converts to.
func TestAskUnits(t *testing.T) {
	for _, u := range flows.AskUnits() {
		if _, ok := quantity.ParseUnit(u); !ok {
			t.Errorf("flows allows unit %q, which package quantity does not know", u)
		}
	}
}
