package main

import (
	"context"
	"fmt"

	"github.com/allmyleads/allmyleads/engine/store"
)

// runLeads lists the business's leads: each contact with its latest project
// and quote.
func runLeads(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "leads", "leads [--status S] [--since DATE] [--format table|json|csv] [--db PATH] [--config FILE]")
	opts := addCommonFlags(fs, false)
	status := fs.String("status", "", "only leads with this status (new, consented, details, quoted, accepted, declined, opted_out, handoff)")
	since := fs.String("since", "", "only leads created on or after this date (2025-12-06)")
	format := fs.String("format", "table", "output: table, json or csv")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return failf(env.stderr, exitUsage, "leads: unexpected argument %q", fs.Arg(0))
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
	st, release, err := openRecordStore(ctx, &cfg, env, append([]string{"leads"}, args...))
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	leads, err := st.Leads(ctx, store.LeadFilter{Status: *status, Since: from})
	if err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	header := []string{"PHONE", "NAME", "EMAIL", "COMPANY", "STATUS", "SERVICE", "QUOTE", "QUOTE STATUS", "TOTAL", "CREATED", "UPDATED"}
	if *format == "csv" {
		header = []string{"phone", "name", "email", "company", "status", "service", "quote_id", "quote_status", "total", "created", "updated"}
	}
	var rows [][]string
	for _, l := range leads {
		name := l.Name
		if name == "" {
			name = l.ProfileName
		}
		service, qid, qstatus, total := "", "", "", ""
		if l.Project != nil {
			service = l.Project.Service
		}
		if q := l.Quote; q != nil {
			qid, qstatus, total = q.ID, q.Status, money(q.Total, q.Currency)
			if *format == "csv" {
				total = fmt.Sprintf("%d", q.Total)
			}
		}
		rows = append(rows, []string{l.Phone, name, l.Email, l.Company, l.Status, service, qid, qstatus, total, dateOf(l.Created), dateOf(l.Updated)})
	}
	if err := writeRows(env.stdout, *format, header, rows, leads); err != nil {
		return failf(env.stderr, exitRuntime, "leads: %v", err)
	}
	if *format == "table" && len(leads) == 0 {
		fmt.Fprintln(env.stderr, "no leads match")
	}
	return exitOK
}
