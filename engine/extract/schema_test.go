package extract

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/internal/golden"
)

type yamlField struct {
	Name        string   `yaml:"name"`
	Type        string   `yaml:"type"`
	Description string   `yaml:"description"`
	Enum        []string `yaml:"enum"`
	Required    bool     `yaml:"required"`
	List        bool     `yaml:"list"`
}

func toFields(in []yamlField) []core.Field {
	out := make([]core.Field, 0, len(in))
	for _, f := range in {
		out = append(out, core.Field{Name: f.Name, Type: f.Type, Description: f.Description, Enum: f.Enum, Required: f.Required, List: f.List})
	}
	return out
}

type schemaCase struct {
	Name   string      `yaml:"name"`
	Spec   string      `yaml:"spec"`
	Fields []yamlField `yaml:"fields"`
	Error  string      `yaml:"error"`
}

func (c schemaCase) fields(t *testing.T) []core.Field {
	if c.Fields != nil {
		return toFields(c.Fields)
	}
	return mustFields(t, c.Spec)
}

func loadYAML(t testing.TB, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestBuildSchema(t *testing.T) {
	var cases []schemaCase
	loadYAML(t, "testdata/schema/cases.yaml", &cases)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			schema, err := BuildSchema(c.fields(t))
			if c.Error != "" {
				if err == nil || !strings.Contains(err.Error(), c.Error) {
					t.Fatalf("err = %v, want one containing %q", err, c.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			raw, err := SchemaJSON(schema)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden.Check(t, "testdata/schema/"+c.Name+".json", pretty.Bytes())

			// SchemaJSON only orders keys: it says what json.Marshal says.
			plain, _ := json.Marshal(schema)
			var a, b any
			_ = json.Unmarshal(raw, &a)
			_ = json.Unmarshal(plain, &b)
			if ja, _ := json.Marshal(a); !bytes.Equal(ja, mustJSON(t, b)) {
				t.Error("SchemaJSON and json.Marshal disagree")
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestPromptVersion(t *testing.T) {
	fields := mustFields(t, "area_m2:number,material:enum(tiles|metal)")
	v := PromptVersion("Estimate the roof area.", fields)
	if len(v) != 12 || strings.Trim(v, "0123456789abcdef") != "" {
		t.Fatalf("version %q: want 12 hex digits", v)
	}
	if v != PromptVersion("  Estimate the roof area.\n", fields) {
		t.Error("surrounding space changed the version")
	}
	changed := map[string]string{
		"instructions": PromptVersion("Estimate the wall area.", fields),
		"enum":         PromptVersion("Estimate the roof area.", mustFields(t, "area_m2:number,material:enum(tiles|metal|slate)")),
		"required":     PromptVersion("Estimate the roof area.", mustFields(t, "area_m2:number?,material:enum(tiles|metal)")),
		"order":        PromptVersion("Estimate the roof area.", mustFields(t, "material:enum(tiles|metal),area_m2:number")),
	}
	for what, w := range changed {
		if w == v {
			t.Errorf("changing the %s kept version %s", what, v)
		}
	}
	// A spec BuildSchema rejects still gets a stable version.
	bad := []core.Field{{Name: "x", Type: "decimal"}}
	if v1, v2 := PromptVersion("", bad), PromptVersion("", bad); v1 != v2 || v1 == PromptVersion("", fields) {
		t.Error("unstable version for a bad spec")
	}
}

func TestParseFields(t *testing.T) {
	var cases []struct {
		Spec  string      `yaml:"spec"`
		Want  []yamlField `yaml:"want"`
		Error string      `yaml:"error"`
	}
	loadYAML(t, "testdata/fields.yaml", &cases)
	for _, c := range cases {
		got, err := ParseFields(c.Spec)
		if c.Error != "" {
			if err == nil || !strings.Contains(err.Error(), c.Error) {
				t.Errorf("ParseFields(%q) err = %v, want %q", c.Spec, err, c.Error)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseFields(%q): %v", c.Spec, err)
			continue
		}
		gj, wj := mustJSON(t, got), mustJSON(t, toFields(c.Want))
		if !bytes.Equal(gj, wj) {
			t.Errorf("ParseFields(%q)\n got %s\nwant %s", c.Spec, gj, wj)
		}
	}
}

func BenchmarkBuildSchema(b *testing.B) {
	fields := mustFields(b, "area_m2:number,material:enum(tiles|metal|shingles|flat|unknown),notes:string?,tags:string[],start:date?,floors:integer?")
	b.ReportAllocs()
	for b.Loop() {
		s, err := BuildSchema(fields)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := SchemaJSON(s); err != nil {
			b.Fatal(err)
		}
	}
}
