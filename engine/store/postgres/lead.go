package postgres

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// The lead list: each contact's row (contacts.lead, sealed) beside the
// index columns a page is read by (listed, activity, stage, tab), and the
// totals per stage in sealed shards (lead_stats), changed only when a row
// moves to another stage or its quote's value changes.

// statsShards is how many rows the totals are spread over.
const statsShards = 64

// shardOf is the totals' shard of a contact.
func shardOf(ck string) int {
	n, err := strconv.ParseUint(ck[:4], 16, 32)
	if err != nil {
		return 0
	}
	return int(n % statsShards)
}

// decodeLead opens a contact's stored row; nil for none.
func (s *Store) decodeLead(ck string, raw []byte) (*model.LeadRecord, error) {
	if raw == nil {
		return nil, nil
	}
	var r model.LeadRecord
	if err := s.openJSON(nLead, ck, raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// putLead writes a contact's row (nil clears it) and moves the totals
// from old to the new row. The contact's row is locked by the caller.
func (s *Store) putLead(ctx context.Context, tx dbtx, ck string, old, r *model.LeadRecord) error {
	b := &pgx.Batch{}
	if err := s.queueLeadRow(b, ck, r); err != nil {
		return err
	}
	if err := sendBatch(ctx, tx, b); err != nil {
		return err
	}
	return s.moveStats(ctx, tx, ck, old, r)
}

// queueLeadRow queues writing a contact's row and its index columns (nil
// clears them).
func (s *Store) queueLeadRow(b *pgx.Batch, ck string, r *model.LeadRecord) error {
	if r == nil {
		b.Queue(`UPDATE contacts SET lead = NULL, listed = false, activity = NULL, stage = NULL, tab = NULL WHERE ck = $1`, ck)
		return nil
	}
	v, err := s.sealJSON(nLead, ck, r)
	if err != nil {
		return err
	}
	var tab any
	if t := r.Tab(); t != "" {
		tab = t
	}
	b.Queue(`UPDATE contacts SET lead = $2, listed = $3, activity = $4, stage = $5, tab = $6 WHERE ck = $1`,
		ck, v, r.IsListed(), r.Activity, r.Stage, tab)
	return nil
}

// moveStats moves a row's contribution to the totals from old to r, when
// it changed.
func (s *Store) moveStats(ctx context.Context, tx dbtx, ck string, old, r *model.LeadRecord) error {
	if model.SameContribution(old, r) {
		return nil // most turns move no lead to another stage: the totals stay
	}
	shard := shardOf(ck)
	st, err := s.readShard(ctx, tx, shard, true)
	if err != nil {
		return err
	}
	st.Add(old, -1)
	st.Add(r, +1)
	v, err := s.sealJSON(nStats, strconv.Itoa(shard), st)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO lead_stats (shard, value) VALUES ($1, $2) ON CONFLICT (shard) DO UPDATE SET value = EXCLUDED.value`, shard, v)
	return err
}

// readShard reads one shard of the totals, locking it when forUpdate.
func (s *Store) readShard(ctx context.Context, q querier, shard int, forUpdate bool) (model.Stats, error) {
	sql := `SELECT value FROM lead_stats WHERE shard = $1`
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	st := model.Stats{}
	var raw []byte
	err := q.QueryRow(ctx, sql, shard).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	return st, s.openJSON(nStats, strconv.Itoa(shard), raw, &st)
}

// allStats sums the shards of the totals.
func (s *Store) allStats(ctx context.Context, q querier) (model.Stats, error) {
	rows, err := q.Query(ctx, `SELECT shard, value FROM lead_stats`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	total := model.Stats{}
	for rows.Next() {
		var shard int
		var raw []byte
		if err := rows.Scan(&shard, &raw); err != nil {
			return nil, err
		}
		st := model.Stats{}
		if err := s.openJSON(nStats, strconv.Itoa(shard), raw, &st); err != nil {
			return nil, err
		}
		total.Merge(st)
	}
	return total, rows.Err()
}

// changeLead applies fn to the contact's row (nil when there is none; fn
// returns the new row, nil to delete) and keeps the totals, locking the
// contact's row.
func (s *Store) changeLead(ctx context.Context, tx dbtx, ck string, fn func(old *model.LeadRecord) *model.LeadRecord) error {
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT lead FROM contacts WHERE ck = $1 FOR UPDATE`, ck).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		raw = nil
	} else if err != nil {
		return err
	}
	old, err := s.decodeLead(ck, raw)
	if err != nil {
		return err
	}
	var prev *model.LeadRecord
	if old != nil {
		cp := *old
		prev = &cp
	}
	r := fn(old)
	if r == nil && prev == nil {
		return nil
	}
	return s.putLead(ctx, tx, ck, prev, r)
}

// refreshLead recomputes a contact's row after a change, reading the
// session and contact record the inputs lack.
func (s *Store) refreshLead(ctx context.Context, tx dbtx, ck, urn string, in model.LeadInputs) error {
	var sessRaw, contactRaw []byte
	err := tx.QueryRow(ctx, `SELECT session, contact FROM contacts WHERE ck = $1 FOR UPDATE`, ck).Scan(&sessRaw, &contactRaw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if in.Session == nil && sessRaw != nil {
		var sess core.Session
		if err := s.openJSON(nSession, ck, sessRaw, &sess); err != nil {
			return err
		}
		in.Session = &sess
	}
	if in.Contact == nil && contactRaw != nil {
		var c core.Contact
		if err := s.openJSON(nContact, ck, contactRaw, &c); err != nil {
			return err
		}
		in.Contact = &c
	}
	if in.Session == nil && in.Contact == nil {
		return nil // nothing about the contact is kept (an erasing turn's outbox)
	}
	return s.changeLead(ctx, tx, ck, func(old *model.LeadRecord) *model.LeadRecord { return model.ComputeLead(ck, urn, old, in) })
}

// sendOutcome records on the contact's row that a message went out
// (failures are forgotten) or failed.
func (s *Store) sendOutcome(ctx context.Context, tx dbtx, ck string, failed bool) error {
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT lead FROM contacts WHERE ck = $1`, ck).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && raw == nil) {
		return nil
	}
	if err != nil {
		return err
	}
	old, err := s.decodeLead(ck, raw)
	if err != nil || model.SendOutcome(old, failed) == nil {
		return err
	}
	return s.changeLead(ctx, tx, ck, func(old *model.LeadRecord) *model.LeadRecord {
		if r := model.SendOutcome(old, failed); r != nil {
			return r
		}
		return old
	})
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// dbtx is a transaction: pgx's, or a connection on which this package
// sent BEGIN itself (a turn's, see lock.go).
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}
