package flows

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

// generatedFlows builds n flow files of m steps (m >= 12) that use every
// step kind, link into a ring and lint clean.
func generatedFlows(n, m int) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "flow: flow_%03d\ndescription: Generated flow %d for the benchmark\nsteps:\n", i, i)
		for j := range m - 1 {
			id := fmt.Sprintf("s%02d", j)
			fmt.Fprintf(&b, "  - id: %s\n", id)
			switch j % 10 {
			case 0:
				fmt.Fprintf(&b, "    ask: What is your full name? We need it for the quote.\n    save: lead.f%d_%d\n    validate: required,min=2,max=80\n    error: Please send your full name.\n", i, j)
			case 1:
				fmt.Fprintf(&b, "    say: 'Thanks {{ lead.f%d_%d | default \"friend\" | title }}, welcome to {{ config.business_name }}!'\n", i, j-1)
			case 2:
				fmt.Fprintf(&b, "    choice: Which service do you need?\n    save: project.f%d_%d\n    options:\n", i, j)
				for k, title := range []string{"Roofing", "Painting", "Gutters", "Something else"} {
					fmt.Fprintf(&b, "      - { id: o%d, title: %s, description: Option %d }\n", k, title, k)
				}
			case 3:
				fmt.Fprintf(&b, "    if:\n      - when: project.f%d_%d == 'o1' and lead.f%d_%d ~= nil\n        next: s%02d\n", i, j-1, i, j-3, j+2)
			case 4:
				fmt.Fprintf(&b, "    ask: What's your email address?\n    save: lead.email_%d_%d\n    validate: required,email\n    retries: 2\n    on_error: s%02d\n", i, j, j+1)
			case 5:
				fmt.Fprintf(&b, "    plugin: pricing.quote\n    save: quote.f%d\n    on_error: s%02d\n", i, j+1)
			case 6:
				fmt.Fprintf(&b, "    photos: Please send 1 to 3 photos, then type *done*.\n    save: project.photos_%d_%d\n    min: 1\n    max: 3\n    skip: end\n", i, j)
			case 7:
				fmt.Fprintf(&b, "    extract:\n      from: project.photos_%d_%d\n      instructions: Estimate the area in square metres.\n      fields:\n        area_m2: { type: number, required: true }\n        material: { type: enum, enum: [tiles, slate, metal] }\n    save: project.est_%d_%d\n    confirm_below: 0.6\n", i, j-1, i, j)
			case 8:
				fmt.Fprintf(&b, "    say: 'About {{ project.est_%d_%d.area_m2 }} m2, total {{ quote.f%d.total | money }}.'\n", i, j-1, i)
			case 9:
				fmt.Fprintf(&b, "    confirm_quote: Here is your quote, {{ lead.f%d_%d }}.\n    accept: s%02d\n    decline: s%02d\n", i, j-9, j+1, j+1)
			}
		}
		fmt.Fprintf(&b, "  - id: s%02d\n    link: flow_%03d\n", m-1, (i+1)%n)
		fsys[fmt.Sprintf("flow_%03d.yaml", i)] = &fstest.MapFile{Data: []byte(b.String())}
	}
	return fsys
}

func TestGeneratedFlowsLintClean(t *testing.T) {
	set, diags := LoadFS(generatedFlows(5, 50), ".", "gen/")
	diags = append(diags, Lint(set, LintOptions{})...)
	if len(diags) > 0 || len(set.Order) != 5 || len(set.Flow("flow_000").Steps) != 50 {
		t.Fatalf("%d flows:\n%s", len(set.Order), diags)
	}
}

// BenchmarkLoadLint loads and lints 200 flows of 50 steps, as `allmyleads
// flow lint` and the engine's start-up do.
func BenchmarkLoadLint(b *testing.B) {
	fsys := generatedFlows(200, 50)
	b.ReportAllocs()
	for b.Loop() {
		set, diags := LoadFS(fsys, ".", "gen/")
		diags = append(diags, Lint(set, LintOptions{})...)
		if len(diags) > 0 || len(set.Order) != 200 {
			b.Fatalf("%d flows, %d diagnostics: %s", len(set.Order), len(diags), diags[:min(3, len(diags))])
		}
	}
}

// BenchmarkParseTemplate parses a typical message.
func BenchmarkParseTemplate(b *testing.B) {
	src := `Wonderful, thank you {{ lead.name }}! You accepted our quote of *{{ quote.total | money }}*. We'll email {{ lead.email | lower }}.`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTemplate(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender renders a parsed template, as the engine does per message.
func BenchmarkRender(b *testing.B) {
	tpl, err := ParseTemplate(`Hi {{ contact.name | default "there" }}, your total is {{ quote.total | money }} for {{ project.estimate.area_m2 }} m2.`)
	if err != nil {
		b.Fatal(err)
	}
	vars := map[string]any{"contact": map[string]any{"name": "Jane"}, "quote": map[string]any{"total": 1234.5},
		"project": map[string]any{"estimate": map[string]any{"area_m2": 40.0}}}
	lookup, filters := lookupIn(vars), testFilters()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Render(lookup, filters); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSyntaxError parses a 50-step flow whose 45th step has a key
// indented too little: yaml's error is explained at the line at fault.
func BenchmarkSyntaxError(b *testing.B) {
	src := string(generatedFlows(1, 50)["flow_000.yaml"].Data)
	lines := strings.Split(src, "\n")
	at := -1
	for i := len(lines) * 9 / 10; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "    save: ") {
			at = i
			break
		}
	}
	if at < 0 {
		b.Fatal("no save: line near the end")
	}
	lines[at] = lines[at][2:]
	data := []byte(strings.Join(lines, "\n"))
	b.ReportAllocs()
	for b.Loop() {
		_, diags := ParseFile("f.yaml", data)
		if len(diags) != 1 || !strings.Contains(diags[0].Message, "indented less") || diags[0].Pos.Line != at+1 {
			b.Fatalf("got %s", diags)
		}
	}
}
