package main

import (
	"context"
	"fmt"
)

// runBackup writes a consistent, compacted copy of the database. The copy
// is sealed like the database: it opens with the same key.
func runBackup(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "backup", "backup FILE [--actor NAME] [--db PATH] [--config FILE]")
	opts := addCommonFlags(fs, false)
	actor := addActorFlag(fs, env)
	// FILE may come before or after the flags.
	var file string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	if code, ok := parseFlags(fs, args); !ok {
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
	cfg, err := opts.load(env)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	st, err := openExistingStore(cfg, env)
	if err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	defer st.Close()
	n, err := st.BackupFile(ctx, file, *actor)
	if err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	fmt.Fprintf(env.stdout, "wrote %s (%d bytes); it opens with the same key as the database\n", file, n)
	return exitOK
}
