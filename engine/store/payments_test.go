package store

import (
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// TestPaymentRecordsExpire: a payment record is kept for the payment
// retention (7 years) from when it was paid, then deleted; recording the
// same payment again changes nothing.
func TestPaymentRecordsExpire(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	paidAt := td.clock.Now()
	p := core.PaymentRecord{ID: "stripe:cs_1", QuoteID: "a-q2", Provider: "stripe", Kind: core.PaymentFull, Amount: 100, Currency: "EUR", Time: paidAt}
	if done, err := td.RecordPayment(ctx, p, "stripe"); err != nil || !done {
		t.Fatalf("record: %v %v", done, err)
	}
	if done, err := td.RecordPayment(ctx, p, "stripe"); err != nil || done {
		t.Fatalf("recording again: %v %v", done, err)
	}
	q, _, err := td.Quote(ctx, "a-q2")
	if err != nil || q.Status != core.QuotePaid || q.PaymentRef != p.ID {
		t.Fatalf("the quote: %+v %v", q, err)
	}
	policy := DefaultPolicy()
	for _, c := range []struct {
		after time.Duration
		left  int
	}{{7*365*24*time.Hour - 24*time.Hour, 1}, {7*365*24*time.Hour + 24*time.Hour, 0}} {
		if _, err := td.RunRetention(ctx, policy, paidAt.Add(c.after), false, "test"); err != nil {
			t.Fatal(err)
		}
		if pays, _ := td.Payments(ctx, ""); len(pays) != c.left {
			t.Errorf("%v after the payment: %d records, want %d", c.after, len(pays), c.left)
		}
	}
}
