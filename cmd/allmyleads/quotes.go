package main

import (
	"context"
	"fmt"

	"github.com/allmyleads/allmyleads/engine/store"
)

// runQuotes lists quotes.
func runQuotes(ctx context.Context, env *cliEnv, args []string) int {
	l := newListing(env, "quotes", "quotes [--status S] [--contact PHONE] [--since DATE] [--format table|json|csv] [--db PATH] [--config FILE]",
		"only quotes with this status (draft, sent, accepted, declined, expired, paid)")
	contact := l.fs.String("contact", "", "only this contact's quotes (phone number)")
	from, code, ok := l.parse(env, args)
	if !ok {
		return code
	}
	_, st, release, err := l.opts.openRecords(ctx, env, "quotes", args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	quotes, err := st.Quotes(ctx, store.QuoteFilter{Status: *l.status, Contact: *contact, Since: from})
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	var rows [][]string
	for _, q := range quotes {
		if l.csv() {
			rows = append(rows, []string{q.ID, q.Contact, q.Status, fmt.Sprint(q.Total), q.Currency, fmt.Sprint(q.Revision), q.PaymentRef, dateOf(q.Created), dateOf(q.PaidAt)})
			continue
		}
		rows = append(rows, []string{q.ID, q.Contact, q.Status, money(q.Total, q.Currency), fmt.Sprint(q.Revision), q.PaymentRef, dateOf(q.Created), dateOf(q.PaidAt)})
	}
	return l.write(env, []string{"QUOTE", "CONTACT", "STATUS", "TOTAL", "REVISION", "PAYMENT REF", "CREATED", "PAID"},
		[]string{"quote_id", "contact", "status", "total", "currency", "revision", "payment_ref", "created", "paid"}, rows, quotes)
}
