package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestChatLogsStayOutOfTheTranscript: a plugin that fails makes the engine
// log a warning; the terminal chat shows the conversation only, and the
// log goes where --log or ALLMYLEADS_LOG asks.
func TestChatLogsStayOutOfTheTranscript(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "logs", "chat.log")
	cfg := filepath.Join(dir, "allmyleads.yaml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		name    string
		args    []string
		env     map[string]string
		stderr  bool // the warning is on stderr
		logFile bool // the warning is in logFile
	}{
		{name: "default"},
		{name: "--log FILE", args: []string{"--log", logFile}, logFile: true},
		{name: "--log -", args: []string{"--log", "-"}, stderr: true},
		{name: "ALLMYLEADS_LOG", env: map[string]string{"ALLMYLEADS_LOG": "info"}, stderr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(logFile)
			var out, errb bytes.Buffer
			env := &cliEnv{stdin: strings.NewReader("hi\nAna Lima\n/quit\n"), stdout: &out, stderr: &errb, getenv: func(k string) string { return c.env[k] }}
			args := append([]string{"chat", "--db", filepath.Join(dir, fmt.Sprintf("chat%d.db", i)), "--config", cfg,
				"--flows", "testdata/chat_log/flows", "--plugins", "testdata/chat_log/plugins"}, c.args...)
			if code := run(context.Background(), env, args); code != exitOK {
				t.Fatalf("chat: exit %d\n%s\n%s", code, out.String(), errb.String())
			}
			const warning = "plugin broken.quote failed"
			if !strings.Contains(out.String(), "A member of our team will follow up here.") {
				t.Fatalf("the plugin did not fail as the test needs; transcript:\n%s", out.String())
			}
			if strings.Contains(out.String(), warning) || strings.Contains(out.String(), "level=") {
				t.Errorf("a log line is in the transcript:\n%s", out.String())
			}
			if got := strings.Contains(errb.String(), warning); got != c.stderr {
				t.Errorf("warning on stderr: %v, want %v; stderr:\n%s", got, c.stderr, errb.String())
			}
			raw, _ := os.ReadFile(logFile)
			if got := strings.Contains(string(raw), warning); got != c.logFile {
				t.Errorf("warning in %s: %v, want %v; file:\n%s", logFile, got, c.logFile, raw)
			}
		})
	}
}
