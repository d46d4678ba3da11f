package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allmyleads/allmyleads/engine/core"
)

// inboxID is the inbox id of a payload as the contract shows it.
func inboxID(id int64) string { return seqID(id) }

// parseID reads an id this store handed out; ok is false for anything else.
func parseID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0
}

// AddInbox stores a raw webhook payload, taken by this process, and
// returns its id. It is one round trip: the insert is its own transaction.
func (s *Store) AddInbox(ctx context.Context, channel string, body []byte, received time.Time) (string, error) {
	id, _, err := s.AddInboxFor(ctx, channel, body, received, nil)
	return id, err
}

// AddInboxFor stores a raw webhook payload with the contacts its messages
// are from (its lanes). It is this process's (mine) unless another
// process holds, or nobody holds yet, an earlier payload of one of those
// contacts: then it waits for the process that takes the contact's
// payloads in order, and the others are woken to look.
func (s *Store) AddInboxFor(ctx context.Context, channel string, body []byte, received time.Time, contacts []string) (string, bool, error) {
	if received.IsZero() {
		received = s.now()
	}
	lanes := make([]string, 0, len(contacts))
	for _, c := range contacts {
		lanes = append(lanes, s.ks.ContactKey(c))
	}
	value := s.ks.Seal(nInbox, []byte(channel), body)
	b := &pgx.Batch{}
	if len(lanes) > 0 {
		sql, args := lockLanesSQL(s.lockNS, lockInbox, lanes)
		b.Queue(sql, args...)
	}
	var id int64
	var mine bool
	b.Queue(`INSERT INTO inbox (channel, received, lanes, claimed_by, value)
		VALUES ($1, $2, $3::text[],
			CASE WHEN EXISTS (SELECT 1 FROM inbox WHERE lanes && $3::text[] AND claimed_by IS DISTINCT FROM $4) THEN NULL ELSE $4 END,
			$5)
		RETURNING id, claimed_by IS NOT NULL`, channel, received, lanes, s.id, value).QueryRow(func(r pgx.Row) error {
		return r.Scan(&id, &mine)
	})
	// Sent alone, the batch is one implicit transaction: the lanes' locks
	// are held until the payload is stored.
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return "", false, fmt.Errorf("add to inbox: %w", err)
	}
	if !mine {
		s.notify(topicInbox, "")
	}
	return inboxID(id), mine, nil
}

// PendingInbox claims and returns up to limit payloads for this process,
// oldest first: the ones it holds already, then free ones (or a dead
// process's) whose contacts' earlier payloads are its own or done.
// Reading is not finishing: the payloads stay until DoneInbox, and a
// restarted process reads them again.
func (s *Store) PendingInbox(ctx context.Context, limit int) ([]core.InboxItem, error) {
	if limit <= 0 {
		limit = 100
	}
	type found struct {
		item  core.InboxItem
		value []byte
	}
	got := map[int64]found{}
	take, err := s.claimPass(ctx, claimQuery{
		kind: lockInbox,
		candidates: `SELECT id, lanes, claimed_by, true, channel, received, attempts, value FROM inbox
			WHERE ` + livenessSQL + ` ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
		args: []any{s.id, 4*limit + 16},
		scan: func(rs pgx.Rows) (claimRow, error) {
			var r claimRow
			var f found
			err := rs.Scan(&r.id, &r.lanes, &r.owner, &r.due, &f.item.Channel, &f.item.Received, &f.item.Attempts, &f.value)
			got[r.id] = f
			return r, err
		},
		laneRows: `SELECT id, lanes, claimed_by, true FROM inbox WHERE lanes && $1::text[] AND id <= $2`,
		claim:    `UPDATE inbox SET claimed_by = $1 WHERE id = ANY($2)`,
	}, limit)
	if err != nil {
		return nil, fmt.Errorf("pending inbox: %w", err)
	}
	items := make([]core.InboxItem, 0, len(take))
	for _, id := range take {
		f := got[id]
		body, err := s.ks.Open(nInbox, []byte(f.item.Channel), f.value)
		if err != nil {
			return nil, fmt.Errorf("pending inbox: %w", err)
		}
		it := f.item
		it.ID, it.Body = inboxID(id), body
		items = append(items, it)
	}
	return items, nil
}

// DoneInbox removes a handled payload. Removing one that is gone already
// is not an error. When a payload of the same contacts waits for a
// process, the processes are woken to take it.
func (s *Store) DoneInbox(ctx context.Context, id string) error {
	n, ok := parseID(id)
	if !ok {
		return nil
	}
	var waiting bool
	b := lazyBatch()
	b.Queue(`WITH done AS (DELETE FROM inbox WHERE id = $1 RETURNING lanes)
		SELECT EXISTS (SELECT 1 FROM done, inbox i WHERE cardinality(done.lanes) > 0 AND i.lanes && done.lanes AND i.claimed_by IS NULL AND i.id <> $1)`,
		n).QueryRow(func(r pgx.Row) error { return r.Scan(&waiting) })
	b.Queue(`COMMIT`)
	err := s.pool.SendBatch(ctx, b).Close()
	if err != nil {
		return fmt.Errorf("inbox done %s: %w", id, err)
	}
	if waiting {
		s.notify(topicInbox, "")
	}
	return nil
}

// lazyBatch begins a batch whose transaction commits without waiting for
// its WAL to reach the disk (the next durable commit takes it along): for
// the inbox's bookkeeping, which a crash of the database may lose without
// harm. A payload whose DoneInbox is lost is handled again and its
// messages are duplicates by then (their turns were durable before it); a
// lost attempt count only delays spotting a poison payload by one crash.
func lazyBatch() *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`SET LOCAL synchronous_commit = off`)
	return b
}

// BeginInbox counts a processing attempt of a payload, durably, before it
// is handled, and returns the attempts so far.
func (s *Store) BeginInbox(ctx context.Context, id string) (int, error) {
	n, ok := parseID(id)
	if !ok {
		return 0, fmt.Errorf("inbox begin %s: %w", id, core.ErrNotFound)
	}
	attempts := -1
	b := lazyBatch()
	b.Queue(`UPDATE inbox SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts`, n).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := rows.Scan(&attempts); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	b.Queue(`COMMIT`)
	err := s.pool.SendBatch(ctx, b).Close()
	if err == nil && attempts < 0 {
		err = pgx.ErrNoRows
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("inbox begin %s: %w", id, core.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("inbox begin %s: %w", id, err)
	}
	return attempts, nil
}
