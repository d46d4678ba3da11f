package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allmyleads/allmyleads/engine/core"
)

// The business hearing what happens (core/events.go): notices that failed
// for good and the funnel's counts. Notices themselves are queued by
// Commit (Turn.Notices) without message log entries.

var (
	_ core.NoticeLog = (*Store)(nil)
	_ core.Funnel    = (*Store)(nil)
	_ core.Windows   = (*Store)(nil)
)

// maxNoticeFailures bounds the failed notices kept: the oldest go first.
const maxNoticeFailures = 1000

// recordNoticeFailure keeps a notice that failed for good, without its
// body or the contact.
func (s *Store) recordNoticeFailure(ctx context.Context, tx dbtx, rec *outboxRecord, code int, reason string, now time.Time) error {
	n := rec.Notice
	if n == nil {
		return nil
	}
	f := core.FailedNotice{
		ID: rec.ID, Channel: rec.Channel, Event: n.Event, EventID: n.EventID, Lead: n.Lead,
		Target: core.NoticeTarget(n), Delivery: n.DeliveryID, Attempts: rec.Attempts + 1,
		Error: reason, Queued: rec.Created, Failed: now,
	}
	if f.Error == "" && code != 0 {
		f.Error = fmt.Sprintf("error %d", code)
	}
	v, err := s.sealJSON(nNoticeFails, f.ID, f)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO notice_failures (id, failed, value) VALUES ($1, $2, $3)`, f.ID, now, v); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM notice_failures WHERE seq <= (SELECT max(seq) FROM notice_failures) - $1`, maxNoticeFailures)
	return err
}

// FailedNotices returns up to limit notices that failed for good, newest first.
func (s *Store) FailedNotices(ctx context.Context, limit int) ([]core.FailedNotice, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []core.FailedNotice
	err := collect(ctx, s, s.pool, nNoticeFails, func(k string) string { return k }, &out,
		`SELECT id, value FROM notice_failures ORDER BY seq DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("failed notices: %w", err)
	}
	return out, nil
}

// DismissNotice forgets a failed notice by its id, audited.
func (s *Store) DismissNotice(ctx context.Context, id, actor string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `DELETE FROM notice_failures WHERE seq = (SELECT seq FROM notice_failures WHERE id = $1 ORDER BY seq DESC LIMIT 1) RETURNING value`, id).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return core.ErrNotFound
		}
		if err != nil {
			return err
		}
		var f core.FailedNotice
		if err := s.openJSON(nNoticeFails, id, raw, &f); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, core.AuditEntry{Time: s.now(), Actor: actor, Action: "notice_dismiss", Detail: f.Event + " to " + f.Target})
	})
	if err != nil {
		return fmt.Errorf("dismiss notice %s: %w", id, err)
	}
	return nil
}

// Funnel returns every counted step, by flow then step name.
func (s *Store) Funnel(ctx context.Context) ([]core.FunnelStep, error) {
	rows, err := s.pool.Query(ctx, `SELECT flow, step, count(*) FILTER (WHERE NOT answered), count(*) FILTER (WHERE answered)
		FROM funnel_marks GROUP BY flow, step ORDER BY flow, step`)
	if err != nil {
		return nil, fmt.Errorf("funnel: %w", err)
	}
	defer rows.Close()
	var out []core.FunnelStep
	for rows.Next() {
		var f core.FunnelStep
		if err := rows.Scan(&f.Flow, &f.Step, &f.Reached, &f.Answered); err != nil {
			return nil, fmt.Errorf("funnel: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
