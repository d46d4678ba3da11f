package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/allmyleads/allmyleads/engine/core"
)

// runConsent withdraws a contact's consent: `consent withdraw --contact
// PHONE [--purpose P]`. Processing based on it stops: the conversation ends.
func runConsent(ctx context.Context, env *cliEnv, args []string) int {
	usage := "consent withdraw --contact PHONE [--purpose P] [--actor NAME] [--db PATH] [--config FILE]"
	rest, code, ok := subcommand(env, args, "consent", "withdraw", usage)
	if !ok {
		return code
	}
	fs := newFlagSet(env, "consent withdraw", usage)
	opts := addCommonFlags(fs, false)
	contact := addContactFlag(fs)
	purpose := fs.String("purpose", "", "the consent's purpose (default: every consent the contact gave)")
	actor := addActorFlag(fs, env)
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	urn, code, ok := contact.urn(env)
	if !ok {
		return code
	}
	_, st, release, err := opts.openRecords(ctx, env, "consent", args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	if err := exclusive(env, urn, func() error { return st.WithdrawConsent(ctx, urn, *purpose, *actor) }); err != nil {
		if errors.Is(err, core.ErrNotFound) {
			what := "any consent"
			if *purpose != "" {
				what = fmt.Sprintf("consent for %q", *purpose)
			}
			return failf(env.stderr, exitInput, "%s has not given %s (or withdrew it already)", urn, what)
		}
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	fmt.Fprintf(env.stdout, "consent withdrawn for %s; the conversation has ended\n", urn)
	return exitOK
}
