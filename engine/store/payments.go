package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
)

// bPayments holds the payment records: payment id -> core.PaymentRecord,
// sealed under the contact's data key (the business key once an erasure
// depersonalised it).
var bPayments = []byte("payments")

// putPayments stores a turn's payment records; dup says one is stored
// already (the turn is then a duplicate and the caller rolls back).
func putPayments(tx *bolt.Tx, ks *keyset, payments []core.PaymentRecord) (dup bool, err error) {
	b := tx.Bucket(bPayments)
	for _, p := range payments {
		if p.ID == "" {
			return false, errors.New("payment without an id")
		}
		if b.Get([]byte(p.ID)) != nil {
			return true, nil
		}
		if err := ks.putJSON(b, string(bPayments), []byte(p.ID), p); err != nil {
			return false, err
		}
	}
	return false, nil
}

// contactPayments returns the payment records of a contact (a URN).
func contactPayments(tx *bolt.Tx, ks *keyset, contact string) ([]core.PaymentRecord, error) {
	var out []core.PaymentRecord
	err := tx.Bucket(bPayments).ForEach(func(k, v []byte) error {
		var p core.PaymentRecord
		if err := ks.decode(string(bPayments), k, v, &p); err != nil {
			return err
		}
		if p.Contact != "" && normalize(p.Contact) == contact {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// depersonalisePayments keeps a contact's payment records without the
// contact (sealed under the business key from then on): the law keeps
// the payment, not the person.
func depersonalisePayments(tx *bolt.Tx, ks *keyset, contact string) error {
	payments, err := contactPayments(tx, ks, contact)
	if err != nil {
		return err
	}
	b := tx.Bucket(bPayments)
	for _, p := range payments {
		p.Contact = ""
		if err := ks.putJSON(b, string(bPayments), []byte(p.ID), p); err != nil {
			return err
		}
	}
	return nil
}

// expirePayments deletes payment records past the payment retention.
func expirePayments(tx *bolt.Tx, ks *keyset, p Policy, now time.Time, rep *RetentionReport) error {
	if p.Payments <= 0 {
		return nil
	}
	cut := now.Add(-p.Payments)
	b := tx.Bucket(bPayments)
	var doomed [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var pr core.PaymentRecord
		if err := ks.decode(string(bPayments), k, v, &pr); err != nil {
			return err
		}
		if pr.Time.Before(cut) {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	rep.Payments += len(doomed)
	return deleteKeys(b, doomed)
}

// Payments returns the payment records of a quote ("" for every quote),
// oldest first.
func (s *Store) Payments(ctx context.Context, quoteID string) ([]core.PaymentRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := []core.PaymentRecord{}
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			return tx.Bucket(bPayments).ForEach(func(k, v []byte) error {
				var p core.PaymentRecord
				if err := ks.decode(string(bPayments), k, v, &p); err != nil {
					return err
				}
				if quoteID == "" || p.QuoteID == quoteID {
					out = append(out, p)
				}
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}

// RecordPayment records a payment for a quote outside any conversation
// (its contact was erased): the quote takes the payment's status and
// reference, and the payment record is kept without a contact, in one
// transaction. A payment stored before changes nothing and reports false.
func (s *Store) RecordPayment(ctx context.Context, p core.PaymentRecord, actor string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := s.now()
	p.Contact = ""
	if p.Recorded.IsZero() {
		p.Recorded = now
	}
	var done bool
	err := s.withKeys(func(ks *keyset) error {
		return s.db.Update(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			if tx.Bucket(bPayments).Get([]byte(p.ID)) != nil {
				return nil
			}
			b := tx.Bucket(bQuotes)
			var q core.QuoteRecord
			found, err := ks.getJSON(b, string(bQuotes), []byte(p.QuoteID), &q)
			if err != nil {
				return err
			}
			if !found {
				return core.ErrNotFound
			}
			q.Status = core.QuotePaid
			if p.Kind == core.PaymentDeposit && p.Amount < q.Total {
				q.Status = core.QuoteDepositPaid
			}
			q.PaymentRef, q.PaidAt, q.Updated = p.ID, p.Time, now
			if err := ks.putJSON(b, string(bQuotes), []byte(q.ID), q); err != nil {
				return err
			}
			if _, err := putPayments(tx, ks, []core.PaymentRecord{p}); err != nil {
				return err
			}
			done = true
			return appendAudit(tx, ks, core.AuditEntry{Time: now, Actor: actor, Action: "payment", Detail: "quote " + q.ID + ": " + p.Kind + " (" + p.ID + ")"})
		})
	})
	if err != nil {
		return false, fmt.Errorf("record payment %s: %w", p.ID, err)
	}
	return done, nil
}
