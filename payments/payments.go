// Package payments takes payments for quotes through a provider: Stripe
// Checkout (stripe.go, with github.com/stripe/stripe-go), or a business's
// own payment page (a link template). It makes payment links
// (core.PaymentLinker, for the engine) and receives the provider's signed
// webhooks (Webhook), which it hands to a Recorder: the engine records the
// payment with the quote's new status in one transaction. It never sees
// or keeps card data, and it sends the provider nothing personal: the
// quote id, the amount, the currency and the language.
//
// It imports engine/core and stripe-go, never the engine, a store or a
// channel.
package payments

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Template is a business's own payment page: the link is the template
// with {{ quote.id }}, {{ amount }} (minor units), {{ currency }} and
// {{ kind }} filled in ("https://pay.example/{{ quote.id }}").
type Template struct {
	URL string
}

var _ core.PaymentLinker = Template{}

// Link fills the template in.
func (t Template) Link(_ context.Context, req core.PaymentRequest) (core.PaymentLink, error) {
	r := strings.NewReplacer(
		"{{ quote.id }}", url.PathEscape(req.QuoteID), "{{quote.id}}", url.PathEscape(req.QuoteID),
		"{{ amount }}", strconv.FormatInt(req.Amount, 10), "{{amount}}", strconv.FormatInt(req.Amount, 10),
		"{{ currency }}", strings.ToUpper(req.Currency), "{{currency}}", strings.ToUpper(req.Currency),
		"{{ kind }}", req.Kind, "{{kind}}", req.Kind,
	)
	u := r.Replace(t.URL)
	if _, err := url.ParseRequestURI(u); err != nil {
		return core.PaymentLink{}, fmt.Errorf("payments.link_template: %w", err)
	}
	return core.PaymentLink{URL: u}, nil
}

// CheckTemplate checks a link template when the configuration is loaded.
func CheckTemplate(tpl string) error {
	_, err := Template{URL: tpl}.Link(context.Background(), core.PaymentRequest{QuoteID: "q_1", Amount: 100, Currency: "EUR", Kind: core.PaymentFull})
	if err == nil && !strings.Contains(tpl, "quote.id") {
		err = errors.New("payments.link_template: say which quote with {{ quote.id }}")
	}
	return err
}

// Completed is a checkout the customer paid.
type Completed struct {
	EventID       string
	Checkout      string // the Checkout Session id
	PaymentIntent string
	QuoteID       string
	Kind          string // deposit, full (as the link asked)
	Amount        int64  // minor units
	Currency      string // upper case
	Paid          int64  // Unix seconds the provider says it happened
}

// Expired is a checkout that expired unpaid.
type Expired struct {
	EventID  string
	Checkout string
	QuoteID  string
}

// Recorder acts on what the provider reports. Handled events delivered
// again must change nothing (the engine records a payment once).
type Recorder interface {
	PaymentCompleted(ctx context.Context, c Completed) error
	CheckoutExpired(ctx context.Context, e Expired) error
}

// ErrUnknownQuote is what a Recorder returns for an event about a quote
// this business does not have: the webhook answers 200 (nothing to retry).
var ErrUnknownQuote = errors.New("no such quote")
