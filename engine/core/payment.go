package core

import (
	"context"
	"time"
)

// QuoteDepositPaid is the status of a quote whose deposit was paid; the
// rest is due (QuotePaid once all of it is).
const QuoteDepositPaid = "deposit_paid"

// Payment kinds: what a payment covered.
const (
	PaymentDeposit = "deposit"
	PaymentFull    = "full"
)

// PaymentRecord is one payment received for a quote, kept as a financial
// record (7 years by default): what, how much, through whom, when. It
// never holds card data: the provider keeps that, and its ids here lead
// to it. An erasure of the contact keeps the record without the contact.
type PaymentRecord struct {
	ID          string            `json:"id"` // "stripe:" + the Checkout Session id; unique
	QuoteID     string            `json:"quote_id"`
	Contact     string            `json:"contact,omitempty"` // URN; "" once the contact was erased
	Provider    string            `json:"provider"`          // stripe
	Kind        string            `json:"kind"`              // deposit, full
	Amount      int64             `json:"amount"`            // minor units
	Currency    string            `json:"currency"`          // ISO 4217, upper case
	ProviderIDs map[string]string `json:"provider_ids,omitempty"`
	Time        time.Time         `json:"time"` // when the provider says it was paid
	Recorded    time.Time         `json:"recorded"`
}

// PaymentRequest is what a payment link is made for: an amount of a
// quote, in the customer's language. It carries nothing personal: the
// provider learns the quote id, the amount and the language, not who pays.
type PaymentRequest struct {
	QuoteID     string
	Kind        string // deposit, full
	Amount      int64  // minor units
	Currency    string // ISO 4217
	Description string // the line the payment page shows ("Quote q_1 – deposit")
	Language    string // ISO 639-1 ("" = the provider decides)
}

// PaymentLink is a page where the customer pays.
type PaymentLink struct {
	URL        string
	ProviderID string    // the Checkout Session id; "" for a link template
	Expires    time.Time // zero when it does not
}

// PaymentLinker makes payment links: package payments implements it on
// Stripe Checkout (and on a business's own link template); the engine
// calls it when a quote is accepted or the owner asks.
type PaymentLinker interface {
	Link(ctx context.Context, req PaymentRequest) (PaymentLink, error)
}
