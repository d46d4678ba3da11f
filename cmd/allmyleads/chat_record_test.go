package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runChatCmd runs `allmyleads chat ARGS...` on a fresh database with
// piped input.
func runChatCmd(t *testing.T, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	cfg := filepath.Join(dir, "allmyleads.yaml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	args = append([]string{"chat", "--db", filepath.Join(dir, "chat.db"), "--config", cfg}, args...)
	code := run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

// TestChatWaitSendsReminders: /wait moves the terminal chat's clock and
// the reminders that fall due are printed in their place.
func TestChatWaitSendsReminders(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runChatCmd(t, dir, "hi\n/wait 1h\n/wait 2h\n/wait 1d\nyes\n/quit\n")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	i1, i2, i3 := strings.Index(out, "you> /wait 1h"), strings.Index(out, "you> /wait 2h"), strings.Index(out, "you> /wait 1d")
	rem := strings.Index(out, "bot> Still there?")
	if i1 < 0 || i2 < 0 || i3 < 0 || rem < i2 || rem > i3 || strings.Count(out, "Still there?") != 1 {
		t.Fatalf("want one reminder after /wait 2h (3 hours of silence):\n%s", out)
	}
	if !strings.Contains(out[i3:], "bot> Great, let's get started! What's your full name?") {
		t.Errorf("the conversation did not carry on:\n%s", out)
	}
	if code, out, _ := runChatCmd(t, dir, "/wait soon\n/quit\n"); code != exitOK || !strings.Contains(out, "(/wait soon: want e.g. 30m, 3h or 2d)") {
		t.Errorf("a bad /wait: exit %d\n%s", code, out)
	}
}

// TestChatRecordsATest: a conversation typed in the chat (with a photo and
// /wait) is written as a test file that `flow test` passes, and a copy
// edited to expect the wrong text fails.
func TestChatRecordsATest(t *testing.T) {
	dir := t.TempDir()
	photo := filepath.Join(dir, "pics", "roof.png")
	if err := os.MkdirAll(filepath.Dir(photo), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, samplePNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	testFile := filepath.Join(dir, "tests", "silent_then_quote.test.yaml")
	if err := os.MkdirAll(filepath.Dir(testFile), 0o755); err != nil {
		t.Fatal(err)
	}
	script := strings.Join([]string{"hi", "/wait 3h", "yes", "Ana Lima", "ana@example.com", "1", "skip",
		"12 High Street, Bristol BS1 4DJ", "roofing", "Some tiles slipped in the storm.", "/photo " + photo + " about 40 m2", "done", "yes", "accept", "/quit"}, "\n") + "\n"
	code, out, errs := runChatCmd(t, dir, script, "--record", testFile)
	if code != exitOK || !strings.Contains(errs, "recorded the conversation in "+testFile) {
		t.Fatalf("chat: exit %d\n%s\n%s", code, out, errs)
	}
	rec, err := os.ReadFile(testFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name: silent then quote\n", "  - customer: hi\n", "  - wait: 3h\n", "  - bot: Still there?", "  - photo: ../pics/roof.png about 40 m2\n", "  - bot: Here is your quote, Ana Lima 👇\n", "  - customer: accept\n"} {
		if !strings.Contains(string(rec), want) {
			t.Errorf("the recorded test lacks %q:\n%s", want, rec)
		}
	}
	code, out, errs = runFlowCmd(t, "test", testFile)
	if code != exitOK || errs != "1 passed, 0 failed\n" {
		t.Fatalf("the recorded test: exit %d\n%s%s\n%s", code, out, errs, rec)
	}
	wrong := strings.Replace(string(rec), "bot: Great, let's get started!", "bot: Great, let's get going!", 1)
	wrongFile := filepath.Join(filepath.Dir(testFile), "wrong.test.yaml")
	if err := os.WriteFile(wrongFile, []byte(wrong), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runFlowCmd(t, "test", wrongFile); code != exitInput || !strings.Contains(out, `expected a bot message containing "Great, let's get going!`) {
		t.Errorf("an edited recording expecting the wrong text: exit %d\n%s", code, out)
	}
}

// samplePNG is a small image file.
func samplePNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
