package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
)

// runErase erases a contact's personal data (the right to erasure). It asks
// for confirmation on a terminal; without a terminal it needs --yes, and so
// it does while the server runs (the erase then runs inside the server,
// through its admin socket, which cannot ask).
func runErase(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "erase", "erase --contact PHONE [--yes] [--compact] [--actor NAME] [--db PATH] [--config FILE]")
	opts := addCommonFlags(fs, false)
	contact := addContactFlag(fs)
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	compact := fs.Bool("compact", false, "then rewrite the database file with its live records only (the erased ciphertext, already unreadable, is gone from it too)")
	actor := addActorFlag(fs, env)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	urn, code, ok := contact.urn(env)
	if !ok {
		return code
	}
	if !*yes && env.shared != nil {
		return failf(env.stderr, exitUsage, "erase: the server is running, so this erase runs inside it through its admin socket, which cannot ask for confirmation; add --yes to erase %s", urn)
	}
	interactive := isTerminal(env.stdin)
	if !*yes && !interactive {
		return failf(env.stderr, exitUsage, "erase: stdin is not a terminal, so I cannot ask; add --yes to erase %s", urn)
	}
	_, st, release, err := opts.openRecords(ctx, env, "erase", args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	if !*yes {
		e, err := st.Export(ctx, urn)
		if err != nil {
			return failf(env.stderr, exitRuntime, "%v", err)
		}
		if e.Empty() {
			fmt.Fprintf(env.stderr, "nothing is held about %s\n", urn)
			return exitOK
		}
		paid := 0
		for _, q := range e.Quotes {
			if q.Status == core.QuotePaid || q.PaymentRef != "" {
				paid++
			}
		}
		fmt.Fprintf(env.stderr, "This erases everything held about %s for good: %d messages, %d photos or files, %d projects, %d quotes, %d consents, %d AI records and the conversation.\n",
			urn, len(e.Messages), len(e.Media), len(e.Projects), len(e.Quotes)-paid, len(e.Consents), len(e.AIRecords))
		if paid > 0 {
			fmt.Fprintf(env.stderr, "%d paid quotes stay as payment records, without personal details.\n", paid)
		}
		fmt.Fprint(env.stderr, "Type yes to erase: ")
		line, _ := bufio.NewReader(env.stdin).ReadString('\n')
		if !strings.EqualFold(strings.TrimSpace(line), "yes") {
			fmt.Fprintln(env.stderr, "not erased")
			return exitInput
		}
	}
	var rep store.EraseReport
	err = exclusive(env, urn, func() (err error) {
		rep, err = st.Erase(ctx, urn, *actor)
		return err
	})
	if err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	if env.shared != nil && env.shared.engine != nil {
		// The running server tells the webhooks (contact.erased).
		if err := erased(ctx, env.shared.engine, urn); err != nil {
			fmt.Fprintf(env.stderr, "%v\n", err)
		}
	}
	fmt.Fprintf(env.stdout, "erased %s: %s\n", urn, rep)
	bst, bbolt := st.(*store.Store)
	if !bbolt {
		// Postgres: the rows are deleted; older row versions go with VACUUM.
		fmt.Fprintln(env.stdout, "the contact's rows are deleted; VACUUM removes the old row versions Postgres keeps until then")
		return exitOK
	}
	fmt.Fprintln(env.stdout, "the contact's data keys are destroyed: no copy of their records in the database file opens any more")
	if *compact {
		if err := bst.Compact(ctx, *actor); err != nil {
			return failf(env.stderr, exitRuntime, "erased, but %v", err)
		}
		fmt.Fprintln(env.stdout, "compacted: the file holds the live records only")
	}
	fmt.Fprintln(env.stdout, "backups made from now on hold none of it; older backups still do until they expire")
	return exitOK
}
