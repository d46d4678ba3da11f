package core

import "time"

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
