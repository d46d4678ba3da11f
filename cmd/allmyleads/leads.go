package main

import (
	"context"
	"fmt"

	"github.com/allmyleads/allmyleads/engine/store"
)

// runLeads lists the business's leads: each contact with its latest project
// and quote.
func runLeads(ctx context.Context, env *cliEnv, args []string) int {
	l := newListing(env, "leads", "leads [--status S] [--since DATE] [--format table|json|csv] [--db PATH] [--config FILE]",
		"only leads with this status (new, consented, details, quoted, accepted, declined, opted_out, handoff)")
	from, code, ok := l.parse(env, args)
	if !ok {
		return code
	}
	_, st, release, err := l.opts.openRecords(ctx, env, "leads", args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	leads, err := st.Leads(ctx, store.LeadFilter{Status: *l.status, Since: from})
	if err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	var rows [][]string
	for _, lead := range leads {
		name := lead.Name
		if name == "" {
			name = lead.ProfileName
		}
		service, qid, qstatus, total := "", "", "", ""
		if lead.Project != nil {
			service = lead.Project.Service
		}
		if q := lead.Quote; q != nil {
			qid, qstatus, total = q.ID, q.Status, money(q.Total, q.Currency)
			if l.csv() {
				total = fmt.Sprintf("%d", q.Total)
			}
		}
		rows = append(rows, []string{lead.Phone, name, lead.Email, lead.Company, lead.Status, service, qid, qstatus, total, dateOf(lead.Created), dateOf(lead.Updated)})
	}
	if code := l.write(env, []string{"PHONE", "NAME", "EMAIL", "COMPANY", "STATUS", "SERVICE", "QUOTE", "QUOTE STATUS", "TOTAL", "CREATED", "UPDATED"},
		[]string{"phone", "name", "email", "company", "status", "service", "quote_id", "quote_status", "total", "created", "updated"}, rows, leads); code != exitOK {
		return code
	}
	if *l.format == "table" && len(leads) == 0 {
		fmt.Fprintln(env.stderr, "no leads match")
	}
	return exitOK
}
