package main

import (
	"context"
	"fmt"
)

// runCompact rewrites the database file with its live records only: no
// free page keeps a copy of anything deleted (erased records are already
// unreadable: their keys are destroyed; this removes their ciphertext too).
// While the server runs it runs inside the server (admin socket), which
// waits for it.
func runCompact(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "compact", "compact [--actor NAME] [--db PATH] [--config FILE]")
	opts := addCommonFlags(fs, false)
	actor := addActorFlag(fs, env)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	cfg, st, release, err := opts.openRecords(ctx, env, "compact", args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	bst, err := bboltOnly(st, "compact", "Postgres keeps its own space: VACUUM (FULL) does this")
	if err != nil {
		return exitOf(env, err)
	}
	if err := bst.Compact(ctx, *actor); err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	fmt.Fprintf(env.stdout, "compacted %s: it holds the live records only\n", cfg.Store.Path)
	return exitOK
}
