package flows

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

// lintPaths loads and lints paths as `allmyleads flow lint` does.
func lintPaths(paths ...string) (*Set, Diagnostics) {
	return lintPathsWith(LintOptions{}, paths...)
}

func lintPathsWith(opts LintOptions, paths ...string) (*Set, Diagnostics) {
	set, diags := LoadFiles(paths...)
	diags = append(diags, Lint(set, opts)...)
	diags.Sort()
	return set, diags
}

// caseOptions reads a lint case's options from NAME.options.json, if any:
// {"start_flow": "greeting"}.
func caseOptions(t *testing.T, base string) LintOptions {
	data, err := os.ReadFile(filepath.Join("testdata/lint", base+".options.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return LintOptions{}
	}
	var o struct {
		StartFlow   string   `json:"start_flow"`
		EngineTexts []string `json:"engine_texts"`
	}
	if err == nil {
		err = json.Unmarshal(data, &o)
	}
	if err != nil {
		t.Fatalf("options: %v", err)
	}
	return LintOptions{StartFlow: o.StartFlow, EngineTexts: o.EngineTexts}
}

// TestLintGolden runs every case in testdata/lint: a file NAME.yaml or a
// folder NAME of flow files, with the exact diagnostics in NAME.golden
// and the lint options, if any, in NAME.options.json. Cases named *_ok
// must lint clean; every other case must find something.
func TestLintGolden(t *testing.T) {
	entries, err := os.ReadDir("testdata/lint")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && !isFlowFile(name) {
			continue
		}
		n++
		base := strings.TrimSuffix(name, filepath.Ext(name))
		t.Run(base, func(t *testing.T) {
			_, diags := lintPathsWith(caseOptions(t, base), filepath.Join("testdata/lint", name))
			got := diags.String()
			if strings.HasSuffix(base, "_ok") {
				if got != "" {
					t.Fatalf("want no diagnostics, got:\n%s", got)
				}
			} else if got == "" {
				t.Fatal("want diagnostics, got none: a broken case must be caught")
			}
			golden := filepath.Join("testdata/lint", base+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("diagnostics differ from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d lint cases found", n)
	}
}

// TestShippedFlowsLintClean holds the shipped flows to zero errors and zero
// warnings, and checks they make the one quote conversation the engine and
// the records rely on.
func TestShippedFlowsLintClean(t *testing.T) {
	set, diags := LoadShipped()
	diags = append(diags, Lint(set, LintOptions{})...)
	if len(diags) > 0 {
		t.Fatalf("shipped flows are not clean:\n%s", diags)
	}
	want := []string{"greeting", "consent", "collect_details", "request_photos", "confirm_quote", "opt_out"}
	for _, name := range want {
		if set.Flow(name) == nil {
			t.Errorf("shipped flow %q is missing", name)
		}
		if !slices.Contains(set.Files, "flows/"+name+".yaml") {
			t.Errorf("flow %q is not in flows/%s.yaml", name, name)
		}
	}

	// The variables other packages read.
	saved := map[string]bool{}
	for _, f := range set.Flows {
		for _, s := range f.Steps {
			if s.Save != "" {
				saved[s.Save] = true
			}
		}
	}
	for _, v := range []string{"lead.name", "lead.email", "lead.phone", "lead.phone_ok", "lead.company", "lead.address",
		"project.service", "project.description", "project.photos", "project.estimate", "project.estimate.area_m2", "quote"} {
		if !saved[v] {
			t.Errorf("no shipped step saves %s", v)
		}
	}

	// greeting leads through every flow but opt_out by links.
	reached := map[string]bool{}
	var walk func(name string)
	walk = func(name string) {
		if reached[name] {
			return
		}
		reached[name] = true
		for _, s := range set.Flow(name).Steps {
			if s.Kind == KindLink {
				walk(s.Link)
			}
		}
	}
	walk("greeting")
	for _, name := range want[:5] {
		if !reached[name] {
			t.Errorf("flow %s is not reached from greeting", name)
		}
	}

	// Each flow shows the customer something, and the conversation can
	// hand over to a person and end.
	kinds := map[Kind]bool{}
	for _, f := range set.Flows {
		for _, s := range f.Steps {
			kinds[s.Kind] = true
		}
	}
	for _, k := range []Kind{KindSay, KindAsk, KindChoice, KindPhotos, KindExtract, KindPlugin, KindConfirmQuote, KindConsent, KindIf, KindLink, KindHandoff} {
		if !kinds[k] {
			t.Errorf("the shipped conversation uses no %s step", k)
		}
	}
}

// TestKindFixtures walks the registry: every kind has a fixture in
// testdata/kinds that loads and lints clean and uses that kind, so a new
// kind cannot land untested.
func TestKindFixtures(t *testing.T) {
	for _, k := range Kinds() {
		t.Run(string(k.Kind), func(t *testing.T) {
			path := filepath.Join("testdata/kinds", string(k.Kind)+".yaml")
			set, diags := lintPaths(path)
			if len(diags) > 0 {
				t.Fatalf("fixture is not clean:\n%s", diags)
			}
			used := false
			for _, f := range set.Flows {
				for _, s := range f.Steps {
					used = used || s.Kind == k.Kind
				}
			}
			if !used {
				t.Fatalf("%s does not use a %s step", path, k.Kind)
			}
		})
	}
}

func TestKindsRegistry(t *testing.T) {
	seen := map[Kind]bool{}
	keys := stepKeySchemas()
	for _, k := range Kinds() {
		if seen[k.Kind] {
			t.Errorf("kind %s listed twice", k.Kind)
		}
		seen[k.Kind] = true
		if k.Doc == "" {
			t.Errorf("kind %s has no doc", k.Kind)
		}
		for _, key := range append(slices.Clone(k.Keys), k.Required...) {
			if _, ok := keys[key]; !ok {
				t.Errorf("kind %s: key %s has no schema", k.Kind, key)
			}
		}
		for _, r := range k.Required {
			if !slices.Contains(k.Keys, r) {
				t.Errorf("kind %s requires %s but does not allow it", k.Kind, r)
			}
		}
		s := &Step{Kind: k.Kind}
		if k.Kind == KindExtract {
			if s.Waits() {
				t.Errorf("extract without confirm_below must not wait")
			}
			s.ConfirmBelow = 0.5
			if !s.Waits() {
				t.Errorf("extract with confirm_below must wait")
			}
			continue
		}
		if s.Waits() != k.Waits {
			t.Errorf("kind %s: Step.Waits says %v, KindSpec says %v", k.Kind, s.Waits(), k.Waits)
		}
	}
}

func TestLintOptions(t *testing.T) {
	src := `flow: opts
steps:
  - id: price
    plugin: pricing.quote
    save: quote
  - id: route
    if:
      - when: quote.total > 100
        next: big
  - id: small
    say: "{{ shop.name }} says {{ quote.total }}"
    next: end
  - id: big
    say: Big job
`
	f, diags := ParseFile("opts.yaml", []byte(src))
	if len(diags) > 0 {
		t.Fatalf("parse: %s", diags)
	}
	set := &Set{Flows: map[string]*Flow{f.Name: f}, Order: []string{f.Name}}

	var refs, conds []string
	got := Lint(set, LintOptions{
		Plugin: func(ref string) error {
			refs = append(refs, ref)
			return errTest("no function quote in plugins/pricing.lua")
		},
		Condition: func(expr string) error { conds = append(conds, expr); return errTest("unknown variable quote") },
		Builtins:  []string{"shop"},
	}).String()
	want := `opts.yaml:4:5: error: step "price": plugin: no function quote in plugins/pricing.lua
opts.yaml:8:15: error: step "route": if: branch 1: when: unknown variable quote
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if !slices.Equal(refs, []string{"pricing.quote"}) || !slices.Equal(conds, []string{"quote.total > 100"}) {
		t.Errorf("options called with %v and %v", refs, conds)
	}
	// Without Builtins, shop.name has no provider.
	if got := Lint(set, LintOptions{}).String(); !strings.Contains(got, "no step saves shop.name") {
		t.Errorf("want shop.name reported without the builtin, got:\n%s", got)
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestParseCondition(t *testing.T) {
	for _, c := range []struct {
		expr string
		ok   bool
	}{
		{"project.service == 'roofing' and lead.city ~= nil", true},
		{"not lead.company", true},
		{"(quote.total or 0) >= 1000", true},
		{"#project.photos > 2", true},
		{"project.service = 'x'", false},
		{"a and", false},
		{"a, b", false},
		{"x = 1", false},
		{"", false},
		{"a end", false},
		{"a -- a comment", true},
	} {
		err := ParseCondition(c.expr)
		if (err == nil) != c.ok {
			t.Errorf("ParseCondition(%q) = %v, want ok=%v", c.expr, err, c.ok)
		}
	}
}

func TestDiagnosticString(t *testing.T) {
	for _, c := range []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Pos: Pos{"f.yaml", 3, 5}, Message: "m", Hint: `did you mean "a"?`}, `f.yaml:3:5: error: m (did you mean "a"?)`},
		{Diagnostic{Pos: Pos{"f.yaml", 3, 5}, Severity: Warning, Message: "m"}, `f.yaml:3:5: warning: m`},
		{Diagnostic{Pos: Pos{File: "dir"}, Message: "m"}, `dir: error: m`},
		{Diagnostic{Message: "m"}, `-: error: m`},
	} {
		if got := c.d.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	ds := Diagnostics{
		{Pos: Pos{"b.yaml", 1, 1}, Message: "b"},
		{Pos: Pos{"a.yaml", 9, 1}, Severity: Warning, Message: "w"},
		{Pos: Pos{"a.yaml", 9, 1}, Message: "e"},
		{Pos: Pos{"a.yaml", 2, 7}, Message: "c"},
	}
	ds.Sort()
	if got, want := ds.String(), "a.yaml:2:7: error: c\na.yaml:9:1: error: e\na.yaml:9:1: warning: w\nb.yaml:1:1: error: b\n"; got != want {
		t.Errorf("sorted:\n%s\nwant:\n%s", got, want)
	}
	if e, w := ds.Count(); e != 3 || w != 1 || !ds.HasErrors() || len(ds.Errors()) != 3 {
		t.Errorf("Count = %d, %d", e, w)
	}
	if err := ds.Err(); err == nil || !strings.Contains(err.Error(), "and 2 more errors") {
		t.Errorf("Err() = %v", err)
	}
	if (Diagnostics{{Severity: Warning}}).Err() != nil {
		t.Error("warnings alone are not an error")
	}
}

func TestLoadFSAndDir(t *testing.T) {
	set, diags := LoadFS(Shipped(), ".", "flows/")
	if len(diags) > 0 || len(set.Order) != 6 {
		t.Fatalf("LoadFS: %d flows, %s", len(set.Order), diags)
	}
	dir := t.TempDir()
	for name, src := range map[string]string{
		"a.yaml":    "flow: a\nsteps:\n  - id: hi\n    say: Hi\n  - id: go\n    link: b\n",
		"b.yml":     "flow: b\nsteps:\n  - id: bye\n    say: Bye\n",
		"notes.txt": "not a flow",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	set, diags = LoadDir(dir)
	diags = append(diags, Lint(set, LintOptions{})...)
	if len(diags) > 0 || !slices.Equal(set.Order, []string{"a", "b"}) {
		t.Fatalf("LoadDir: %v %s", set.Order, diags)
	}
	if set.Flow("a").Step("go").Link != "b" || set.Flow("missing") != nil {
		t.Error("Set.Flow or Flow.Step wrong")
	}
	// Files named twice load once.
	set, diags = LoadFiles(filepath.Join(dir, "a.yaml"), dir)
	if len(diags) > 0 || len(set.Files) != 2 {
		t.Errorf("LoadFiles: %v %s", set.Files, diags)
	}
	_, diags = LoadFiles(filepath.Join(dir, "nope.yaml"))
	if got := diags.String(); !strings.Contains(got, "nope.yaml: error: read flows: no such file or directory") {
		t.Errorf("missing file: %s", got)
	}
}

func TestFlowHelpers(t *testing.T) {
	f, diags := ParseFile("h.yaml", []byte("flow: h\nstart: b\nsteps:\n  - id: a\n    say: A\n  - id: b\n    say: B\n    next: a\n"))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if f.StartStep().ID != "b" || f.After("a").ID != "b" || f.After("b") != nil || f.Step("zzz") != nil {
		t.Error("StartStep/After/Step wrong")
	}
	if p := f.Step("b").KeyPos("next"); p.Line != 8 || p.Col != 5 {
		t.Errorf("KeyPos(next) = %v", p)
	}
	if p := f.Step("b").KeyPos("nothing"); p != f.Step("b").Pos {
		t.Errorf("KeyPos of an absent key = %v, want the step's position", p)
	}
	if f.Keys["start"].Line != 2 || f.Pos.Line != 1 {
		t.Errorf("flow positions: %v %v", f.Keys, f.Pos)
	}
}

func TestFlowNameIn(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"flow: collect_details\nsteps:\n  - id: a\n   say: x\n", "collect_details"},
		{"# a comment\nflow: 'quoted'   # note\r\nsteps: [\n", "quoted"},
		{"flow: \"half'\nsteps:\n", ""},
		{"flow: a\nflow: b\n", ""},
		{"  flow: nested\n", ""},
		{"steps:\n  - id: a\n", ""},
	} {
		if got := flowNameIn([]byte(c.src)); got != c.want {
			t.Errorf("flowNameIn(%q) = %q, want %q", c.src, got, c.want)
		}
	}
}

func TestConditionPaths(t *testing.T) {
	for _, c := range []struct {
		expr string
		want []string
	}{
		{"project.service == 'roofing' and lead.city ~= nil", []string{"project.service@0", "lead.city@33"}},
		{`'it\'s lead.x' == a.b`, []string{"a.b@18"}},
		{"x .. y and 0x1F > n and 1.5e-3 < m", []string{"x@0", "y@5", "n@18", "m@33"}},
		{"[==[ lead.x ]] ]==] == lead.y --[[ lead.z ]] or q -- r.s", []string{"lead.y@23", "q@48"}},
		{"(function(a) return a end)(1)", nil},
		{"#project.photos[1].url > 0 and f(x):upper()", []string{"project.photos@1", "f@31", "x@33"}},
		{"{ key = lead.name }", []string{"lead.name@8"}},
		{"true and not nil or false", nil},
		{"math.max(quote.total, 1) > round(2)", []string{"quote.total@9"}},
	} {
		var got []string
		for _, p := range conditionPaths(c.expr) {
			got = append(got, fmt.Sprintf("%s@%d", p.path, p.at))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("conditionPaths(%q) = %v, want %v", c.expr, got, c.want)
		}
	}
}

func TestConditionFixes(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{"a = 1", "a == 1"},
		{"a != 'x'", "a ~= 'x'"},
		{"a&&b||c", "a and b or c"},
		{"!a", "not a"},
		{"(!a) && b", "(not a) and b"},
		{"{ k = 1 } ~= nil and a = 2", "{ k = 1 } ~= nil and a == 2"},
		{"'a = b' == a -- x = y", "'a = b' == a -- x = y"},
		{"a ~= b", "a ~= b"},
	} {
		if got := applyFixes(c.expr, operatorFixes(luaTokens(c.expr))); got != c.want {
			t.Errorf("fix %q = %q, want %q", c.expr, got, c.want)
		}
	}
	for _, expr := range []string{"'", "[[x", "[==[", "\"a\\", "é == ü", "a..b...c", "0x1p4 == .5"} {
		for _, tk := range luaTokens(expr) {
			if tk.at < 0 || tk.end > len(expr) || tk.at >= tk.end {
				t.Errorf("luaTokens(%q): bad token %+v", expr, tk)
			}
		}
	}
}

func TestLoadStartFlow(t *testing.T) {
	if _, diags := Load("", WithStartFlow(DefaultStartFlow)); len(diags) > 0 {
		t.Fatalf("shipped flows lack %s: %s", DefaultStartFlow, diags)
	}
	_, diags := Load("testdata/lint/start_flow_renamed", WithStartFlow(DefaultStartFlow))
	want := `testdata/lint/start_flow_renamed/greeting.yaml:1:1: error: no flow "greeting", where new conversations start: greeting.yaml names its flow "hello" (write flow: greeting, or configure hello as the start flow)` + "\n"
	if got := diags.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if _, diags := Load("testdata/lint/start_flow_renamed"); len(diags) > 0 {
		t.Errorf("without WithStartFlow, Load checks no start flow: %s", diags)
	}
	if got := Lint(nil, LintOptions{StartFlow: "x"}); got != nil {
		t.Errorf("Lint(nil) = %s", got)
	}
}
