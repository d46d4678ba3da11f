package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/owner"
	"github.com/allmyleads/allmyleads/payments"
)

// PaymentsConfig configures the payment link sent after a quote is
// accepted (or when the owner asks from the console): Stripe Checkout when
// STRIPE_SECRET_KEY is set, else the business's own page (link_template),
// else none.
type PaymentsConfig struct {
	// Deposit is what the link asks: "30%" of the total, or a fixed amount
	// in the business's currency ("150" or "150.00"); "" (the default)
	// asks the whole quote.
	Deposit string `yaml:"deposit"`
	// LinkTemplate is a payment page of the business's own, for a business
	// without Stripe: "https://pay.example/{{ quote.id }}" ({{ amount }},
	// {{ currency }} and {{ kind }} too).
	LinkTemplate string `yaml:"link_template"`
	// Manual sends links only when the owner asks, not on acceptance.
	Manual bool `yaml:"manual"`
	// SuccessURL and CancelURL are where Stripe's page sends the customer
	// back to.
	SuccessURL string `yaml:"success_url" validate:"omitempty,url"`
	CancelURL  string `yaml:"cancel_url" validate:"omitempty,url"`
	// Usually from the environment: STRIPE_SECRET_KEY,
	// STRIPE_WEBHOOK_SECRET (of the endpoint /webhooks/stripe) and
	// STRIPE_API_BASE (tests point it at a double).
	StripeSecretKey     string `yaml:"stripe_secret_key"`
	StripeWebhookSecret string `yaml:"stripe_webhook_secret"`
	StripeAPIBase       string `yaml:"stripe_api_base" validate:"omitempty,url"`
}

// checkPayments checks the deposit and the link template.
func checkPayments(p PaymentsConfig) error {
	if _, _, err := parseDeposit(p.Deposit); err != nil {
		return err
	}
	if p.LinkTemplate != "" {
		return payments.CheckTemplate(p.LinkTemplate)
	}
	return nil
}

// parseDeposit reads "30%" (percent) or "150.00" (minor units).
func parseDeposit(s string) (percent float64, fixed int64, err error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return 0, 0, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v <= 0 || v > 100 {
			return 0, 0, fmt.Errorf("payments.deposit: %q is not a percentage from 1%% to 100%%", s)
		}
		return v, 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, 0, fmt.Errorf("payments.deposit: %q is neither a percentage (30%%) nor an amount (150.00)", s)
	}
	return 0, int64(math.Round(v * 100)), nil
}

// paymentsConfig is the engine's view of the payments section.
func paymentsConfig(cfg Config) engine.Payments {
	percent, fixed, _ := parseDeposit(cfg.Payments.Deposit) // checked when loaded
	return engine.Payments{DepositPercent: percent, DepositFixed: fixed, Manual: cfg.Payments.Manual}
}

// paymentLinker is the configured maker of payment links, nil for none.
func paymentLinker(cfg Config) core.PaymentLinker {
	p := cfg.Payments
	switch {
	case p.StripeSecretKey != "":
		return payments.NewStripe(payments.StripeOptions{SecretKey: p.StripeSecretKey, APIBase: p.StripeAPIBase, SuccessURL: p.SuccessURL, CancelURL: p.CancelURL})
	case p.LinkTemplate != "":
		return payments.Template{URL: p.LinkTemplate}
	}
	return nil
}

// mountPayments adds POST /webhooks/stripe to the router.
func mountPayments(r *mux.Router, cfg Config, rt *runtime) error {
	r.Handle(payments.WebhookPath, &payments.Webhook{
		Secret: cfg.Payments.StripeWebhookSecret, Recorder: paymentRecorder{rt}, Logger: rt.logger,
		BadSignature: func() { rt.metrics.SignatureFailed("stripe") },
	}).Methods(http.MethodPost)
	return nil
}

// paymentRecorder records what Stripe reports through the engine, in the
// turn of the quote's contact.
type paymentRecorder struct{ rt *runtime }

func (r paymentRecorder) quote(ctx context.Context, id string) (*core.QuoteRecord, error) {
	q, _, err := r.rt.store.Quote(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return nil, payments.ErrUnknownQuote
	}
	return q, err
}

// PaymentCompleted records the payment with the quote's new status.
func (r paymentRecorder) PaymentCompleted(ctx context.Context, c payments.Completed) error {
	q, err := r.quote(ctx, c.QuoteID)
	if err != nil {
		return err
	}
	kind := c.Kind
	if kind != core.PaymentDeposit {
		kind = core.PaymentFull
	}
	p := core.PaymentRecord{
		ID: "stripe:" + c.Checkout, QuoteID: q.ID, Provider: "stripe", Kind: kind, Amount: c.Amount, Currency: c.Currency,
		ProviderIDs: map[string]string{"checkout_session": c.Checkout, "payment_intent": c.PaymentIntent, "event": c.EventID},
		Time:        time.Unix(c.Paid, 0).UTC(),
	}
	_, err = r.rt.engine.RecordPayment(ctx, q, p)
	if errors.Is(err, engine.ErrNoConversation) {
		// The customer was erased: the payment is still recorded, without them.
		_, err = r.rt.store.RecordPayment(ctx, p, "stripe")
	}
	return err
}

// CheckoutExpired tells the customer the link expired.
func (r paymentRecorder) CheckoutExpired(ctx context.Context, e payments.Expired) error {
	q, err := r.quote(ctx, e.QuoteID)
	if err != nil || q.Contact == "" {
		return err
	}
	_, err = r.rt.engine.PaymentExpired(ctx, q.Contact, q.ID, e.Checkout)
	if errors.Is(err, engine.ErrNoConversation) {
		return nil
	}
	return err
}

// ownerPayments is the console's Send payment link, when a provider or a
// link template is configured.
func ownerPayments(cfg Config, rt *runtime) owner.PaymentLinks {
	if paymentLinker(cfg) == nil {
		return nil
	}
	return rt.engine
}
