package flows

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addFlowSeeds adds the shipped flows, the kind fixtures and the lint cases
// to a fuzz corpus.
func addFlowSeeds(f *testing.F) {
	_ = fs.WalkDir(Shipped(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := fs.ReadFile(Shipped(), p)
			f.Add(data)
		}
		return nil
	})
	for _, pattern := range []string{"testdata/kinds/*.yaml", "testdata/lint/*.yaml", "testdata/lint/*/*.yaml"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	for _, s := range []string{
		"", "flow:", "- a", "flow: x\nsteps: 3", "&a [*a]", "a: &a {<<: *a}",
		"flow: x\nsteps:\n  - &s {id: a, say: hi, next: a}\n  - *s\n",
		"flow: x\nsteps:\n  - {id: a, say: \"{{ x | default \\\"}}\\\" }}\"}\n",
		"flow: x\nsteps:\n  - {id: a, if: [{when: 'a ==', next: a}]}\n",
		"flow: x\nsteps:\n  - {id: a, extract: {from: p, fields: {f: {type: enum}}}}\n",
		"flow: x\nsteps:\n  - id: a\n    say: |\n      {{ x | nope }}\n",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParseFile: no input makes loading or linting panic, and every
// diagnostic names the file and a line.
func FuzzParseFile(f *testing.F) {
	addFlowSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, diags := ParseFile("fuzz.yaml", data)
		if fl != nil {
			set := &Set{Flows: map[string]*Flow{fl.Name: fl}, Order: []string{fl.Name}}
			diags = append(diags, Lint(set, LintOptions{})...)
			for _, s := range fl.Steps {
				_ = s.Text.Paths()
				_, _ = s.Text.Render(func(string) (any, bool) { return "x", true }, BaseFilters())
			}
		}
		for _, d := range diags {
			if d.Pos.File != "fuzz.yaml" || d.Pos.Line < 1 || d.Message == "" {
				t.Fatalf("diagnostic without a place: %#v", d)
			}
		}
		if fl == nil && !diags.HasErrors() {
			t.Fatal("no flow and no error")
		}
	})
}

// FuzzParseTemplate: parsing never panics; a parsed template renders, and
// its paths are well formed.
func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{
		"", "Hi {{ lead.name }}!", `{{ contact.name | default "there" | upper }}`, "{{", "}}", "{{ }}",
		`{{ a | default "}}" }}`, `{{ a | default 'x\'y' }}`, "{{ a | money 12.5 }}", "{{ a.0.b }}",
		"{{ a | uppr }}", "{{{{ a }}}}", "é {{ é }}", "{{ a |", `{{ a | default "`, "{{ 1a }}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := ParseTemplate(src)
		if err != nil {
			te, ok := err.(*TemplateError)
			if !ok || te.Offset < 0 || te.Offset > len(src) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		for _, p := range tpl.Paths() {
			if checkPath(p) != nil {
				t.Fatalf("parsed a bad path %q", p)
			}
		}
		for _, b := range singleBraces(src) {
			if b.Offset < 0 || !strings.HasPrefix(src[b.Offset:], b.Text) {
				t.Fatalf("single-brace finding %+v is not in the source", b)
			}
		}
		out, err := tpl.Render(func(p string) (any, bool) { return strings.ToUpper(p), true }, testFilters())
		if err != nil && !strings.Contains(err.Error(), "money") {
			t.Fatalf("render: %v", err)
		}
		if !strings.Contains(src, "{{") && out != src {
			t.Fatalf("plain text changed: %q -> %q", src, out)
		}
	})
}

// FuzzCondition: reading a `when` for paths, tokens and operator fixes
// never panics, and every offset points into the expression.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{
		"project.service == 'roofing' and lead.city ~= nil", "a = 1", "a != b && c || !d", "x == roofing",
		"#project.photos > 2", "'unclosed", "[==[ long ]==] == a", "a . b . c == 'x'", "{ k = 1 }", "-- c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		end := 0
		tokens := luaTokens(expr)
		for _, tk := range tokens {
			if tk.at < end || tk.end <= tk.at || tk.end > len(expr) {
				t.Fatalf("token %+v out of order or bounds (after %d)", tk, end)
			}
			end = tk.end
		}
		_ = applyFixes(expr, operatorFixes(tokens))
		for _, cp := range conditionPaths(expr) {
			if cp.at < 0 || cp.at >= len(expr) {
				t.Fatalf("path %+v out of bounds", cp)
			}
		}
		comparisons(tokens, func(c comparison) {
			if c.left.end > c.right.at {
				t.Fatalf("comparison operands out of order: %+v", c)
			}
		})
	})
}

// FuzzTranslation: no translation file makes loading or linting it
// against the shipped flows panic, and every diagnostic about it names the
// file and a line.
func FuzzTranslation(f *testing.F) {
	if data, err := fs.ReadFile(Shipped(), "translations/es.yaml"); err == nil {
		f.Add(data)
	}
	paths, _ := filepath.Glob("testdata/lint/*/translations/*.yaml")
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{"", "language: es", "flows: 3", "flows:\n  greeting: x", "faq:\n  greeting:\n    weekends: {answer: [1]}", "engine: {a: '{{'}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, _ := LoadShipped()
		tr, diags := parseTranslation("translations/es.yaml", data, nil)
		set.Translations = []*Translation{tr}
		set.indexTranslations()
		for _, d := range append(diags, Lint(set, LintOptions{EngineTexts: []string{"opted_out"}})...) {
			if d.Pos.File == "translations/es.yaml" && (d.Pos.Line < 1 || d.Message == "") {
				t.Fatalf("diagnostic without a place: %#v", d)
			}
		}
		_ = set.Languages()
	})
}
