package flows

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

type templateCase struct {
	Name  string         `yaml:"name"`
	Src   string         `yaml:"src"`
	Vars  map[string]any `yaml:"vars"`
	Want  *string        `yaml:"want"`
	Paths []string       `yaml:"paths"`
	Error string         `yaml:"error"`
	Hint  string         `yaml:"hint"`
}

// lookupIn resolves a dotted path in nested maps and lists, as the engine's
// variables are.
func lookupIn(vars map[string]any) func(string) (any, bool) {
	return func(path string) (any, bool) {
		var cur any = vars
		for _, seg := range strings.Split(path, ".") {
			switch c := cur.(type) {
			case map[string]any:
				v, ok := c[seg]
				if !ok {
					return nil, false
				}
				cur = v
			default:
				return nil, false
			}
		}
		return cur, true
	}
}

func testFilters() map[string]FilterFunc {
	fs := BaseFilters()
	fs["money"] = func(v any, args []string) (any, error) {
		cur := "EUR"
		if len(args) == 1 {
			cur = args[0]
		}
		f, ok := v.(float64)
		if !ok {
			if i, isInt := v.(int); isInt {
				f, ok = float64(i), true
			}
		}
		if !ok {
			return nil, fmt.Errorf("not a number: %v", v)
		}
		return fmt.Sprintf("%s %.2f", cur, f), nil
	}
	return fs
}

func TestTemplateCases(t *testing.T) {
	data, err := os.ReadFile("testdata/templates/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []templateCase
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			tpl, err := ParseTemplate(c.Src)
			if c.Error != "" {
				if err == nil {
					t.Fatalf("ParseTemplate(%q) parsed; want error %q", c.Src, c.Error)
				}
				var te *TemplateError
				if !errors.As(err, &te) {
					t.Fatalf("error %T is not a *TemplateError", err)
				}
				if !strings.Contains(te.Msg, c.Error) {
					t.Errorf("error %q does not contain %q", te.Msg, c.Error)
				}
				if c.Hint != "" && te.Hint != c.Hint {
					t.Errorf("hint %q, want %q", te.Hint, c.Hint)
				}
				if te.Offset < 0 || te.Offset > len(c.Src) {
					t.Errorf("offset %d outside the source", te.Offset)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTemplate(%q): %v", c.Src, err)
			}
			if c.Paths != nil && !slices.Equal(tpl.Paths(), c.Paths) {
				t.Errorf("Paths() = %v, want %v", tpl.Paths(), c.Paths)
			}
			got, err := tpl.Render(lookupIn(c.Vars), testFilters())
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if c.Want != nil && got != *c.Want {
				t.Errorf("Render = %q, want %q", got, *c.Want)
			}
		})
	}
}

func TestTemplateRenderErrors(t *testing.T) {
	tpl, err := ParseTemplate("{{ quote.total | money }}")
	if err != nil {
		t.Fatal(err)
	}
	// The engine adds money; without it rendering says so.
	if _, err := tpl.Render(lookupIn(nil), BaseFilters()); err == nil || !strings.Contains(err.Error(), `filter "money" is not available`) {
		t.Errorf("want a missing filter error, got %v", err)
	}
	_, err = tpl.Render(lookupIn(map[string]any{"quote": map[string]any{"total": "abc"}}), testFilters())
	if err == nil || !strings.Contains(err.Error(), "render {{ quote.total | money }}: not a number") {
		t.Errorf("want the filter's error wrapped, got %v", err)
	}
	var none *Template
	if s, err := none.Render(nil, nil); s != "" || err != nil || none.Paths() != nil || !none.IsEmpty() {
		t.Error("a nil template renders as nothing")
	}
	if got := FormatValue(float32(2.5)) + FormatValue(int64(7)) + FormatValue([]string{"a", "b"}); got != "2.57a, b" {
		t.Errorf("FormatValue: %q", got)
	}
}

// TestTemplateConcurrentRender renders one template from many goroutines;
// run with -race it proves a parsed template is safe to share.
func TestTemplateConcurrentRender(t *testing.T) {
	tpl, err := ParseTemplate(`Hi {{ lead.name | default "there" | upper }}, total {{ quote.total | money }}`)
	if err != nil {
		t.Fatal(err)
	}
	filters := testFilters()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vars := map[string]any{"lead": map[string]any{"name": fmt.Sprint("n", i)}, "quote": map[string]any{"total": float64(i)}}
			for range 100 {
				got, err := tpl.Render(lookupIn(vars), filters)
				want := fmt.Sprintf("Hi N%d, total EUR %d.00", i, i)
				if err != nil || got != want {
					errs <- fmt.Errorf("got %q, %v; want %q", got, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSingleBraces(t *testing.T) {
	for _, c := range []struct {
		src  string
		want []string
	}{
		{"Hi {name}!", []string{`3 {name} {{ name }}`}},
		{`{{ a | default "{b}" }} and { c.d | upper }`, []string{`28 { c.d | upper } {{ c.d | upper }}`}},
		{"{{ a }}} {see below} {} { 1a } {a-b}", nil},
		{"{x}{{ y }}{z}", []string{`0 {x} {{ x }}`, `10 {z} {{ z }}`}},
	} {
		var got []string
		for _, b := range singleBraces(c.src) {
			got = append(got, fmt.Sprintf("%d %s %s", b.Offset, b.Text, b.Want))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("singleBraces(%q) = %q, want %q", c.src, got, c.want)
		}
	}
}
