package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/flows"
)

// runFlowCmd runs `allmyleads flow ARGS...` with captured streams.
func runFlowCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code = run(context.Background(), env, append([]string{"flow"}, args...))
	return code, out.String(), errb.String()
}

func writeFlow(t *testing.T, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFlowLintShipped(t *testing.T) {
	code, out, errs := runFlowCmd(t, "lint")
	if code != exitOK || out != "" {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if errs != "0 errors, 0 warnings in 6 files\n" {
		t.Errorf("summary %q", errs)
	}
}

func TestFlowLintBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	writeFlow(t, dir, "a.yaml", `flow: a
steps:
  - id: ask_email
    ask: Email?
    save: lead.email
    validate: required,emial
    next: thnaks
  - id: thanks
    say: Thanks {{ lead.emial }}
    next: end
  - id: lost
    say: Nobody comes here
`)
	b := writeFlow(t, dir, "b.yml", "flow: b\nsteps:\n  - id: go\n    link: a\n")
	code, out, errs := runFlowCmd(t, "lint", "--start", "b", dir)
	a := filepath.Join(dir, "a.yaml")
	want := a + `:6:15: error: step "ask_email": validate: unknown tag "emial" (did you mean "email"?)
` + a + `:7:5: error: step "ask_email": next: no step "thnaks" in flow a (did you mean "thanks"? steps in flow a: ask_email, thanks, lost, or end)
` + a + `:9:10: error: step "thanks": say: {{ lead.emial }}: no step saves lead.emial and it is not built in (did you mean "lead.email"?)
` + a + `:11:5: warning: step "lost": never reached (go to it with next, or remove it)
`
	if code != exitInput || out != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s", code, out, want)
	}
	if errs != "3 errors, 1 warning in 2 files\n" {
		t.Errorf("summary %q", errs)
	}

	// Warnings alone exit 0; a single file can be linted.
	code, out, errs = runFlowCmd(t, "lint", b)
	if code != exitInput || !strings.Contains(out, `link: no flow "a"`) || errs != "1 error, 0 warnings in 1 file\n" {
		t.Errorf("single file: exit %d\n%s%s", code, out, errs)
	}
	w := writeFlow(t, t.TempDir(), "w.yaml", "flow: w\nsteps:\n  - id: hi\n    say: Hi\n    next: end\n  - id: orphan\n    say: Never\n")
	code, out, errs = runFlowCmd(t, "lint", "--start", "w", "--flows", filepath.Dir(w))
	if code != exitOK || !strings.Contains(out, "warning: step \"orphan\": never reached") || errs != "0 errors, 1 warning in 1 file\n" {
		t.Errorf("warnings only: exit %d\n%s%s", code, out, errs)
	}
}

// TestFlowLintShippedCopyWithSyntaxError: one broken file in a copy of the
// shipped flows gives its syntax error at the line at fault and one note,
// not knock-on errors in the files that link to it or use its variables.
func TestFlowLintShippedCopyWithSyntaxError(t *testing.T) {
	dir := t.TempDir()
	entries, err := fs.ReadDir(flows.Shipped(), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue // translations: not needed to show the syntax error
		}
		data, err := fs.ReadFile(flows.Shipped(), e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "collect_details.yaml" {
			lines := strings.Split(string(data), "\n")
			if !strings.HasPrefix(lines[5], "    save: ") {
				t.Fatalf("line 6 of collect_details.yaml is %q, want a save:", lines[5])
			}
			lines[5] = lines[5][2:] // under-indented, as a hand edit leaves it
			data = []byte(strings.Join(lines, "\n"))
		}
		writeFlow(t, dir, e.Name(), string(data))
	}
	code, out, errs := runFlowCmd(t, "lint", dir)
	broken := filepath.Join(dir, "collect_details.yaml")
	want := broken + ": note: other files were not fully checked because " + broken + " has syntax errors (links to its flow and the variables it saves are checked once it loads)\n" +
		broken + ":6:3: error: YAML syntax: this line is indented less than the step's other keys (indent save: with 4 spaces, like ask: on line 5)\n"
	if code != exitInput || out != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s", code, out, want)
	}
	if errs != "1 error, 0 warnings in 6 files\n" {
		t.Errorf("summary %q", errs)
	}
}

func TestFlowLintMissingPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	code, out, _ := runFlowCmd(t, "lint", missing)
	if code != exitInput || out != missing+": error: read flows: no such file or directory\n" {
		t.Errorf("exit %d, stdout %q", code, out)
	}
}

func TestFlowLintPluginsFlag(t *testing.T) {
	code, _, errs := runFlowCmd(t, "lint", "--plugins", filepath.Join(t.TempDir(), "nope"))
	if code != exitUsage || !strings.Contains(errs, "--plugins") {
		t.Errorf("missing plugins folder: exit %d, %s", code, errs)
	}
	if code, _, errs := runFlowCmd(t, "lint", "--plugins", t.TempDir()); code != exitOK {
		t.Errorf("plugins folder: exit %d, %s", code, errs)
	}
}

func TestFlowSchema(t *testing.T) {
	code, out, errs := runFlowCmd(t, "schema")
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if s["title"] != "AllMyLeads flow" {
		t.Errorf("title %v", s["title"])
	}
	if code, _, _ := runFlowCmd(t, "schema", "extra"); code != exitUsage {
		t.Errorf("extra argument: exit %d", code)
	}
}

func TestFlowUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
	}{
		{nil, exitUsage},
		{[]string{"nope"}, exitUsage},
		{[]string{"-h"}, exitOK},
		{[]string{"lint", "-h"}, exitOK},
		{[]string{"schema", "-h"}, exitOK},
		{[]string{"lint", "--bogus"}, exitUsage},
	} {
		code, out, errs := runFlowCmd(t, c.args...)
		if code != c.code {
			t.Errorf("flow %v: exit %d, want %d", c.args, code, c.code)
		}
		if !strings.Contains(out+errs, "Usage: allmyleads flow") {
			t.Errorf("flow %v: no usage in %q", c.args, out+errs)
		}
	}
}

// TestFlowLintStartFlow: a folder without the flow conversations start in
// cannot run, so lint says so (and --start names another start flow).
func TestFlowLintStartFlow(t *testing.T) {
	dir := t.TempDir()
	writeFlow(t, dir, "hello.yaml", "flow: hello\nsteps:\n  - id: hi\n    say: Hi\n")
	code, out, _ := runFlowCmd(t, "lint", dir)
	if code != exitInput || !strings.Contains(out, `no flow "greeting", where new conversations start`) {
		t.Errorf("without a greeting flow: exit %d\n%s", code, out)
	}
	if code, out, _ := runFlowCmd(t, "lint", "--start", "hello", dir); code != exitOK {
		t.Errorf("--start hello: exit %d\n%s", code, out)
	}
}
