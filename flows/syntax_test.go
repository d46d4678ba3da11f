package flows

import (
	"strings"
	"testing"
)

// TestExplainYAMLUnsure: when no run of lines reproduces yaml's error, the
// finding keeps yaml's line and offers its reading as a "maybe".
func TestExplainYAMLUnsure(t *testing.T) {
	src := []byte("flow: a\nsteps:\n  - id: a\n    ask: Name? Note: in capitals\n")
	f := explainYAML(src, "yaml: line 3: mapping values are not allowed in this context")
	if f.line != 3 || f.col != 1 || f.msg != "mapping values are not allowed in this context" {
		t.Errorf("got %d:%d %q, want yaml's line and message", f.line, f.col, f.msg)
	}
	if want := `maybe: line 4: the text has ": " in it`; !strings.HasPrefix(f.hint, want) {
		t.Errorf("hint %q, want it to start with %q", f.hint, want)
	}

	// A quote open to the end of the file is certain wherever yaml points.
	src = []byte("flow: a\nsteps:\n  - id: a\n    say: \"Hello\n  - id: b\n    say: Bye\n")
	f = explainYAML(src, "yaml: line 1: found unexpected end of stream")
	if f.line != 4 || f.col != 10 || !strings.Contains(f.msg, "never closed") {
		t.Errorf("got %d:%d %q", f.line, f.col, f.msg)
	}
}

// TestExplainYAMLLegalQuotes: quotes that span lines properly are not
// blamed for an error further down.
func TestExplainYAMLLegalQuotes(t *testing.T) {
	src := "flow: a\nsteps:\n  - id: a\n    say: \"Hello,\n      world\"\n  - id: b\n    say: Bye\n  save: x\n"
	_, diags := ParseFile("a.yaml", []byte(src))
	want := `a.yaml:8:3: error: YAML syntax: this line is indented less than the step's other keys (indent save: with 4 spaces, like say: on line 7)` + "\n"
	if got := diags.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
