package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenAndOwnerCommands: token create prints a secret once and stores
// only its hash; list shows names, revoke removes; owner password reads
// the password from standard input and refuses a short one.
func TestTokenAndOwnerCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "owner.db")
	cmd := func(stdin string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		env := &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
		code := run(context.Background(), env, append(args, "--db", db))
		return code, out.String(), errOut.String()
	}
	code, secret, stderr := cmd("", "token", "create", "crm")
	if code != exitOK || !strings.HasPrefix(secret, "aml_") {
		t.Fatalf("token create: %d %q %s", code, secret, stderr)
	}
	if code, _, _ := cmd("", "token", "create", "crm"); code != exitInput {
		t.Errorf("a second token named crm: exit %d, want %d", code, exitInput)
	}
	if code, _, _ := cmd("", "token", "create", "viewer", "--read-only"); code != exitOK {
		t.Fatalf("read-only token: exit %d", code)
	}
	code, list, _ := cmd("", "token", "list")
	if code != exitOK || !strings.Contains(list, "crm") || !strings.Contains(list, "viewer  read-only") || strings.Contains(list, strings.TrimSpace(secret)) {
		t.Errorf("token list:\n%s", list)
	}
	if code, _, _ := cmd("", "token", "revoke", "crm"); code != exitOK {
		t.Errorf("revoke: exit %d", code)
	}
	if code, _, _ := cmd("", "token", "revoke", "crm"); code != exitInput {
		t.Errorf("revoke again: exit %d, want %d", code, exitInput)
	}
	if code, _, _ := cmd("short\n", "owner", "password"); code != exitInput {
		t.Errorf("a short password: exit %d, want %d", code, exitInput)
	}
	if code, out, errOut := cmd("correct horse battery\n", "owner", "password"); code != exitOK {
		t.Errorf("owner password: exit %d %s %s", code, out, errOut)
	}
	if code, _, _ := cmd("", "token", "frobnicate"); code != exitUsage {
		t.Errorf("unknown subcommand: exit %d, want %d", code, exitUsage)
	}
}
