package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/flows"
)

// TestFlowTestShipped runs the shipped flows' tests (flows/tests) through
// the real command, as `make test` does.
func TestFlowTestShipped(t *testing.T) {
	names, err := fs.Glob(flows.ShippedTests(), "*.test.yaml")
	if err != nil || len(names) < 6 {
		t.Fatalf("want at least 6 shipped tests, found %d (%v)", len(names), err)
	}
	code, out, errs := runFlowCmd(t, "test")
	if code != exitOK || out != "" {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if want := fmt.Sprintf("%d passed, 0 failed\n", len(names)); errs != want {
		t.Errorf("summary %q, want %q", errs, want)
	}
}

// TestFlowTestWrongTextFails: a test that expects what the bot does not
// say fails at its line, with every bot message that came instead.
func TestFlowTestWrongTextFails(t *testing.T) {
	dir := t.TempDir()
	p := writeFlow(t, dir, "wrong.test.yaml", `name: expects the wrong welcome
steps:
  - customer: hi
  - bot: Welcome to Acme Plumbing
`)
	code, out, errs := runFlowCmd(t, "test", p)
	if code != exitInput {
		t.Errorf("exit %d, want %d", code, exitInput)
	}
	want := p + `:4: expected a bot message containing "Welcome to Acme Plumbing"; the bot sent:
    Hi there! 👋 Welcome to *Brightside Roofing & Painting*.`
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "\n    Are you 18 or over, and is that OK with you?\n    1) Yes, that's fine\n    2) No, thanks\n") {
		t.Errorf("stdout:\n%s\nwant it to start with:\n%s", out, want)
	}
	if errs != "0 passed, 1 failed\n" {
		t.Errorf("summary %q", errs)
	}
}

// TestFlowTestMalformedFile: mistakes in a test file are told at their
// line and exit 2; the well-formed tests still run.
func TestFlowTestMalformedFile(t *testing.T) {
	dir := t.TempDir()
	writeFlow(t, dir, "bad.test.yaml", `name: broken
steps:
  - customer: hi
  - bott: hello
  - wait: 3
  - photo: nothere.jpg caption
  - expect: { lead.name: [a, b] }
nmae: x
`)
	writeFlow(t, dir, "good.test.yaml", "name: fine\nsteps:\n  - customer: hi\n  - bot: welcome to\n")
	code, out, errs := runFlowCmd(t, "test", dir)
	bad := filepath.Join(dir, "bad.test.yaml")
	want := bad + `:4: unknown step "bott" (did you mean "bot"?): want one of customer, bot, bot_not, photo, wait, expect
` + bad + `:5: wait: duration "3" has no unit: write e.g. 3m, 3h or 3d
` + bad + `:6: photo: cannot read nothere.jpg (no such file or directory); name a file beside the test, or write photo: sample
` + bad + `:7: expect: lead.name: want one value (text, a number, true or false, or null for not set)
` + bad + `:8: unknown key "nmae" (did you mean "name"?)
`
	if code != exitUsage || out != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s", code, out, want)
	}
	if errs != "1 passed, 0 failed, 1 malformed\n" {
		t.Errorf("summary %q", errs)
	}
}

// TestFlowTestFlowsFolder: --flows DIR runs DIR/tests, with photos beside
// the tests, expectations of variables and a silence that fires a reminder.
func TestFlowTestFlowsFolder(t *testing.T) {
	dir := t.TempDir()
	writeFlow(t, dir, "greeting.yaml", `flow: greeting
steps:
  - id: ask_name
    ask: "Hi! What's your name?"
    save: lead.name
    after:
      - { wait: 2h, say: "Still there? Just your name, please." }
  - id: ask_photo
    photos: "Send a photo of the job."
    save: project.photos
    max: 1
  - id: thanks
    say: "Thanks {{ lead.name }}!"
    next: end
`)
	tests := filepath.Join(dir, "tests")
	if err := os.MkdirAll(filepath.Join(tests, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tests, "testdata", "roof.jpg"), []byte("\xff\xd8\xff\xe0 a jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFlow(t, tests, "pass.test.yaml", `name: reminded, then a photo
contact: "web:abc"
now: 2026-06-01T10:00:00Z
steps:
  - customer: hello
  - bot: what's your NAME
  - wait: 3h
  - bot: still there
  - customer: Ana
  - photo: testdata/roof.jpg the roof
  - bot: Thanks Ana
  - expect: { lead.name: Ana, contact.name: null }
`)
	writeFlow(t, tests, "fail.test.yaml", `name: a reminder that must not come
steps:
  - customer: hello
  - wait: 3h
  - bot_not: Still there
`)
	code, out, errs := runFlowCmd(t, "test", "--flows", dir, "-v")
	fail := filepath.Join(tests, "fail.test.yaml")
	want := "FAIL a reminder that must not come (" + fail + ")\n" +
		fail + `:5: expected no bot message containing "Still there"; the bot sent:
    Still there? Just your name, please.
ok   reminded, then a photo (` + filepath.Join(tests, "pass.test.yaml") + ")\n"
	if code != exitInput || out != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s\nstderr: %s", code, out, want, errs)
	}
}
