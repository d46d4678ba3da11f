package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/allmyleads/allmyleads/engine/store"
)

// retentionPolicy is the configured retention as the store's policy.
func retentionPolicy(cfg Config) store.Policy {
	r := cfg.Retention
	return store.Policy{Communications: r.Communications.D(), AIRecords: r.AIRecords.D(), Projects: r.Projects.D(), Payments: r.Payments.D()}
}

// runRetention deletes what is past its retention period (`retention run
// [--dry-run]`) and prints what it did, or would do, per category.
func runRetention(ctx context.Context, env *cliEnv, args []string) int {
	usage := "retention run [--dry-run] [--json] [--actor NAME] [--db PATH] [--config FILE]"
	rest, code, ok := subcommand(env, args, "retention", "run", usage)
	if !ok {
		return code
	}
	fs := newFlagSet(env, "retention run", usage)
	opts := addCommonFlags(fs, false)
	dry := fs.Bool("dry-run", false, "only count what would be deleted")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	actor := addActorFlag(fs, env)
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return failf(env.stderr, exitUsage, "retention run: unexpected argument %q", fs.Arg(0))
	}
	cfg, st, release, err := opts.openRecords(ctx, env, "retention", args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	p := retentionPolicy(cfg)
	rep, err := st.RunRetention(ctx, p, time.Now(), *dry, *actor)
	if err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
		return exitOK
	}
	printRetention(env, p, rep)
	return exitOK
}

func printRetention(env *cliEnv, p store.Policy, r store.RetentionReport) {
	verb := "deleted"
	if r.DryRun {
		verb = "would delete"
		fmt.Fprintln(env.stdout, "dry run: nothing is deleted")
	}
	keep := func(d time.Duration) string {
		if d == 0 {
			return "kept for ever"
		}
		return fmt.Sprintf("kept %s", humanDays(d))
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "CATEGORY\tPOLICY\t%s\n", verb)
	fmt.Fprintf(tw, "communications\t%s\t%d messages, %d seen message ids, %d photos or files\n", keep(p.Communications), r.Messages, r.SeenIDs, r.Media)
	fmt.Fprintf(tw, "ai_records\t%s\t%d AI processing records\n", keep(p.AIRecords), r.AI)
	fmt.Fprintf(tw, "projects\t%s after completion\t%d projects, %d unpaid quotes\n", keep(p.Projects), r.Projects, r.Quotes)
	fmt.Fprintf(tw, "payments\t%s after payment\t%d paid quotes\n", keep(p.Payments), r.Payments)
	fmt.Fprintf(tw, "contacts\twhile records remain\t%d contacts with nothing left\n", r.Contacts)
	tw.Flush()
}

// humanDays writes a duration in years or days.
func humanDays(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	if days%365 == 0 && days >= 365 {
		if days == 365 {
			return "1 year"
		}
		return fmt.Sprintf("%d years", days/365)
	}
	return fmt.Sprintf("%d days", days)
}
