package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/allmyleads/allmyleads/engine"
)

// runHandoff hands a contact back to the bot after a person handled them:
// `handoff release --contact PHONE`. The customer is told on the channel
// they last wrote from. To list who waits for a person: `leads --status
// handoff`. While serve runs, the command runs inside it (admin socket).
func runHandoff(ctx context.Context, env *cliEnv, args []string) int {
	usage := "handoff release --contact PHONE [--actor NAME] [--db PATH] [--config FILE] [--flows DIR] [--plugins DIR]"
	rest, code, ok := subcommand(env, args, "handoff", "release", usage)
	if !ok {
		return code
	}
	fs := newFlagSet(env, "handoff release", usage)
	opts := addCommonFlags(fs, true)
	contact := addContactFlag(fs)
	actor := addActorFlag(fs, env)
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	urn, code, ok := contact.urn(env)
	if !ok {
		return code
	}
	cfg, err := opts.loadFor(env)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	if err := releaseContact(ctx, cfg, env, append([]string{"handoff"}, args...), urn, *actor); err != nil {
		if errors.Is(err, engine.ErrNoHandoff) {
			return failf(env.stderr, exitInput, "%s is not waiting for a person (see `allmyleads leads --status handoff`)", urn)
		}
		return exitOf(env, err)
	}
	fmt.Fprintf(env.stdout, "%s is back with the bot; they were told so\n", urn)
	return exitOK
}

// releaseContact runs Engine.Release with the running server's engine when
// the command came through the admin socket, else with an engine of its own
// over the database.
func releaseContact(ctx context.Context, cfg Config, env *cliEnv, cmdline []string, urn, actor string) error {
	if env.shared != nil && env.shared.engine != nil {
		return env.shared.engine.Release(ctx, urn, actor)
	}
	st, release, err := openRecordStore(ctx, &cfg, env, cmdline)
	if err != nil {
		return err
	}
	if env.shared != nil {
		defer release()
	}
	rt, err := newRuntimeOn(ctx, cfg, env, st)
	if err != nil {
		release()
		return err
	}
	defer rt.Close()
	return rt.engine.Release(ctx, urn, actor)
}
