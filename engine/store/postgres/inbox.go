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
	var items []core.InboxItem
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		items = nil
		rows, lanes, maxID, err := s.inboxCandidates(ctx, tx, 4*limit+16)
		if err != nil || len(rows) == 0 {
			return err
		}
		locked, err := s.tryLanes(ctx, tx, lockInbox, lanes)
		if err != nil {
			return err
		}
		if len(lanes) > 0 {
			if rows, err = s.inboxLaneRows(ctx, tx, rows, lanes, maxID); err != nil {
				return err
			}
		}
		take, claim := walkClaims(s.id, rows, locked, limit)
		if len(claim) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE inbox SET claimed_by = $1 WHERE id = ANY($2)`, s.id, claim); err != nil {
				return err
			}
		}
		items, err = s.readInbox(ctx, tx, take)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pending inbox: %w", err)
	}
	return items, nil
}

// inboxCandidates locks the first n payloads this process may take.
func (s *Store) inboxCandidates(ctx context.Context, tx dbtx, n int) (rows []claimRow, lanes []string, maxID int64, err error) {
	q, err := tx.Query(ctx, `SELECT id, lanes, claimed_by FROM inbox WHERE `+livenessSQL+` ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`, s.id, n)
	if err != nil {
		return nil, nil, 0, err
	}
	defer q.Close()
	for q.Next() {
		r := claimRow{candidate: true, due: true}
		if err := q.Scan(&r.id, &r.lanes, &r.owner); err != nil {
			return nil, nil, 0, err
		}
		if r.owner == nil || *r.owner != s.id {
			lanes = append(lanes, r.lanes...)
		}
		maxID = max(maxID, r.id)
		rows = append(rows, r)
	}
	return rows, lanes, maxID, q.Err()
}

// inboxLaneRows adds every payload of the lanes up to maxID to the
// candidates, to see who holds the lanes' earlier payloads.
func (s *Store) inboxLaneRows(ctx context.Context, tx dbtx, rows []claimRow, lanes []string, maxID int64) ([]claimRow, error) {
	q, err := tx.Query(ctx, `SELECT id, lanes, claimed_by FROM inbox WHERE lanes && $1::text[] AND id <= $2`, lanes, maxID)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	cand := map[int64]bool{}
	for _, r := range rows {
		cand[r.id] = true
	}
	for q.Next() {
		r := claimRow{due: true}
		if err := q.Scan(&r.id, &r.lanes, &r.owner); err != nil {
			return nil, err
		}
		if !cand[r.id] {
			rows = append(rows, r)
		}
	}
	return rows, q.Err()
}

// readInbox reads the payloads with the ids, in id order.
func (s *Store) readInbox(ctx context.Context, q querier, ids []int64) ([]core.InboxItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT id, channel, received, attempts, value FROM inbox WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []core.InboxItem
	for rows.Next() {
		var id int64
		var it core.InboxItem
		var raw []byte
		if err := rows.Scan(&id, &it.Channel, &it.Received, &it.Attempts, &raw); err != nil {
			return nil, err
		}
		body, err := s.ks.Open(nInbox, []byte(it.Channel), raw)
		if err != nil {
			return nil, err
		}
		it.ID, it.Body = inboxID(id), body
		items = append(items, it)
	}
	return items, rows.Err()
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
	err := s.pool.QueryRow(ctx, `WITH done AS (DELETE FROM inbox WHERE id = $1 RETURNING lanes)
		SELECT EXISTS (SELECT 1 FROM done, inbox i WHERE cardinality(done.lanes) > 0 AND i.lanes && done.lanes AND i.claimed_by IS NULL AND i.id <> $1)`,
		n).Scan(&waiting)
	if err != nil {
		return fmt.Errorf("inbox done %s: %w", id, err)
	}
	if waiting {
		s.notify(topicInbox, "")
	}
	return nil
}

// BeginInbox counts a processing attempt of a payload, durably, before it
// is handled, and returns the attempts so far.
func (s *Store) BeginInbox(ctx context.Context, id string) (int, error) {
	n, ok := parseID(id)
	if !ok {
		return 0, fmt.Errorf("inbox begin %s: %w", id, core.ErrNotFound)
	}
	var attempts int
	err := s.pool.QueryRow(ctx, `UPDATE inbox SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts`, n).Scan(&attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("inbox begin %s: %w", id, core.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("inbox begin %s: %w", id, err)
	}
	return attempts, nil
}
