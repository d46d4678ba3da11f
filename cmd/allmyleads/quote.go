package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
)

// runQuote changes a quote: `quote mark-paid QUOTE_ID --ref REF` records
// the payment provider's reference.
func runQuote(ctx context.Context, env *cliEnv, args []string) int {
	usage := "quote mark-paid QUOTE_ID --ref REF [--actor NAME] [--db PATH] [--config FILE]"
	rest, code, ok := subcommand(env, args, "quote", "mark-paid", usage)
	if !ok {
		return code
	}
	fs := newFlagSet(env, "quote mark-paid", usage)
	opts := addCommonFlags(fs, false)
	ref := fs.String("ref", "", "the payment provider's reference (required)")
	actor := addActorFlag(fs, env)
	// The quote id may come before or after the flags.
	var id string
	if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		id, rest = rest[0], rest[1:]
	}
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
	}
	if id == "" || *ref == "" {
		fs.Usage()
		return exitUsage
	}
	_, st, release, err := opts.openRecords(ctx, env, "quote", args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	if err := st.MarkPaid(ctx, id, *ref, *actor); err != nil {
		if errors.Is(err, core.ErrNotFound) || errors.Is(err, store.ErrQuoteState) {
			return failf(env.stderr, exitInput, "%v", err)
		}
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	fmt.Fprintf(env.stdout, "quote %s marked paid (ref %s)\n", id, *ref)
	return exitOK
}
