package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runPluginCmd runs `allmyleads plugin ARGS...` with captured streams.
func runPluginCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code = run(context.Background(), env, append([]string{"plugin"}, args...))
	return code, out.String(), errb.String()
}

func TestPluginRunQuote(t *testing.T) {
	code, out, errs := runPluginCmd(t, "", "run", "pricing", "--fn", "quote", "--input", "testdata/plugin/roofing.json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var q map[string]any
	if err := json.Unmarshal([]byte(out), &q); err != nil {
		t.Fatal(err)
	}
	if q["total"] != 3676.14 || q["total_minor"] != 367614.0 || q["plugin"] != "pricing.quote" {
		t.Fatalf("quote %v", q)
	}
	// The source hash changes with every edit of pricing.lua; the rest is golden.
	q["source_hash"] = "(sha256 of pricing.lua)"
	b, _ := json.MarshalIndent(q, "", "  ")
	golden(t, "testdata/plugin/roofing.golden.json", append(b, '\n'))
	if !strings.Contains(errs, `msg="priced roofing 3 lines" plugin=pricing.quote contact=cli`) {
		t.Errorf("log(...) not on stderr: %q", errs)
	}
}

// A reference FILE.FUNCTION, input from stdin, a path to any .lua file,
// and a value that is not a quote.
func TestPluginRunForms(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "greet.lua")
	if err := os.WriteFile(path, []byte("function hello(ctx)\n  return { text = 'Hello ' .. ctx.lead.name, n = #ctx.vars.items }\nend\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runPluginCmd(t, `{"lead": {"name": "Jane"}, "vars": {"items": [1, 2]}}`, "run", path, "--fn", "hello", "--input", "-")
	if code != exitOK || out != "{\n  \"n\": 2,\n  \"text\": \"Hello Jane\"\n}\n" {
		t.Fatalf("exit %d, out %q, err %q", code, out, errs)
	}
	code, out, errs = runPluginCmd(t, `{"project": {"service": "painting", "estimate": {"area_m2": 10}}}`, "run", "pricing.quote", "--input", "-")
	if code != exitOK || !strings.Contains(out, `"total": 302.5,`) {
		t.Fatalf("exit %d, out %q, err %q", code, out, errs)
	}
}

func TestPluginRunErrors(t *testing.T) {
	dir := t.TempDir()
	slow := filepath.Join(dir, "slow.lua")
	if err := os.WriteFile(slow, []byte("function f(ctx)\n  while true do end\nend\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"lead\": [1,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"timeout", "", []string{"run", slow, "--fn", "f", "--timeout", "20ms"}, exitInput, slow + ":2: timed out after 20ms\n"},
		{"plugin error", `{"project": {"service": "other"}}`, []string{"run", "pricing", "--input", "-"}, exitInput, "pricing.lua:"},
		{"missing function", "", []string{"run", "pricing", "--fn", "qoute"}, exitInput, `pricing.lua has no function qoute (did you mean "pricing.quote"?)` + "\n"},
		{"missing file", "", []string{"run", "pricng"}, exitInput, `plugin file pricng.lua not found (did you mean "pricing.quote"?)`},
		{"bad JSON", "", []string{"run", "pricing", "--input", bad}, exitInput, bad + ": 2:14: unexpected end of JSON\n"},
		{"not an object", "[1]", []string{"run", "pricing", "--input", "-"}, exitInput, "stdin: want a JSON object"},
		{"unknown input key", `{"leads": {}}`, []string{"run", "pricing", "--input", "-"}, exitInput, `stdin: leads: unknown key (did you mean "lead"?)`},
		{"no file", "", []string{"run"}, exitUsage, "Usage: allmyleads plugin run FILE"},
		{"path and --plugins", "", []string{"run", slow, "--plugins", dir}, exitUsage, "not both"},
		{"no such file", "", []string{"run", filepath.Join(dir, "nothing.lua")}, exitInput, "nothing.lua: no such file or directory"},
		{"unknown subcommand", "", []string{"debug"}, exitUsage, `unknown subcommand "debug"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runPluginCmd(t, tc.stdin, tc.args...)
			if code != tc.code || out != "" || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d (want %d), stdout %q\nstderr %q\nwant %q", code, tc.code, out, errs, tc.want)
			}
		})
	}
	if code, out, _ := runPluginCmd(t, "", "-h"); code != exitOK || !strings.Contains(out, "allmyleads plugin test") {
		t.Fatalf("-h: %d %q", code, out)
	}
}

func TestPluginTestShipped(t *testing.T) {
	code, out, errs := runPluginCmd(t, "", "test")
	if code != exitOK || !strings.HasPrefix(out, "PASS pricing_test.lua:test_roofing_tiles\n") || !strings.HasSuffix(out, " passed, 0 failed\n") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if errs != "" {
		t.Fatalf("stderr without -v: %q", errs)
	}
}

func TestPluginTestFailing(t *testing.T) {
	code, out, errs := runPluginCmd(t, "", "test", "testdata/plugin/failing")
	if code != exitInput {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	want := "PASS testdata/plugin/failing/calc_test.lua:test_ten_m2\n" +
		"FAIL testdata/plugin/failing/calc_test.lua:6: test_wrong_total: quote total is €100.00, expected €99.00\n" +
		"1 passed, 1 failed\n"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	if code, _, errs := runPluginCmd(t, "", "test", t.TempDir()); code != exitInput || !strings.Contains(errs, "no *_test.lua files") {
		t.Fatalf("empty folder: %d %q", code, errs)
	}
}

// TestPluginTestPrints: what a plugin test prints shows under its line.
func TestPluginTestPrints(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "calc.lua"), []byte("function double(x) return x * 2 end\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "calc_test.lua"), []byte("function test_double()\n  print(\"double of 2 is\", double(2))\n  assert_eq(double(2), 4)\nend\n"), 0o644)
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run(context.Background(), env, []string{"plugin", "test", dir}); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "    | double of 2 is 4") {
		t.Errorf("the print is not shown:\n%s", out.String())
	}
}
