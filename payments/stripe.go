package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	stripe "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/allmyleads/allmyleads/engine/core"
)

// WebhookPath is where Stripe posts its events.
const WebhookPath = "/webhooks/stripe"

// StripeOptions configure Stripe Checkout.
type StripeOptions struct {
	SecretKey string // STRIPE_SECRET_KEY
	// APIBase is Stripe's API ("" = https://api.stripe.com); tests point it
	// at the double in payments/stripetest (STRIPE_API_BASE).
	APIBase string
	// SuccessURL and CancelURL are where the payment page sends the
	// customer back to ("" = Stripe's own confirmation page / none).
	SuccessURL, CancelURL string
	// Expiry is how long a checkout link stays open (Stripe: 30 minutes to
	// 24 hours; 0 = 24 hours).
	Expiry     time.Duration
	HTTPClient *http.Client
	Clock      func() time.Time
}

// Stripe makes payment links as Stripe Checkout Sessions.
type Stripe struct {
	client *stripe.Client
	opts   StripeOptions
}

var _ core.PaymentLinker = (*Stripe)(nil)

// NewStripe returns the Stripe linker.
func NewStripe(o StripeOptions) *Stripe {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Expiry <= 0 {
		o.Expiry = 24 * time.Hour
	}
	cfg := &stripe.BackendConfig{LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}, MaxNetworkRetries: stripe.Int64(2)}
	if o.APIBase != "" {
		cfg.URL = stripe.String(strings.TrimRight(o.APIBase, "/"))
	}
	if o.HTTPClient != nil {
		cfg.HTTPClient = o.HTTPClient
	} else {
		cfg.HTTPClient = &http.Client{Timeout: 20 * time.Second}
	}
	return &Stripe{client: stripe.NewClient(o.SecretKey, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg))), opts: o}
}

// stripeLocales are the languages Stripe's page is shown in that the
// engine's customers may ask for.
var stripeLocales = map[string]bool{"en": true, "es": true, "pt": true, "de": true, "fr": true, "nl": true, "it": true}

// Link creates a Checkout Session for the amount, with the quote id and
// the kind in its metadata and the customer's language.
func (s *Stripe) Link(ctx context.Context, req core.PaymentRequest) (core.PaymentLink, error) {
	if req.Amount <= 0 {
		return core.PaymentLink{}, fmt.Errorf("stripe checkout for quote %s: nothing to pay", req.QuoteID)
	}
	locale := "auto"
	if stripeLocales[req.Language] {
		locale = req.Language
	}
	meta := map[string]string{"quote_id": req.QuoteID, "kind": req.Kind}
	params := &stripe.CheckoutSessionCreateParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		ClientReferenceID: stripe.String(req.QuoteID),
		Locale:            stripe.String(locale),
		Metadata:          meta,
		ExpiresAt:         stripe.Int64(s.opts.Clock().Add(s.opts.Expiry).Unix()),
		PaymentIntentData: &stripe.CheckoutSessionCreatePaymentIntentDataParams{Metadata: meta},
		LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{
			Quantity: stripe.Int64(1),
			PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:    stripe.String(strings.ToLower(req.Currency)),
				UnitAmount:  stripe.Int64(req.Amount),
				ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String(req.Description)},
			},
		}},
	}
	if s.opts.SuccessURL != "" {
		params.SuccessURL = stripe.String(s.opts.SuccessURL)
	}
	if s.opts.CancelURL != "" {
		params.CancelURL = stripe.String(s.opts.CancelURL)
	}
	params.SetIdempotencyKey("allmyleads-" + req.QuoteID + "-" + req.Kind + "-" + fmt.Sprint(s.opts.Clock().Unix()/60))
	cs, err := s.client.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return core.PaymentLink{}, fmt.Errorf("stripe checkout for quote %s: %w", req.QuoteID, err)
	}
	return core.PaymentLink{URL: cs.URL, ProviderID: cs.ID, Expires: time.Unix(cs.ExpiresAt, 0).UTC()}, nil
}

// Webhook receives Stripe's events at WebhookPath: it verifies the
// Stripe-Signature header with the endpoint's secret (stripe-go's
// verification with its timestamp tolerance, 5 minutes) and hands
// checkout.session.completed and checkout.session.expired to the
// Recorder. A missing or bad signature is answered 400 and changes
// nothing; an event the Recorder could not record, 500, so Stripe sends it
// again; anything else, 200.
type Webhook struct {
	Secret   string // STRIPE_WEBHOOK_SECRET; empty answers 503
	Recorder Recorder
	Logger   *slog.Logger
	// BadSignature is told about each refused request (metrics).
	BadSignature func()
}

// maxEvent bounds an event's body: Checkout events are a few KB.
const maxEvent = 256 << 10

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if h.Secret == "" {
		http.Error(w, "stripe webhook secret not configured", http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEvent))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get("Stripe-Signature"), h.Secret,
		webhook.ConstructEventOptions{Tolerance: webhook.DefaultTolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		if h.BadSignature != nil {
			h.BadSignature()
		}
		log.Warn("stripe webhook refused", "err", err)
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	if err := h.handle(r.Context(), &ev); err != nil {
		if errors.Is(err, ErrUnknownQuote) {
			log.Warn("stripe event for an unknown quote", "event", ev.ID, "type", ev.Type)
			w.WriteHeader(http.StatusOK)
			return
		}
		log.Error("stripe event not recorded; Stripe will send it again", "event", ev.ID, "type", ev.Type, "err", err)
		http.Error(w, "not recorded", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handle acts on one verified event.
func (h *Webhook) handle(ctx context.Context, ev *stripe.Event) error {
	switch ev.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded":
		cs, err := session(ev)
		if err != nil {
			return err
		}
		if cs.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid {
			return nil // paid later by a slower method: its async_payment_succeeded comes then
		}
		c := Completed{EventID: ev.ID, Checkout: cs.ID, QuoteID: cs.Metadata["quote_id"], Kind: cs.Metadata["kind"],
			Amount: cs.AmountTotal, Currency: strings.ToUpper(string(cs.Currency)), Paid: ev.Created}
		if cs.PaymentIntent != nil {
			c.PaymentIntent = cs.PaymentIntent.ID
		}
		if c.QuoteID == "" {
			return ErrUnknownQuote
		}
		return h.Recorder.PaymentCompleted(ctx, c)
	case "checkout.session.expired":
		cs, err := session(ev)
		if err != nil {
			return err
		}
		if cs.Metadata["quote_id"] == "" {
			return ErrUnknownQuote
		}
		return h.Recorder.CheckoutExpired(ctx, Expired{EventID: ev.ID, Checkout: cs.ID, QuoteID: cs.Metadata["quote_id"]})
	}
	return nil
}

// session reads the Checkout Session an event is about.
func session(ev *stripe.Event) (*stripe.CheckoutSession, error) {
	if ev.Data == nil {
		return nil, fmt.Errorf("event %s: no data", ev.ID)
	}
	var cs stripe.CheckoutSession
	if err := json.Unmarshal(ev.Data.Raw, &cs); err != nil {
		return nil, fmt.Errorf("event %s: %w", ev.ID, err)
	}
	return &cs, nil
}
