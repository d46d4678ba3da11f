package main

import (
	"context"
	"fmt"

	"github.com/allmyleads/allmyleads/engine/store"
)

// runKeygen prints a new encryption key (base64 of 32 random bytes), or
// writes it to a new key file with mode 0600.
func runKeygen(_ context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "keygen", "keygen [--out FILE]")
	out := fs.String("out", "", "write the key to FILE (mode 0600, never overwritten) instead of printing it")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return failf(env.stderr, exitUsage, "keygen: unexpected argument %q", fs.Arg(0))
	}
	key, err := store.GenerateKey()
	if err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	if *out == "" {
		fmt.Fprintln(env.stdout, store.EncodeKey(key))
		return exitOK
	}
	if err := store.WriteKeyFile(*out, key); err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	fmt.Fprintf(env.stderr, "wrote a new key to %s\n", *out)
	return exitOK
}
