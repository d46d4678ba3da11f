package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// errDryRun rolls back a dry run's transaction.
var errDryRun = errors.New("dry run")

// RunRetention deletes what is past its retention at now, or with dryRun
// only counts it: the same code runs, in a transaction that is rolled
// back. A real run records an audit entry with the counts.
func (s *Store) RunRetention(ctx context.Context, p core.RetentionPolicy, now time.Time, dryRun bool, actor string) (core.RetentionReport, error) {
	var rep core.RetentionReport
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rep = core.RetentionReport{DryRun: dryRun, Now: now}
		// One retention run at a time, whichever process starts it.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, s.lockNS, lockKey("retention", "")); err != nil {
			return err
		}
		if err := s.retentionTx(ctx, tx, p, now, &rep); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return s.appendAudit(ctx, tx, core.AuditEntry{Time: now, Actor: actor, Action: "retention", Detail: rep.String()})
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return core.RetentionReport{}, fmt.Errorf("retention: %w", err)
	}
	if !dryRun {
		s.log.Info("retention run", "messages", rep.Messages, "ai_records", rep.AI, "projects", rep.Projects, "payments", rep.Payments, "contacts", rep.Contacts)
	}
	return rep, nil
}

func (s *Store) retentionTx(ctx context.Context, tx dbtx, p core.RetentionPolicy, now time.Time, rep *core.RetentionReport) error {
	touched := map[string]bool{} // contacts that lost records
	deleteReturning := func(sql string, args ...any) (int, error) {
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var ck *string
			if err := rows.Scan(&ck); err != nil {
				return n, err
			}
			if ck != nil {
				touched[*ck] = true
			}
			n++
		}
		return n, rows.Err()
	}
	var err error
	if p.Communications > 0 {
		cut := now.Add(-p.Communications)
		if rep.Messages, err = deleteReturning(`DELETE FROM messages WHERE at < $1 RETURNING ck`, cut); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM seen WHERE at < $1`, cut)
		if err != nil {
			return err
		}
		rep.SeenIDs = int(tag.RowsAffected())
	}
	if p.AIRecords > 0 {
		if rep.AI, err = deleteReturning(`DELETE FROM ai_records WHERE at < $1 RETURNING ck`, now.Add(-p.AIRecords)); err != nil {
			return err
		}
	}
	if err := s.expireProjectsAndQuotes(ctx, tx, p, now, touched, rep); err != nil {
		return err
	}
	if p.Payments > 0 {
		tag, err := tx.Exec(ctx, `DELETE FROM payments WHERE at < $1`, now.Add(-p.Payments))
		if err != nil {
			return err
		}
		rep.Payments += int(tag.RowsAffected())
	}
	for ck := range touched {
		if err := s.tidyContact(ctx, tx, ck, p, now, rep); err != nil {
			return err
		}
	}
	return nil
}

// expireProjectsAndQuotes deletes projects past their retention with their
// unpaid quotes, paid quotes past the payment retention, and unpaid quotes
// of no project that are past the project retention.
func (s *Store) expireProjectsAndQuotes(ctx context.Context, tx dbtx, p core.RetentionPolicy, now time.Time, touched map[string]bool, rep *core.RetentionReport) error {
	gone := map[string]bool{} // expired project ids
	if p.Projects > 0 {
		rows, err := tx.Query(ctx, `DELETE FROM projects WHERE retain_from < $1 RETURNING ck, id`, now.Add(-p.Projects))
		if err != nil {
			return err
		}
		for rows.Next() {
			var ck, id string
			if err := rows.Scan(&ck, &id); err != nil {
				rows.Close()
				return err
			}
			touched[ck] = true
			gone[id] = true
			rep.Projects++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	var quotes []core.QuoteRecord
	if err := collect(ctx, s, tx, nQuotes, func(k string) string { return k }, &quotes, `SELECT id, value FROM quotes ORDER BY id FOR UPDATE`); err != nil {
		return err
	}
	var doomed []string
	for _, q := range quotes {
		switch {
		case model.IsPaid(&q):
			if p.Payments > 0 && model.PaidAt(&q).Before(now.Add(-p.Payments)) {
				rep.Payments++
				doomed = append(doomed, q.ID)
			}
		case gone[q.ProjectID]:
			rep.Quotes++
			doomed = append(doomed, q.ID)
		case q.ProjectID == "" && p.Projects > 0 && q.Updated.Before(now.Add(-p.Projects)):
			rep.Quotes++
			doomed = append(doomed, q.ID)
		}
	}
	if len(doomed) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM quote_revs WHERE quote_id = ANY($1)`, doomed); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `DELETE FROM quotes WHERE id = ANY($1) RETURNING ck`, doomed)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ck *string
		if err := rows.Scan(&ck); err != nil {
			return err
		}
		if ck != nil {
			touched[*ck] = true
		}
	}
	return rows.Err()
}

// tidyContact drops media nothing kept refers to any more, and removes a
// contact that has nothing left (no messages, projects or quotes) and has
// been quiet for the communications retention, with its conversation,
// consents and opt events.
func (s *Store) tidyContact(ctx context.Context, tx dbtx, ck string, p core.RetentionPolicy, now time.Time, rep *core.RetentionReport) error {
	refs, err := s.mediaRefs(ctx, tx, ck)
	if err != nil {
		return err
	}
	n, err := s.dropOwners(ctx, tx, ck, refs)
	if err != nil {
		return err
	}
	rep.Media += n
	var left bool
	err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE ck = $1) OR EXISTS (SELECT 1 FROM projects WHERE ck = $1)
		OR EXISTS (SELECT 1 FROM quotes WHERE ck = $1)`, ck).Scan(&left)
	if err != nil || left {
		return err
	}
	var contactRaw, lastRaw []byte
	err = tx.QueryRow(ctx, `SELECT contact, last_inbound FROM contacts WHERE ck = $1 FOR UPDATE`, ck).Scan(&contactRaw, &lastRaw)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	var c core.Contact
	if contactRaw != nil {
		if err := s.openJSON(nContact, ck, contactRaw, &c); err != nil {
			return err
		}
	}
	var li lastInbound
	if lastRaw != nil {
		if err := s.openJSON(nLastInbound, ck, lastRaw, &li); err != nil {
			return err
		}
	}
	last := c.Updated
	if li.Time.After(last) {
		last = li.Time
	}
	if p.Communications == 0 || !last.Before(now.Add(-p.Communications)) {
		return nil
	}
	if contactRaw != nil {
		rep.Contacts++
	}
	if err := s.changeLead(ctx, tx, ck, func(*model.LeadRecord) *model.LeadRecord { return nil }); err != nil {
		return err
	}
	// What stays of the contact (payments, the audit log) stays without
	// it, and a message queued long ago is not sent any more.
	if err := s.depersonalisePayments(ctx, tx, ck); err != nil {
		return err
	}
	if err := s.pseudonymiseAudit(ctx, tx, ck); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM outbox WHERE ck = $1`, ck); err != nil {
		return err
	}
	for _, sql := range []string{
		`DELETE FROM contacts WHERE ck = $1`, `DELETE FROM consents WHERE ck = $1`, `DELETE FROM opt_events WHERE ck = $1`,
		`DELETE FROM ai_records WHERE ck = $1`, `DELETE FROM notes WHERE ck = $1`, `DELETE FROM timers WHERE ck = $1`,
	} {
		if _, err := tx.Exec(ctx, sql, ck); err != nil {
			return err
		}
	}
	n, err = s.dropOwners(ctx, tx, ck, nil)
	rep.Media += n
	return err
}

// mediaRefs returns the media ids the contact's remaining messages,
// projects and conversation refer to.
func (s *Store) mediaRefs(ctx context.Context, tx dbtx, ck string) (map[string]bool, error) {
	var owned []string
	rows, err := tx.Query(ctx, `SELECT id FROM media_owners WHERE ck = $1`, ck)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		owned = append(owned, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(owned) == 0 {
		return map[string]bool{}, nil
	}
	var msgs []core.MessageRecord
	if err := collect(ctx, s, tx, nMessages, func(k string) string { return k }, &msgs, `SELECT id::text, value FROM messages WHERE ck = $1`, ck); err != nil {
		return nil, err
	}
	var projects []core.Project
	if err := collect(ctx, s, tx, nProjects, func(k string) string { return ck + "/" + k }, &projects, `SELECT id, value FROM projects WHERE ck = $1`, ck); err != nil {
		return nil, err
	}
	var session []byte
	var raw []byte
	err = tx.QueryRow(ctx, `SELECT session FROM contacts WHERE ck = $1`, ck).Scan(&raw)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	if raw != nil {
		if session, err = s.ks.Open(nSession, []byte(ck), raw); err != nil {
			return nil, err
		}
	}
	return model.MediaRefs(msgs, projects, session, owned), nil
}
