package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/allmyleads/allmyleads/engine"
)

// runConsent withdraws a contact's consent: `consent withdraw --contact
// PHONE [--purpose P]`. Processing based on it stops: the conversation ends.
func runConsent(ctx context.Context, env *cliEnv, args []string) int {
	usage := "consent withdraw --contact PHONE [--purpose P] [--actor NAME] [--db PATH] [--config FILE]"
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(env.stderr, "Usage: allmyleads %s\n", usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] != "withdraw" {
		return failf(env.stderr, exitUsage, "consent: unknown subcommand %q (want withdraw)", args[0])
	}
	fs := newFlagSet(env, "consent withdraw", usage)
	opts := addCommonFlags(fs, false)
	contact := fs.String("contact", "", "the contact's phone number (required)")
	purpose := fs.String("purpose", "", "the consent's purpose (default: every consent the contact gave)")
	actor := addActorFlag(fs, env)
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	if *contact == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	phone, err := engine.NormalizePhone(*contact)
	if err != nil {
		return failf(env.stderr, exitUsage, "--contact: %v", err)
	}
	cfg, err := opts.loadFor(env)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	st, release, err := openRecordStore(ctx, &cfg, env, append([]string{"consent"}, args...))
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	if err := exclusive(env, phone, func() error { return st.WithdrawConsent(ctx, phone, *purpose, *actor) }); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			what := "any consent"
			if *purpose != "" {
				what = fmt.Sprintf("consent for %q", *purpose)
			}
			return failf(env.stderr, exitInput, "%s has not given %s (or withdrew it already)", phone, what)
		}
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	fmt.Fprintf(env.stdout, "consent withdrawn for %s; the conversation has ended\n", phone)
	return exitOK
}
