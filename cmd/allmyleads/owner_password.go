package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/allmyleads/allmyleads/owner"
)

// runOwner manages the console's owner login: `owner password` reads a
// new password from standard input (one line) and stores its bcrypt hash.
func runOwner(ctx context.Context, env *cliEnv, args []string) int {
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: allmyleads owner password [--db PATH] [--config FILE]   (the password is read from standard input)")
	}
	return dispatch(env, "owner", args, usage, map[string]func([]string) int{
		"password": func(rest []string) int { return ownerPassword(ctx, env, args, rest) },
	})
}

func ownerPassword(ctx context.Context, env *cliEnv, args, rest []string) int {
	fs := newFlagSet(env, "owner password", "owner password [--db PATH] [--config FILE] < password.txt")
	opts := addCommonFlags(fs, false)
	actor := addActorFlag(fs, env)
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	fmt.Fprintln(env.stderr, "allmyleads: type the new owner password (at least 10 characters) and press Enter:")
	line, err := bufio.NewReader(env.stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return failf(env.stderr, exitInput, "read the password: %v", err)
	}
	password := strings.TrimRight(line, "\r\n")
	hash, err := owner.HashPassword(password)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	st, release, err := openOwnerStore(ctx, opts, env, args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	if err := st.SetOwnerPassword(ctx, hash, *actor); err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	fmt.Fprintln(env.stdout, "owner password set: log in to the console with it")
	return exitOK
}
