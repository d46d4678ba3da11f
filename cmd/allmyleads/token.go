package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"text/tabwriter"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/owner"
)

// runToken manages the owner API's bearer tokens: `token create NAME
// [--read-only]` prints a new token once (only its hash is stored), `token
// list`, `token revoke NAME`. While serve runs, it runs inside the server
// (admin socket).
func runToken(ctx context.Context, env *cliEnv, args []string) int {
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: allmyleads token create NAME [--read-only] [--db PATH] [--config FILE]")
		fmt.Fprintln(w, "       allmyleads token list [--db PATH] [--config FILE]")
		fmt.Fprintln(w, "       allmyleads token revoke NAME [--db PATH] [--config FILE]")
	}
	return dispatch(env, "token", args, usage, map[string]func([]string) int{
		"create": func(rest []string) int { return tokenCreate(ctx, env, args, rest) },
		"list":   func(rest []string) int { return tokenList(ctx, env, args, rest) },
		"revoke": func(rest []string) int { return tokenRevoke(ctx, env, args, rest) },
	})
}

var tokenNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// nameFirst takes a NAME before or after the flags.
func nameFirst(rest []string) (string, []string) {
	if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		return rest[0], rest[1:]
	}
	return "", rest
}

func tokenCreate(ctx context.Context, env *cliEnv, args, rest []string) int {
	fs := newFlagSet(env, "token create", "token create NAME [--read-only] [--db PATH] [--config FILE]")
	opts := addCommonFlags(fs, false)
	readOnly := fs.Bool("read-only", false, "the token may only read (GET)")
	actor := addActorFlag(fs, env)
	name, rest := nameFirst(rest)
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if !tokenNameRe.MatchString(name) {
		fs.Usage()
		return failf(env.stderr, exitUsage, "token create: NAME must be 1 to 64 letters, digits, dots, dashes or underscores")
	}
	st, release, err := openOwnerStore(ctx, opts, env, args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	secret := owner.NewTokenSecret()
	err = st.CreateToken(ctx, core.Token{Name: name, Hash: owner.HashToken(secret), ReadOnly: *readOnly, CreatedBy: *actor})
	if errors.Is(err, core.ErrExists) {
		return failf(env.stderr, exitInput, "a token named %q exists; revoke it first or pick another name", name)
	}
	if err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	fmt.Fprintln(env.stdout, secret)
	kind := "read and write"
	if *readOnly {
		kind = "read-only"
	}
	fmt.Fprintf(env.stderr, "allmyleads: token %q created (%s). It is shown only now: send it as Authorization: Bearer TOKEN, or paste it in the console's login.\n", name, kind)
	return exitOK
}

func tokenList(ctx context.Context, env *cliEnv, args, rest []string) int {
	fs := newFlagSet(env, "token list", "token list [--db PATH] [--config FILE]")
	opts := addCommonFlags(fs, false)
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	st, release, err := openOwnerStore(ctx, opts, env, args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	tokens, err := st.Tokens(ctx)
	if err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tACCESS\tCREATED\tBY")
	for _, t := range tokens {
		access := "read-write"
		if t.ReadOnly {
			access = "read-only"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, access, t.Created.UTC().Format("2006-01-02 15:04"), t.CreatedBy)
	}
	tw.Flush()
	return exitOK
}

func tokenRevoke(ctx context.Context, env *cliEnv, args, rest []string) int {
	fs := newFlagSet(env, "token revoke", "token revoke NAME [--db PATH] [--config FILE]")
	opts := addCommonFlags(fs, false)
	actor := addActorFlag(fs, env)
	name, rest := nameFirst(rest)
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		fs.Usage()
		return exitUsage
	}
	st, release, err := openOwnerStore(ctx, opts, env, args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	if err := st.RevokeToken(ctx, name, *actor); err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return failf(env.stderr, exitInput, "no token named %q (see `allmyleads token list`)", name)
		}
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	fmt.Fprintf(env.stdout, "token %q revoked\n", name)
	return exitOK
}

// openOwnerStore opens the database for the token and owner commands:
// through a running server's admin socket, else directly, creating it when
// it does not exist yet (a token can be made before the first serve).
func openOwnerStore(ctx context.Context, opts *commonOpts, env *cliEnv, args []string) (recordStore, func() error, error) {
	cfg, err := opts.loadFor(env)
	if err != nil {
		return nil, nil, &errExit{exitInput, err}
	}
	if env.shared == nil && cfg.Store.driver() == driverBbolt {
		if _, err := os.Stat(cfg.Store.Path); errors.Is(err, os.ErrNotExist) {
			st, err := openStore(cfg, env)
			if err != nil {
				return nil, nil, err
			}
			return st, st.Close, nil
		}
	}
	return openRecordStore(ctx, &cfg, env, args)
}
