package main

import (
	"context"
	"fmt"

	"github.com/allmyleads/allmyleads/engine/store"
)

// runQuotes lists quotes.
func runQuotes(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "quotes", "quotes [--status S] [--contact PHONE] [--since DATE] [--format table|json|csv] [--db PATH] [--config FILE]")
	opts := addCommonFlags(fs, false)
	status := fs.String("status", "", "only quotes with this status (draft, sent, accepted, declined, expired, paid)")
	contact := fs.String("contact", "", "only this contact's quotes (phone number)")
	since := fs.String("since", "", "only quotes created on or after this date (2025-12-06)")
	format := fs.String("format", "table", "output: table, json or csv")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return failf(env.stderr, exitUsage, "quotes: unexpected argument %q", fs.Arg(0))
	}
	from, err := parseSince(*since)
	if err != nil {
		return failf(env.stderr, exitUsage, "%v", err)
	}
	if err := checkFormat(*format); err != nil {
		return failf(env.stderr, exitUsage, "%v", err)
	}
	cfg, err := opts.loadFor(env)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	st, release, err := openRecordStore(ctx, &cfg, env, append([]string{"quotes"}, args...))
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	quotes, err := st.Quotes(ctx, store.QuoteFilter{Status: *status, Contact: *contact, Since: from})
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	header := []string{"QUOTE", "CONTACT", "STATUS", "TOTAL", "REVISION", "PAYMENT REF", "CREATED", "PAID"}
	if *format == "csv" {
		header = []string{"quote_id", "contact", "status", "total", "currency", "revision", "payment_ref", "created", "paid"}
	}
	var rows [][]string
	for _, q := range quotes {
		if *format == "csv" {
			rows = append(rows, []string{q.ID, q.Contact, q.Status, fmt.Sprint(q.Total), q.Currency, fmt.Sprint(q.Revision), q.PaymentRef, dateOf(q.Created), dateOf(q.PaidAt)})
			continue
		}
		rows = append(rows, []string{q.ID, q.Contact, q.Status, money(q.Total, q.Currency), fmt.Sprint(q.Revision), q.PaymentRef, dateOf(q.Created), dateOf(q.PaidAt)})
	}
	if err := writeRows(env.stdout, *format, header, rows, quotes); err != nil {
		return failf(env.stderr, exitRuntime, "quotes: %v", err)
	}
	return exitOK
}
