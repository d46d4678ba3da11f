package main

import (
	"context"
	"fmt"
)

// runBackup writes a consistent, compacted copy of the database. The copy
// is sealed like the database: it opens with the same key. While the server
// runs it is made inside the server (admin socket), from one read
// transaction, as commits go on.
func runBackup(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "backup", "backup FILE [--actor NAME] [--db PATH] [--config FILE]")
	opts := addCommonFlags(fs, false)
	actor := addActorFlag(fs, env)
	// FILE may come before or after the flags.
	var file string
	flags := args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		file, flags = args[0], args[1:]
	}
	if code, ok := parseFlags(fs, flags); !ok {
		return code
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return failf(env.stderr, exitUsage, "backup: unexpected argument %q", fs.Arg(0))
	}
	if file == "" {
		fs.Usage()
		return exitUsage
	}
	_, st, release, err := opts.openRecords(ctx, env, "backup", args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	bst, err := bboltOnly(st, "backup", "back up with pg_dump (every value is sealed; keep the key apart)")
	if err != nil {
		return exitOf(env, err)
	}
	n, err := bst.BackupFile(ctx, env.abs(file), *actor)
	if err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	fmt.Fprintf(env.stdout, "wrote %s (%d bytes); it opens with the same key as the database\n", file, n)
	return exitOK
}
