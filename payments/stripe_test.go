package payments_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/payments"
	"github.com/allmyleads/allmyleads/payments/stripetest"
)

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// TestStripeLink creates a Checkout Session through stripe-go against the
// double: the amount, currency, quote id and kind in the metadata, the
// customer's language; nothing personal.
func TestStripeLink(t *testing.T) {
	d := stripetest.New(t, clock)
	s := payments.NewStripe(payments.StripeOptions{SecretKey: stripetest.Key, APIBase: d.URL, Clock: clock, SuccessURL: "https://brightside.example/thanks"})
	link, err := s.Link(context.Background(), core.PaymentRequest{QuoteID: "q_7", Kind: core.PaymentDeposit, Amount: 99825, Currency: "EUR", Description: "Brightside: Quote q_7 – deposit", Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	cs := d.Sessions()
	if len(cs) != 1 || link.ProviderID != cs[0].ID || link.URL != cs[0].URL || !strings.HasPrefix(link.ProviderID, "cs_test_") {
		t.Fatalf("link %+v, sessions %+v", link, cs)
	}
	f := cs[0].Form
	want := map[string]string{
		"mode": "payment", "locale": "es", "metadata[quote_id]": "q_7", "metadata[kind]": "deposit", "client_reference_id": "q_7",
		"line_items[0][price_data][currency]": "eur", "line_items[0][price_data][unit_amount]": "99825", "line_items[0][quantity]": "1",
		"payment_intent_data[metadata][quote_id]": "q_7", "success_url": "https://brightside.example/thanks",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("form %s = %q, want %q", k, f[k], v)
		}
	}
	if !link.Expires.Equal(now.Add(24 * time.Hour)) {
		t.Errorf("expires %v", link.Expires)
	}
	d.Fail(http.StatusInternalServerError)
	if _, err := s.Link(context.Background(), core.PaymentRequest{QuoteID: "q_8", Kind: core.PaymentFull, Amount: 100, Currency: "EUR", Description: "x"}); err == nil {
		t.Error("a failing Stripe gave a link")
	}
}

// recorder records what the webhook hands on.
type recorder struct {
	mu        sync.Mutex
	completed []payments.Completed
	expired   []payments.Expired
	err       error
}

func (r *recorder) PaymentCompleted(_ context.Context, c payments.Completed) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.completed = append(r.completed, c)
	return r.err
}

func (r *recorder) CheckoutExpired(_ context.Context, e payments.Expired) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expired = append(r.expired, e)
	return r.err
}

// TestWebhookSignatures: a signed completion is handed on with its
// amounts and ids; a missing, wrong or stale signature is 400 and hands on
// nothing; a Recorder failure is 500 (Stripe retries); an unknown quote 200.
func TestWebhookSignatures(t *testing.T) {
	d := stripetest.New(t, clock)
	s := payments.NewStripe(payments.StripeOptions{SecretKey: stripetest.Key, APIBase: d.URL, Clock: clock})
	if _, err := s.Link(context.Background(), core.PaymentRequest{QuoteID: "q_7", Kind: core.PaymentFull, Amount: 332750, Currency: "EUR", Description: "x"}); err != nil {
		t.Fatal(err)
	}
	cs := d.Sessions()[0]
	rec := &recorder{}
	bad := 0
	srv := httptest.NewServer(&payments.Webhook{Secret: "whsec_test", Recorder: rec, BadSignature: func() { bad++ }})
	defer srv.Close()
	completed := d.Event("checkout.session.completed", cs)
	fresh := time.Now()
	cases := []struct {
		name   string
		sig    string
		status int
	}{
		{"no signature", "", http.StatusBadRequest},
		{"another secret", stripetest.Sign(completed, "whsec_other", fresh), http.StatusBadRequest},
		{"older than the tolerance", stripetest.Sign(completed, "whsec_test", fresh.Add(-10*time.Minute)), http.StatusBadRequest},
		{"tampered", strings.Replace(stripetest.Sign(completed, "whsec_test", fresh), "v1=", "v1=00", 1), http.StatusBadRequest},
	}
	for _, c := range cases {
		if got := stripetest.Deliver(t, srv.URL, completed, c.sig); got != c.status {
			t.Errorf("%s: %d, want %d", c.name, got, c.status)
		}
	}
	if len(rec.completed) != 0 || bad != len(cases) {
		t.Fatalf("refused events were handed on (%d) or not counted (%d)", len(rec.completed), bad)
	}
	if got := stripetest.Deliver(t, srv.URL, completed, stripetest.Sign(completed, "whsec_test", fresh)); got != http.StatusOK {
		t.Fatalf("a signed completion: %d", got)
	}
	c := rec.completed[0]
	if c.QuoteID != "q_7" || c.Kind != "full" || c.Amount != 332750 || c.Currency != "EUR" || c.Checkout != cs.ID || !strings.HasPrefix(c.PaymentIntent, "pi_test_") || c.EventID == "" {
		t.Errorf("completed = %+v", c)
	}
	expired := d.Event("checkout.session.expired", cs)
	if got := stripetest.Deliver(t, srv.URL, expired, stripetest.Sign(expired, "whsec_test", fresh)); got != http.StatusOK || len(rec.expired) != 1 || rec.expired[0].QuoteID != "q_7" {
		t.Errorf("expired: %d %+v", got, rec.expired)
	}
	rec.err = errors.New("disk full")
	if got := stripetest.Deliver(t, srv.URL, completed, stripetest.Sign(completed, "whsec_test", fresh)); got != http.StatusInternalServerError {
		t.Errorf("a failed recording: %d, want 500", got)
	}
	rec.err = payments.ErrUnknownQuote
	if got := stripetest.Deliver(t, srv.URL, completed, stripetest.Sign(completed, "whsec_test", fresh)); got != http.StatusOK {
		t.Errorf("an unknown quote: %d, want 200", got)
	}
}

func TestTemplate(t *testing.T) {
	l, err := payments.Template{URL: "https://pay.example/{{ quote.id }}?amount={{ amount }}&cur={{ currency }}"}.Link(context.Background(),
		core.PaymentRequest{QuoteID: "q 7", Amount: 1234, Currency: "eur"})
	if err != nil || l.URL != "https://pay.example/q%207?amount=1234&cur=EUR" {
		t.Errorf("%q %v", l.URL, err)
	}
	if payments.CheckTemplate("https://pay.example/") == nil {
		t.Error("a template that names no quote passed")
	}
}
