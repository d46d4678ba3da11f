package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// PendingOutbound claims and returns up to limit unsent messages of the
// channel ("" for every channel) for this process, oldest first, whose
// NotBefore has passed. A contact's later messages wait while an earlier
// one waits for its retry or is another process's to send, so a contact's
// messages (a webhook's deliveries per lead and receiver) are never sent
// out of order, whichever process sends them.
func (s *Store) PendingOutbound(ctx context.Context, channel string, limit int) ([]core.OutboxItem, error) {
	if limit <= 0 {
		limit = 100
	}
	now := s.now()
	type found struct {
		channel  string
		inFlight *time.Time
		value    []byte
	}
	got := map[int64]found{}
	take, err := s.claimPass(ctx, claimQuery{
		kind: lockOutbox,
		candidates: `SELECT id, ARRAY[lane], claimed_by, (not_before IS NULL OR not_before <= $4), channel, in_flight, value FROM outbox
			WHERE ($2 = '' OR channel = $2) AND ` + livenessSQL + ` ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
		args: []any{s.id, channel, 4*limit + 16, now},
		scan: func(rs pgx.Rows) (claimRow, error) {
			var r claimRow
			var f found
			err := rs.Scan(&r.id, &r.lanes, &r.owner, &r.due, &f.channel, &f.inFlight, &f.value)
			got[r.id] = f
			return r, err
		},
		laneRows: `SELECT id, ARRAY[lane], claimed_by, (not_before IS NULL OR not_before <= $3) FROM outbox WHERE lane = ANY($1) AND id <= $2`,
		laneArgs: []any{now},
		claim:    `UPDATE outbox SET claimed_by = $1 WHERE id = ANY($2)`,
	}, limit)
	if err != nil {
		return nil, fmt.Errorf("pending outbound: %w", err)
	}
	items := make([]core.OutboxItem, 0, len(take))
	for _, id := range take {
		f := got[id]
		var rec outboxRecord
		if err := s.openJSON(outboxName(f.channel), seqID(id), f.value, &rec); err != nil {
			return nil, fmt.Errorf("pending outbound: %w", err)
		}
		rec.InFlight = time.Time{}
		if f.inFlight != nil {
			rec.InFlight = f.inFlight.UTC()
		}
		items = append(items, rec.OutboxItem)
	}
	return items, nil
}

// outboxRow is an outbox item locked for a change.
type outboxRow struct {
	id        int64
	channel   string
	ck        string
	messageID *int64
	rec       outboxRecord
}

// outboxUpdate runs fn on an outbox item, locked, in a transaction.
func (s *Store) outboxUpdate(ctx context.Context, what, id string, fn func(tx pgx.Tx, row *outboxRow) error) error {
	n, ok := parseID(id)
	if !ok {
		return fmt.Errorf("%s %s: outbox item: %w", what, id, core.ErrNotFound)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		row := &outboxRow{id: n}
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT channel, ck, message_id, value FROM outbox WHERE id = $1 FOR UPDATE`, n).
			Scan(&row.channel, &row.ck, &row.messageID, &raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("outbox item: %w", core.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := s.openJSON(outboxName(row.channel), seqID(n), raw, &row.rec); err != nil {
			return err
		}
		return fn(tx, row)
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, id, err)
	}
	return nil
}

// saveOutbox writes an item's record back.
func (s *Store) saveOutbox(ctx context.Context, tx dbtx, row *outboxRow) error {
	v, err := s.sealJSON(outboxName(row.channel), seqID(row.id), row.rec)
	if err != nil {
		return err
	}
	var notBefore any
	if !row.rec.NotBefore.IsZero() {
		notBefore = row.rec.NotBefore
	}
	_, err = tx.Exec(ctx, `UPDATE outbox SET value = $2, not_before = $3, in_flight = NULL WHERE id = $1`, row.id, v, notBefore)
	return err
}

// updateMessage loads the log entry with the id, applies fn and saves it;
// an entry erased or expired meanwhile is left alone.
func (s *Store) updateMessage(ctx context.Context, tx dbtx, id int64, fn func(m *core.MessageRecord)) error {
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT value FROM messages WHERE id = $1 FOR UPDATE`, id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	key := strconv.FormatInt(id, 10)
	var m core.MessageRecord
	if err := s.openJSON(nMessages, key, raw, &m); err != nil {
		return err
	}
	fn(&m)
	v, err := s.sealJSON(nMessages, key, m)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE messages SET value = $2 WHERE id = $1`, id, v)
	return err
}

// MarkSent records the provider's message id on the message log and
// removes the item from the outbox, in two round trips: one reads the
// item, its log entry and its contact's lead row (locking the first two),
// the other writes and commits. Its commit need not wait for the disk:
// the in-flight mark before the send was durable, and a crash of the
// database that loses this record leaves the item in flight until the
// provider's status report records it again (the processor's statuses).
func (s *Store) MarkSent(ctx context.Context, id, providerID string, at time.Time) error {
	if providerID == "" {
		return fmt.Errorf("mark sent %s: empty provider id", id)
	}
	n, ok := parseID(id)
	if !ok {
		return fmt.Errorf("mark sent %s: outbox item: %w", id, core.ErrNotFound)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("mark sent %s: %w", id, err)
	}
	defer conn.Release()
	if err := s.markSent(ctx, conn, n, providerID, at); err != nil {
		rollback(conn)
		return fmt.Errorf("mark sent %s: %w", id, err)
	}
	return nil
}

func (s *Store) markSent(ctx context.Context, conn dbtx, n int64, providerID string, at time.Time) error {
	var row outboxRow
	var item, msg, lead []byte
	found := false
	b := lazyBatch()
	b.Queue(`SELECT channel, ck, message_id, value FROM outbox WHERE id = $1 FOR UPDATE`, n).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			found = true
			if err := rows.Scan(&row.channel, &row.ck, &row.messageID, &item); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	scanOne := func(dst *[]byte) func(pgx.Rows) error {
		return func(rows pgx.Rows) error {
			for rows.Next() {
				if err := rows.Scan(dst); err != nil {
					return err
				}
			}
			return rows.Err()
		}
	}
	b.Queue(`SELECT value FROM messages WHERE id = (SELECT message_id FROM outbox WHERE id = $1) FOR UPDATE`, n).Query(scanOne(&msg))
	b.Queue(`SELECT lead FROM contacts WHERE ck = (SELECT ck FROM outbox WHERE id = $1)`, n).Query(scanOne(&lead))
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("outbox item: %w", core.ErrNotFound)
	}
	row.id = n
	if err := s.openJSON(outboxName(row.channel), seqID(n), item, &row.rec); err != nil {
		return err
	}
	b = &pgx.Batch{}
	b.Queue(`DELETE FROM outbox WHERE id = $1`, n)
	// A message with no log entry (an erasure's confirmation, a notice):
	// nothing of the contact may stay behind, not even the id.
	if row.messageID != nil && msg != nil {
		mid := *row.messageID
		key := strconv.FormatInt(mid, 10)
		var m core.MessageRecord
		if err := s.openJSON(nMessages, key, msg, &m); err != nil {
			return err
		}
		model.MarkSent(&m, providerID, row.rec.Attempts, at)
		v, err := s.sealJSON(nMessages, key, m)
		if err != nil {
			return err
		}
		b.Queue(`UPDATE messages SET value = $2 WHERE id = $1`, mid, v)
		b.Queue(`INSERT INTO provider_ids (key, message_id) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET message_id = EXCLUDED.message_id`, s.ks.ProviderKey(providerID), mid)
	}
	old, err := s.decodeLead(row.ck, lead)
	if err != nil {
		return err
	}
	if row.messageID == nil || model.SendOutcome(old, false) == nil {
		b.Queue(`COMMIT`)
		return conn.SendBatch(ctx, b).Close()
	}
	// The contact's failed sends are forgotten: its lead row changes.
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if err := s.sendOutcome(ctx, conn, row.ck, false); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `COMMIT`)
	return err
}

// MarkInFlight notes that a send of the item begins (a zero at clears
// it): a column of the row, so marking a send does not seal the message
// again.
func (s *Store) MarkInFlight(ctx context.Context, id string, at time.Time) error {
	n, ok := parseID(id)
	if !ok {
		return fmt.Errorf("mark in flight %s: outbox item: %w", id, core.ErrNotFound)
	}
	var v any
	if !at.IsZero() {
		v = at
	}
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET in_flight = $2 WHERE id = $1`, n, v)
	if err != nil {
		return fmt.Errorf("mark in flight %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mark in flight %s: outbox item: %w", id, core.ErrNotFound)
	}
	return nil
}

// MarkRetry keeps the item until notBefore, counts the attempt and clears
// its in-flight mark. The item stays this process's: the contact's later
// messages wait for it.
func (s *Store) MarkRetry(ctx context.Context, id string, notBefore time.Time, reason string) error {
	return s.outboxUpdate(ctx, "mark retry", id, func(tx pgx.Tx, row *outboxRow) error {
		row.rec.Attempts++
		row.rec.NotBefore = notBefore
		row.rec.InFlight = time.Time{}
		row.rec.LastError = reason
		return s.saveOutbox(ctx, tx, row)
	})
}

// MarkFailed removes the item from the outbox and records why on the
// message: status "failed", or "needs_template" when held.
func (s *Store) MarkFailed(ctx context.Context, id string, code int, reason string, held bool) error {
	return s.outboxUpdate(ctx, "mark failed", id, func(tx pgx.Tx, row *outboxRow) error {
		if _, err := tx.Exec(ctx, `DELETE FROM outbox WHERE id = $1`, row.id); err != nil {
			return err
		}
		now := s.now()
		if err := s.recordNoticeFailure(ctx, tx, &row.rec, code, reason, now); err != nil {
			return err
		}
		if row.messageID == nil {
			return nil
		}
		err := s.updateMessage(ctx, tx, *row.messageID, func(m *core.MessageRecord) {
			model.MarkFailed(m, code, reason, held, row.rec.Attempts, now)
		})
		if err != nil || held {
			return err
		}
		return s.sendOutcome(ctx, tx, row.ck, true)
	})
}

// UpdateDelivery records a provider's delivery report on the message with
// that provider id. An unknown provider id is core.ErrNotFound.
func (s *Store) UpdateDelivery(ctx context.Context, providerID string, d core.Delivery) error {
	if err := model.CheckDelivery(d); err != nil {
		return fmt.Errorf("update delivery: %w", err)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var mid int64
		err := tx.QueryRow(ctx, `SELECT message_id FROM provider_ids WHERE key = $1`, s.ks.ProviderKey(providerID)).Scan(&mid)
		if errors.Is(err, pgx.ErrNoRows) {
			return core.ErrNotFound
		}
		if err != nil {
			return err
		}
		return s.updateMessage(ctx, tx, mid, func(m *core.MessageRecord) { model.ApplyDelivery(m, d) })
	})
	if errors.Is(err, core.ErrNotFound) {
		return fmt.Errorf("update delivery: provider message id: %w", core.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("update delivery: %w", err)
	}
	return nil
}
