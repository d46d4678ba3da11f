package model

import (
	"encoding/json"
	"reflect"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// PricedChanged says whether what the customer was offered changed:
// items, amounts, currency, validity, notes or inputs. A change keeps the
// stored version as a revision and raises the revision number.
func PricedChanged(a, b *core.QuoteRecord) bool {
	return a.Currency != b.Currency || a.Subtotal != b.Subtotal || a.Discount != b.Discount ||
		a.Tax != b.Tax || a.Total != b.Total || a.TaxRate != b.TaxRate || a.Notes != b.Notes ||
		!a.ValidUntil.Equal(b.ValidUntil) || a.Plugin != b.Plugin || a.SourceHash != b.SourceHash ||
		!reflect.DeepEqual(a.Items, b.Items) || !jsonEqual(a.Inputs, b.Inputs)
}

// jsonEqual compares two values by their JSON, so numbers read back from
// the store compare equal to the ones the engine made.
func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// IsPaid says whether a payment was recorded on the quote: a payment
// record, which the conversation never changes and erasure keeps.
func IsPaid(q *core.QuoteRecord) bool {
	return q.Status == core.QuotePaid || q.PaymentRef != "" || !q.PaidAt.IsZero()
}

// Depersonalise strips a kept financial record of what identifies the
// customer: the phone number, the answers that priced it, free-text notes.
func Depersonalise(q core.QuoteRecord) core.QuoteRecord {
	q.Contact = ""
	q.Inputs = nil
	q.Notes = ""
	return q
}

// UpsertQuote is how a turn's copy q of a quote meets the stored one
// (old, nil when there is none) at now: it fills in q's times and
// revision, and returns the stored version to keep as an earlier revision
// (nil when the priced content did not change) and whether q is to be
// written at all (a paid quote is left as stored, and q set to it).
func UpsertQuote(old, q *core.QuoteRecord, now time.Time) (revision *core.QuoteRecord, write bool) {
	if q.Created.IsZero() {
		q.Created = now
	}
	if q.Updated.IsZero() {
		q.Updated = now
	}
	if old == nil {
		if q.Revision < 1 {
			q.Revision = 1
		}
		return nil, true
	}
	if IsPaid(old) && !(old.Status == core.QuoteDepositPaid && q.Status == core.QuotePaid && q.PaymentRef != old.PaymentRef) {
		// A paid quote is a payment record: the conversation's copy
		// (older, or repriced after the fact) never changes it; only
		// the payment of the balance after a deposit moves it on.
		*q = *old
		return nil, false
	}
	q.Created = old.Created
	q.Revision = old.Revision
	if PricedChanged(old, q) {
		q.Revision = old.Revision + 1
		return old, true
	}
	return nil, true
}

// ProjectEnd is when a project's retention starts: its completion, or for
// a project that never completed, its last activity.
func ProjectEnd(pr *core.Project) time.Time {
	if !pr.Completed.IsZero() {
		return pr.Completed
	}
	return pr.Updated
}

// PaidAt is when a paid quote's payment retention starts.
func PaidAt(q *core.QuoteRecord) time.Time {
	if q.PaidAt.IsZero() {
		return q.Updated
	}
	return q.PaidAt
}

// MergeConsent is a consent record to store when c updates the stored old
// (nil when there is none): an update without the text shown (a
// withdrawal) only records the withdrawal, so the proof of what was agreed
// stays.
func MergeConsent(old *core.ConsentRecord, c core.ConsentRecord) core.ConsentRecord {
	if c.Text != "" || old == nil {
		return c
	}
	merged := *old
	if !c.Withdrawn.IsZero() && merged.Withdrawn.IsZero() {
		merged.Withdrawn = c.Withdrawn
	}
	return merged
}
