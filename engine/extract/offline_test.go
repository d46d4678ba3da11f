package extract

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/allmyleads/allmyleads/engine/core"
)

// offlineCase is one offline extraction: what the customer wrote and what
// the rules must read from it.
type offlineCase struct {
	Name     string                      `yaml:"name"`
	Fields   string                      `yaml:"fields"` // compact spec, as `allmyleads extract --fields`
	Text     string                      `yaml:"text"`
	Texts    []string                    `yaml:"texts"`
	Captions []string                    `yaml:"captions"`
	Want     map[string]core.FieldResult `yaml:"want"` // fields not listed must be absent
}

func loadOfflineCases(t testing.TB) map[string][]offlineCase {
	t.Helper()
	files, err := filepath.Glob("testdata/offline/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no offline cases: %v", err)
	}
	out := map[string][]offlineCase{}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cases []offlineCase
		if err := yaml.Unmarshal(raw, &cases); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out[strings.TrimSuffix(filepath.Base(file), ".yaml")] = cases
	}
	return out
}

func (c offlineCase) request(t testing.TB) core.ExtractRequest {
	t.Helper()
	fields, err := ParseFields(c.Fields)
	if err != nil {
		t.Fatalf("%s: fields: %v", c.Name, err)
	}
	req := core.ExtractRequest{Fields: fields, Texts: c.Texts}
	if c.Text != "" {
		req.Texts = append([]string{c.Text}, req.Texts...)
	}
	for _, cap := range c.Captions {
		req.Images = append(req.Images, core.Media{MIME: "image/jpeg", Caption: cap, Data: []byte{0xff, 0xd8}})
	}
	return req
}

// normal turns YAML-decoded values into what extractors return: float64
// numbers and []any lists.
func normal(v any) any {
	switch v := v.(type) {
	case int:
		return float64(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normal(e)
		}
		return out
	}
	return v
}

func TestOffline(t *testing.T) {
	x := NewOffline()
	for file, cases := range loadOfflineCases(t) {
		for _, c := range cases {
			t.Run(file+"/"+c.Name, func(t *testing.T) {
				req := c.request(t)
				res, err := x.Extract(context.Background(), req)
				if err != nil {
					t.Fatalf("Extract: %v", err)
				}
				if res.Extractor != NameOffline || res.Model != OfflineModel || res.PromptVersion == "" {
					t.Errorf("result facts = %q %q %q", res.Extractor, res.Model, res.PromptVersion)
				}
				want := map[string]core.FieldResult{}
				for k, v := range c.Want {
					want[k] = core.FieldResult{Value: normal(v.Value), Confidence: v.Confidence, Read: v.Read}
				}
				if !reflect.DeepEqual(res.Fields, want) {
					got, _ := json.Marshal(res.Fields)
					exp, _ := json.Marshal(want)
					t.Errorf("text %q\n got %s\nwant %s", req.Texts, got, exp)
				}
				// Whatever the rules read must pass the check a model's
				// reply passes, with low confidence.
				raw := replyJSON(req, res.Fields)
				if _, err := Validate(optional(req.Fields), raw); err != nil {
					t.Errorf("offline result does not validate: %v\n%s", err, raw)
				}
				for name, fr := range res.Fields {
					if fr.Confidence <= 0 || fr.Confidence > 0.5 {
						t.Errorf("%s: confidence %v, want (0, 0.5]", name, fr.Confidence)
					}
				}
			})
		}
	}
}

func TestOfflineSpecError(t *testing.T) {
	_, err := NewOffline().Extract(context.Background(), core.ExtractRequest{
		Fields: []core.Field{{Name: "x", Type: "decimal"}},
		Texts:  []string{"42"},
	})
	var xe *core.ExtractError
	if !errors.As(err, &xe) || xe.Outcome != core.OutcomeError || !strings.Contains(err.Error(), `"x"`) {
		t.Fatalf("err = %v, want an error outcome naming the field", err)
	}
}

func TestOfflineCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewOffline().Extract(ctx, core.ExtractRequest{Fields: []core.Field{{Name: "n", Type: "number"}}, Texts: []string{"4"}})
	var xe *core.ExtractError
	if !errors.As(err, &xe) || xe.Outcome != core.OutcomeError {
		t.Fatalf("err = %v, want an error outcome", err)
	}
}

func BenchmarkOffline(b *testing.B) {
	req := core.ExtractRequest{
		Fields: mustFields(b, "area_m2:number,material:enum(tiles|metal|shingles|flat|unknown),email:string?,phone:string?,"+
			"postcode:string?,start:date?,scaffolding:boolean?,floors:integer?"),
		Texts: []string{benchParagraph},
	}
	x := NewOffline()
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchParagraph)))
	for b.Loop() {
		res, err := x.Extract(ctx, req)
		if err != nil || len(res.Fields) != 8 {
			b.Fatalf("got %v, %v", res.Fields, err)
		}
	}
}

// BenchmarkOfflineShort reads a typical one-line answer.
func BenchmarkOfflineShort(b *testing.B) {
	req := core.ExtractRequest{Fields: mustFields(b, "area_m2:number,material:enum(tiles|metal)?"), Texts: []string{"It's about 40 m2, metal roof"}}
	x := NewOffline()
	b.ReportAllocs()
	for b.Loop() {
		if res, err := x.Extract(context.Background(), req); err != nil || len(res.Fields) != 2 {
			b.Fatalf("got %v, %v", res, err)
		}
	}
}

const benchParagraph = `Hi there! We bought an old house last year and the roof really needs work before winter.
It's a two-storey house with 2 floors, the main roof is about 12 x 8 m and there's a small flat bit over the kitchen.
Currently it has concrete tiles, a few are cracked and we'd like a quote to replace them. We don't need scaffolding,
my brother has some. We'd like to start on 1 March 2026 if possible. The address is Keizersgracht 12, 1015 CJ
Amsterdam. You can reach me at jan.devries@example.nl or on +31 6 1234 5678 after 5pm. Thanks!`

// FuzzOffline feeds the rules arbitrary customer text: they must never
// panic, and what they read must pass Validate with low confidence.
func FuzzOffline(f *testing.F) {
	for _, cases := range loadOfflineCases(f) {
		for _, c := range cases {
			f.Add(c.Text)
		}
	}
	f.Add(benchParagraph)
	fields := mustFields(f, "area_m2:number?,material:enum(tiles|metal|flat_roof)?,email:string?,phone:string?,"+
		"postcode:string?,start:date?,scaffolding:boolean?,floors:integer?,notes:string?,areas:number[]?")
	x := NewOffline()
	f.Fuzz(func(t *testing.T, text string) {
		req := core.ExtractRequest{Fields: fields, Texts: []string{text}}
		res, err := x.Extract(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Validate(fields, replyJSON(req, res.Fields)); err != nil {
			t.Fatalf("offline result does not validate: %v", err)
		}
		for name, fr := range res.Fields {
			if fr.Confidence <= 0 || fr.Confidence > 0.5 {
				t.Fatalf("%s: confidence %v", name, fr.Confidence)
			}
		}
	})
}
