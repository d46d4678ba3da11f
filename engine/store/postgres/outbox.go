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
// messages are never sent out of order, whichever process sends them.
func (s *Store) PendingOutbound(ctx context.Context, channel string, limit int) ([]core.OutboxItem, error) {
	if limit <= 0 {
		limit = 100
	}
	now := s.now()
	var items []core.OutboxItem
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		items = nil
		rows, lanes, maxID, err := s.outboxCandidates(ctx, tx, channel, now, 4*limit+16)
		if err != nil || len(rows) == 0 {
			return err
		}
		locked, err := s.tryLanes(ctx, tx, lockOutbox, lanes)
		if err != nil {
			return err
		}
		if rows, err = s.outboxLaneRows(ctx, tx, rows, now, maxID); err != nil {
			return err
		}
		take, claim := walkClaims(s.id, rows, locked, limit)
		if len(claim) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE outbox SET claimed_by = $1 WHERE id = ANY($2)`, s.id, claim); err != nil {
				return err
			}
		}
		items, err = s.readOutbox(ctx, tx, take)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pending outbound: %w", err)
	}
	return items, nil
}

// outboxCandidates locks the first n messages of the channel this process
// may take.
func (s *Store) outboxCandidates(ctx context.Context, tx dbtx, channel string, now time.Time, n int) (rows []claimRow, lanes []string, maxID int64, err error) {
	q, err := tx.Query(ctx, `SELECT id, lane, claimed_by, not_before FROM outbox
		WHERE ($2 = '' OR channel = $2) AND `+livenessSQL+` ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`, s.id, channel, n)
	if err != nil {
		return nil, nil, 0, err
	}
	defer q.Close()
	for q.Next() {
		r, err := scanOutboxRow(q, now)
		if err != nil {
			return nil, nil, 0, err
		}
		r.candidate = true
		if r.owner == nil || *r.owner != s.id {
			lanes = append(lanes, r.lanes...)
		}
		maxID = max(maxID, r.id)
		rows = append(rows, r)
	}
	return rows, lanes, maxID, q.Err()
}

func scanOutboxRow(q pgx.Rows, now time.Time) (claimRow, error) {
	var r claimRow
	var lane string
	var notBefore *time.Time
	if err := q.Scan(&r.id, &lane, &r.owner, &notBefore); err != nil {
		return r, err
	}
	r.lanes = []string{lane}
	r.due = notBefore == nil || !notBefore.After(now)
	return r, nil
}

// outboxLaneRows adds every message of the candidates' lanes up to maxID,
// to see who holds their earlier messages.
func (s *Store) outboxLaneRows(ctx context.Context, tx dbtx, rows []claimRow, now time.Time, maxID int64) ([]claimRow, error) {
	cand := map[int64]bool{}
	lanes := map[string]bool{}
	var list []string
	for _, r := range rows {
		cand[r.id] = true
		for _, l := range r.lanes {
			if !lanes[l] {
				lanes[l] = true
				list = append(list, l)
			}
		}
	}
	q, err := tx.Query(ctx, `SELECT id, lane, claimed_by, not_before FROM outbox WHERE lane = ANY($1) AND id <= $2`, list, maxID)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	for q.Next() {
		r, err := scanOutboxRow(q, now)
		if err != nil {
			return nil, err
		}
		if !cand[r.id] {
			rows = append(rows, r)
		}
	}
	return rows, q.Err()
}

// readOutbox reads the messages with the ids, in id order.
func (s *Store) readOutbox(ctx context.Context, q querier, ids []int64) ([]core.OutboxItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT id, channel, in_flight, value FROM outbox WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []core.OutboxItem
	for rows.Next() {
		var id int64
		var ch string
		var inFlight *time.Time
		var raw []byte
		if err := rows.Scan(&id, &ch, &inFlight, &raw); err != nil {
			return nil, err
		}
		var rec outboxRecord
		if err := s.openJSON(outboxName(ch), seqID(id), raw, &rec); err != nil {
			return nil, err
		}
		rec.InFlight = time.Time{}
		if inFlight != nil {
			rec.InFlight = inFlight.UTC()
		}
		items = append(items, rec.OutboxItem)
	}
	return items, rows.Err()
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
// removes the item from the outbox.
func (s *Store) MarkSent(ctx context.Context, id, providerID string, at time.Time) error {
	if providerID == "" {
		return fmt.Errorf("mark sent %s: empty provider id", id)
	}
	return s.outboxUpdate(ctx, "mark sent", id, func(tx pgx.Tx, row *outboxRow) error {
		if _, err := tx.Exec(ctx, `DELETE FROM outbox WHERE id = $1`, row.id); err != nil {
			return err
		}
		if row.messageID == nil {
			// A message with no log entry (an erasure's confirmation):
			// nothing of the contact may stay behind, not even the id.
			return nil
		}
		mid := *row.messageID
		err := s.updateMessage(ctx, tx, mid, func(m *core.MessageRecord) {
			model.MarkSent(m, providerID, row.rec.Attempts, at)
		})
		if err != nil {
			return err
		}
		if err := s.sendOutcome(ctx, tx, row.ck, false); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO provider_ids (key, message_id) SELECT $1, id FROM messages WHERE id = $2
			ON CONFLICT (key) DO UPDATE SET message_id = EXCLUDED.message_id`, s.ks.ProviderKey(providerID), mid)
		return err
	})
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
