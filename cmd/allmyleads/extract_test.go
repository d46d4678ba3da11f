package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/engine/extract/openaitest"
)

// runExtractCmd runs `allmyleads extract ARGS` with the given environment
// and an empty configuration file.
func runExtractCmd(t *testing.T, envVars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "allmyleads.yaml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return envVars[k] }}
	hasConfig := false
	for _, a := range args {
		hasConfig = hasConfig || strings.HasPrefix(a, "--config")
	}
	if !hasConfig {
		args = append(args, "--config", cfg)
	}
	code = run(context.Background(), env, append([]string{"extract"}, args...))
	return code, out.String(), errb.String()
}

var jpegBytes = []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type extractJSON struct {
	Extractor     string `json:"extractor"`
	Model         string `json:"model"`
	PromptVersion string `json:"prompt_version"`
	Fields        map[string]struct {
		Value      any     `json:"value"`
		Confidence float64 `json:"confidence"`
	} `json:"fields"`
	Tokens *struct{ Prompt, Output int } `json:"tokens"`
}

func decodeExtract(t *testing.T, stdout string) extractJSON {
	t.Helper()
	var out extractJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("stdout is not the JSON result: %v\n%s", err, stdout)
	}
	return out
}

func TestExtractOffline(t *testing.T) {
	code, stdout, stderr := runExtractCmd(t, nil, "",
		"--text", "Hi! The roof is about 12x8 m, old clay tiles. Mail me at jan@example.nl",
		"--fields", "area_m2:number,material:enum(tiles|metal),email:string?,start:date?")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "OPENAI_API_KEY is not set") {
		t.Errorf("no note about the offline extractor: %q", stderr)
	}
	out := decodeExtract(t, stdout)
	if out.Extractor != "offline" || out.PromptVersion == "" || out.Tokens != nil {
		t.Errorf("result: %+v", out)
	}
	if f := out.Fields["area_m2"]; f.Value != 96.0 || f.Confidence != 0.5 {
		t.Errorf("area_m2 = %+v", f)
	}
	if f := out.Fields["material"]; f.Value != "tiles" {
		t.Errorf("material = %+v", f)
	}
	if f, ok := out.Fields["start"]; !ok || f.Value != nil {
		t.Errorf("a field not found must print as null: %+v (present %v)", f, ok)
	}
	// Fields print in the order asked.
	if i, j := strings.Index(stdout, `"area_m2"`), strings.Index(stdout, `"start"`); i < 0 || j < i {
		t.Errorf("fields out of order:\n%s", stdout)
	}
}

func TestExtractTextFromStdin(t *testing.T) {
	code, stdout, stderr := runExtractCmd(t, nil, "call +31 6 1234 5678\n", "--text", "-", "--fields", "phone:string")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if f := decodeExtract(t, stdout).Fields["phone"]; f.Value != "+31612345678" {
		t.Errorf("phone = %+v", f)
	}
}

func TestExtractOpenAI(t *testing.T) {
	srv := openaitest.New(t)
	srv.Reply(openaitest.Good(map[string]any{"area_m2": 42, "material": "metal"}).WithUsage(900, 31))
	img := writeFile(t, "roof.jpg", jpegBytes)
	env := map[string]string{"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": srv.URL, "OPENAI_MODEL": "gpt-4.1-mini"}
	code, stdout, stderr := runExtractCmd(t, env, "",
		"--image", img, "--text", "the shed roof", "--instructions", "Estimate the roof area.",
		"--fields", "area_m2:number,material:enum(tiles|metal),notes:string?")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "offline") {
		t.Errorf("offline note with a key set: %q", stderr)
	}
	out := decodeExtract(t, stdout)
	if out.Extractor != "openai" || out.Model != "gpt-4.1-mini" || out.Tokens == nil || out.Tokens.Prompt != 900 || out.Tokens.Output != 31 {
		t.Errorf("result: %+v tokens %+v", out, out.Tokens)
	}
	if f := out.Fields["area_m2"]; f.Value != 42.0 || f.Confidence != openaitest.GoodConfidence {
		t.Errorf("area_m2 = %+v", f)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Model != "gpt-4.1-mini" || !r.ResponseFormat.Strict {
		t.Errorf("request model %q strict %v", r.Model, r.ResponseFormat.Strict)
	}
	if urls := r.ImageURLs(); len(urls) != 1 || urls[0] != "data:image/jpeg;base64,"+base64.StdEncoding.EncodeToString(jpegBytes) {
		t.Errorf("images = %q", urls)
	}
	if texts := strings.Join(r.Texts(), "\n"); !strings.Contains(texts, "the shed roof") || !strings.Contains(texts, "Estimate the roof area.") {
		t.Errorf("texts = %q", texts)
	}
}

func TestExtractOpenAIFailure(t *testing.T) {
	srv := openaitest.New(t)
	srv.Reply(openaitest.Refusal())
	env := map[string]string{"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": srv.URL}
	code, stdout, stderr := runExtractCmd(t, env, "", "--text", "hello", "--fields", "n:number")
	if code != exitRuntime || stdout != "" || !strings.Contains(stderr, "refused") {
		t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}

func TestExtractUsageAndInputErrors(t *testing.T) {
	big := writeFile(t, "big.jpg", append(append([]byte(nil), jpegBytes...), make([]byte, 2048)...))
	notImage := writeFile(t, "notes.txt", []byte("just text"))
	smallLimit := writeFile(t, "limit.yaml", []byte("openai:\n  max_image_bytes: 1024\n"))
	badConfig := writeFile(t, "bad.yaml", []byte("openai:\n  modle: x\n"))
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"-h"}, exitOK, "--fields"},
		{"no fields", []string{"--text", "x"}, exitUsage, "--fields is required"},
		{"bad field type", []string{"--text", "x", "--fields", "a:number,b:decimal"}, exitUsage, `field 2 "b:decimal": unknown type "decimal"`},
		{"field without type", []string{"--text", "x", "--fields", "area_m2"}, exitUsage, `field 1 "area_m2": want NAME:TYPE`},
		{"duplicate field", []string{"--text", "x", "--fields", "a:number,a:string"}, exitUsage, `field 2 "a"`},
		{"nothing to read", []string{"--fields", "a:number"}, exitUsage, "give --text and/or --image"},
		{"stray argument", []string{"--fields", "a:number", "roof"}, exitUsage, `unexpected argument "roof"`},
		{"missing image", []string{"--fields", "a:number", "--image", "/nonexistent/roof.jpg"}, exitInput, "/nonexistent/roof.jpg"},
		{"not an image", []string{"--fields", "a:number", "--image", notImage}, exitInput, "is not a JPEG, PNG, GIF or WebP image"},
		{"image over the limit", []string{"--fields", "a:number", "--image", big, "--config", smallLimit}, exitInput, "over the limit of 1024"},
		{"bad config", []string{"--fields", "a:number", "--text", "x", "--config", badConfig}, exitInput, `bad.yaml:2: error: unknown key "modle"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runExtractCmd(t, nil, "", c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, c.code, stderr, c.want)
			}
			if c.code != exitOK && stdout != "" {
				t.Errorf("stdout on failure: %q", stdout)
			}
		})
	}
}
