package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Timers are kept twice, as on bbolt: in the session (sealed with it),
// which the engine reads and changes, and in the timers table the
// schedulers read, by due time. Every commit that saves a session makes
// the contact's rows exactly the session's timers in the same
// transaction. A claim is a time in the row (claimed_until), so a timer
// firing in one process is skipped by every other's scheduler; it ends
// with the commit that removes the timer, or at its until.

var _ core.Timers = (*Store)(nil)

// preparedTimer is one timer's row, sealed before the transaction.
type preparedTimer struct {
	id    string
	due   time.Time
	value []byte
}

// prepareTimers seals a session's timers.
func (s *Store) prepareTimers(ck, contact string, timers []core.Timer) ([]preparedTimer, error) {
	out := make([]preparedTimer, 0, len(timers))
	seen := make(map[string]bool, len(timers))
	for _, tm := range timers {
		if tm.ID == "" {
			return nil, errors.New("timer without an id")
		}
		if seen[tm.ID] {
			return nil, fmt.Errorf("timer %s set twice", tm.ID)
		}
		seen[tm.ID] = true
		if tm.Contact == "" {
			tm.Contact = contact
		}
		v, err := s.sealJSON(nTimers, ck+"/"+tm.ID, tm)
		if err != nil {
			return nil, err
		}
		out = append(out, preparedTimer{id: tm.ID, due: tm.Due, value: v})
	}
	return out, nil
}

// queueTimers queues making the contact's rows exactly timers: others are
// deleted (their claims end), a timer due at the same time keeps its row
// and claim, a new or moved one has no claim.
func (s *Store) queueTimers(b *pgx.Batch, ck string, timers []preparedTimer) {
	ids := make([]string, 0, len(timers))
	for _, pt := range timers {
		ids = append(ids, pt.id)
	}
	b.Queue(`DELETE FROM timers WHERE ck = $1 AND NOT (id = ANY($2))`, ck, ids)
	for _, pt := range timers {
		b.Queue(`INSERT INTO timers (ck, id, due, value) VALUES ($1, $2, $3, $4)
			ON CONFLICT (ck, id) DO UPDATE SET value = EXCLUDED.value, due = EXCLUDED.due,
				claimed_until = CASE WHEN timers.due = EXCLUDED.due THEN timers.claimed_until END`, ck, pt.id, pt.due, pt.value)
	}
}

// DueTimers returns up to limit timers due at or before now, earliest
// first, skipping those claimed beyond now.
func (s *Store) DueTimers(ctx context.Context, now time.Time, limit int) ([]core.Timer, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT ck, id, value FROM timers
		WHERE due <= $1 AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY due LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("due timers: %w", err)
	}
	defer rows.Close()
	var out []core.Timer
	for rows.Next() {
		var ck, id string
		var raw []byte
		if err := rows.Scan(&ck, &id, &raw); err != nil {
			return nil, fmt.Errorf("due timers: %w", err)
		}
		var tm core.Timer
		if err := s.openJSON(nTimers, ck+"/"+id, raw, &tm); err != nil {
			return nil, fmt.Errorf("due timers: %w", err)
		}
		out = append(out, tm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due timers: %w", err)
	}
	return out, nil
}

// ClaimTimer claims an indexed timer until the given time, for every
// process sharing the database. It reports false when the timer is not
// indexed (fired, cancelled or moved) or claimed beyond now.
func (s *Store) ClaimTimer(ctx context.Context, t core.Timer, until time.Time) (bool, error) {
	contact, err := core.NormalizeURN(t.Contact)
	if err != nil {
		return false, fmt.Errorf("claim timer: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE timers SET claimed_until = $4
		WHERE ck = $1 AND id = $2 AND due = $3 AND (claimed_until IS NULL OR claimed_until <= $5)`,
		s.ks.ContactKey(contact), t.ID, t.Due, until, s.now())
	if err != nil {
		return false, fmt.Errorf("claim timer: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// PendingTimers counts the indexed timers (for tests and health figures).
func (s *Store) PendingTimers(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM timers`).Scan(&n)
	return n, err
}
