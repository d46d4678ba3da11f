package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Payments received for quotes: a financial record kept for the payment
// retention, which an erasure keeps without the contact.

// queuePayment queues a payment record.
func (s *Store) queuePayment(b *pgx.Batch, p core.PaymentRecord) error {
	if p.ID == "" {
		return errors.New("payment without an id")
	}
	v, err := s.sealJSON(nPayments, p.ID, p)
	if err != nil {
		return err
	}
	var ck any
	if p.Contact != "" {
		ck = s.ks.ContactKey(p.Contact)
	}
	b.Queue(`INSERT INTO payments (id, quote_id, ck, at, value) VALUES ($1, $2, $3, $4, $5)`, p.ID, p.QuoteID, ck, p.Time, v)
	return nil
}

// depersonalisePayments keeps a contact's payment records without the
// contact: the law keeps the payment, not the person.
func (s *Store) depersonalisePayments(ctx context.Context, tx dbtx, ck string) error {
	var payments []core.PaymentRecord
	if err := collect(ctx, s, tx, nPayments, func(k string) string { return k }, &payments, `SELECT id, value FROM payments WHERE ck = $1 FOR UPDATE`, ck); err != nil {
		return err
	}
	b := &pgx.Batch{}
	for _, p := range payments {
		p.Contact = ""
		v, err := s.sealJSON(nPayments, p.ID, p)
		if err != nil {
			return err
		}
		b.Queue(`UPDATE payments SET ck = NULL, value = $2 WHERE id = $1`, p.ID, v)
	}
	return sendBatch(ctx, tx, b)
}

// RecordPayment records a payment for a quote outside any conversation
// (its contact was erased): the quote takes the payment's status and
// reference, and the payment record is kept without a contact, in one
// transaction. A payment stored before changes nothing and reports false.
func (s *Store) RecordPayment(ctx context.Context, p core.PaymentRecord, actor string) (bool, error) {
	now := s.now()
	p.Contact = ""
	if p.Recorded.IsZero() {
		p.Recorded = now
	}
	var done bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var stored bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM payments WHERE id = $1)`, p.ID).Scan(&stored); err != nil || stored {
			return err
		}
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT value FROM quotes WHERE id = $1 FOR UPDATE`, p.QuoteID).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return core.ErrNotFound
		}
		if err != nil {
			return err
		}
		var q core.QuoteRecord
		if err := s.openJSON(nQuotes, p.QuoteID, raw, &q); err != nil {
			return err
		}
		q.Status = core.QuotePaid
		if p.Kind == core.PaymentDeposit && p.Amount < q.Total {
			q.Status = core.QuoteDepositPaid
		}
		q.PaymentRef, q.PaidAt, q.Updated = p.ID, p.Time, now
		v, err := s.sealJSON(nQuotes, p.QuoteID, q)
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		b.Queue(`UPDATE quotes SET value = $2 WHERE id = $1`, p.QuoteID, v)
		if err := s.queuePayment(b, p); err != nil {
			return err
		}
		if err := s.auditBatch(b, []core.AuditEntry{{Time: now, Actor: actor, Action: "payment", Detail: "quote " + q.ID + ": " + p.Kind + " (" + p.ID + ")"}}); err != nil {
			return err
		}
		done = true
		return sendBatch(ctx, tx, b)
	})
	if err != nil {
		return false, fmt.Errorf("record payment %s: %w", p.ID, err)
	}
	return done, nil
}

// Payments returns the payment records of a quote ("" for every quote),
// oldest first.
func (s *Store) Payments(ctx context.Context, quoteID string) ([]core.PaymentRecord, error) {
	out := []core.PaymentRecord{}
	err := collect(ctx, s, s.pool, nPayments, func(k string) string { return k }, &out,
		`SELECT id, value FROM payments WHERE $1 = '' OR quote_id = $1 ORDER BY at, id`, quoteID)
	if err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	}
	return out, nil
}
