package engine

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/plugins"
)

// Payments configures the payment link a customer gets for an accepted
// quote (Deps.Payments makes it: Stripe Checkout, or the business's link
// template). With neither percent nor fixed the link is for the whole
// quote; otherwise for a deposit of that part.
type Payments struct {
	DepositPercent float64 // 30 for 30% of the total
	DepositFixed   int64   // a fixed deposit in minor units (at most the total)
	// Manual sends links only when the owner asks (Engine.SendPaymentLink),
	// not on acceptance.
	Manual bool
}

// amountFor is what the link for q asks: the deposit or the total; after
// a deposit (paid so far), the balance.
func (p Payments) amountFor(q *QuoteRecord, paid int64) (kind string, amount int64) {
	switch {
	case q.Status == core.QuoteDepositPaid:
		return core.PaymentFull, max(q.Total-paid, 0)
	case p.DepositPercent > 0:
		return core.PaymentDeposit, int64(math.Round(float64(q.Total) * p.DepositPercent / 100))
	case p.DepositFixed > 0:
		return core.PaymentDeposit, min(p.DepositFixed, q.Total)
	}
	return core.PaymentFull, q.Total
}

// ErrNoPayments is returned when no payment provider or link template is
// configured.
var ErrNoPayments = errors.New("no payment provider is configured")

// offerPayment sends the payment link of an accepted quote at the end of
// the turn (after the flow's thanks), when payments are configured.
func (e *Engine) offerPayment(t *turn, q *QuoteRecord) {
	if e.deps.Payments == nil || e.cfg.Payments.Manual || q == nil || q.Total <= 0 {
		return
	}
	t.finally = append(t.finally, func() {
		if err := e.sendPaymentLink(t, q, "customer"); err != nil {
			e.log.Error("payment link", "contact", e.deps.Tag(t.sess.Contact), "quote", q.ID, "err", err)
		}
	})
}

// sendPaymentLink makes the link and queues it to the customer, keeping
// which checkout it is on the session (payment.*).
func (e *Engine) sendPaymentLink(t *turn, q *QuoteRecord, actor string) error {
	paid, _ := lookupPath(t.sess.Vars, "payment.paid")
	kind, amount := e.cfg.Payments.amountFor(q, toInt64(paid))
	if amount <= 0 {
		return fmt.Errorf("%w: nothing is left to pay", ErrQuoteState)
	}
	desc := "Quote " + q.ID
	if kind == core.PaymentDeposit {
		desc += " – deposit"
	}
	if name, _ := e.cfg.Business["business_name"].(string); name != "" {
		desc = name + ": " + desc
	}
	link, err := e.deps.Payments.Link(t.ctx, core.PaymentRequest{QuoteID: q.ID, Kind: kind, Amount: amount, Currency: q.Currency, Description: desc, Language: t.sess.Language})
	if err != nil {
		return err
	}
	text := e.cfg.Privacy.Texts.PaymentLink
	if kind == core.PaymentDeposit {
		text = e.cfg.Privacy.Texts.DepositLink
	}
	t.say(text, map[string]any{"amount": plugins.FormatMoney(amount, q.Currency), "url": link.URL})
	t.setVar("payment", map[string]any{"quote": q.ID, "kind": kind, "amount": amount, "currency": q.Currency, "checkout": link.ProviderID, "url": link.URL, "paid": toInt64(paid)})
	t.audit = append(t.audit, AuditEntry{Time: t.now, Actor: actor, Action: "payment_link", Contact: e.deps.Tag(t.sess.Contact),
		Detail: fmt.Sprintf("quote %s: %s of %s", q.ID, kind, plugins.FormatMoney(amount, q.Currency))})
	return nil
}

// SendPaymentLink sends the payment link of the conversation's quote when
// the owner asks (the console), also when links are not sent on acceptance.
func (e *Engine) SendPaymentLink(ctx context.Context, contact, quoteID, actor string) error {
	if e.deps.Payments == nil {
		return ErrNoPayments
	}
	t, unlock, err := e.ownerTurn(ctx, contact)
	if err != nil {
		return err
	}
	defer unlock()
	q := t.sess.Quote
	if q == nil || q.ID != quoteID {
		return ErrNoQuote
	}
	switch q.Status {
	case QuoteSent, QuoteAccepted, core.QuoteDepositPaid:
	default:
		return fmt.Errorf("%w: a %s quote is not paid for", ErrQuoteState, q.Status)
	}
	if t.sess.OptedOut {
		return ErrOptedOut
	}
	if w := e.windowOf(t.channel); w > 0 && t.now.After(t.sess.LastInbound.Add(w)) {
		return ErrWindowClosed
	}
	if err := e.sendPaymentLink(t, q, actor); err != nil {
		return fmt.Errorf("payment link: %w", err)
	}
	_, err = e.commit(t)
	return err
}

// RecordPayment records a payment a provider reports for a quote, in one
// turn of the quote's contact: the payment record, the quote's new status
// (deposit_paid, or paid), the thanks to the customer and the audit entry
// commit together. A payment recorded before (the provider's event
// delivered again) changes nothing and reports false. A quote whose
// conversation is gone (erased) is recorded by the store alone, without
// the contact.
func (e *Engine) RecordPayment(ctx context.Context, q *QuoteRecord, p core.PaymentRecord) (bool, error) {
	status := QuotePaid
	if p.Kind == core.PaymentDeposit && p.Amount < q.Total {
		status = core.QuoteDepositPaid
	}
	if q.Status == core.QuoteDepositPaid && p.Kind != core.PaymentDeposit {
		status = QuotePaid // the balance
	}
	if p.Recorded.IsZero() {
		p.Recorded = e.deps.Clock().UTC()
	}
	if q.Contact == "" {
		return false, ErrNoConversation
	}
	t, unlock, err := e.ownerTurn(ctx, q.Contact)
	if err != nil {
		return false, err
	}
	defer unlock()
	p.Contact = t.sess.Contact
	paid := *q
	paid.Status, paid.PaymentRef, paid.PaidAt, paid.Updated = status, p.ID, p.Time, t.now
	if t.sess.Quote != nil && t.sess.Quote.ID == q.ID {
		t.sess.Quote = &paid
		t.sess.SetVar("quote.status", status)
		t.projectDirty = true
	}
	t.quotes = append(t.quotes, &paid)
	t.payments = append(t.payments, p)
	before, _ := lookupPath(t.sess.Vars, "payment.paid")
	t.setVar("payment.paid", toInt64(before)+p.Amount)
	t.audit = append(t.audit, AuditEntry{Time: t.now, Actor: p.Provider, Action: "payment", Contact: e.deps.Tag(t.sess.Contact),
		Detail: fmt.Sprintf("quote %s: %s of %s (%s)", q.ID, p.Kind, plugins.FormatMoney(p.Amount, p.Currency), p.ID)})
	if !t.sess.OptedOut {
		text := e.cfg.Privacy.Texts.PaymentReceived
		if status == core.QuoteDepositPaid {
			text = e.cfg.Privacy.Texts.DepositReceived
		}
		t.say(text, map[string]any{"amount": plugins.FormatMoney(p.Amount, p.Currency)})
	}
	rec := t.record()
	err = e.deps.Store.Commit(ctx, rec)
	if errors.Is(err, ErrDuplicate) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record payment for quote %s: %w", q.ID, err)
	}
	e.afterCommit(t, rec)
	if e.deps.OnPayment != nil {
		e.deps.OnPayment(p)
	}
	return true, nil
}

// PaymentExpired tells the customer an unpaid checkout of the quote
// expired, once per checkout (Turn.Once), and forgets it on the session.
func (e *Engine) PaymentExpired(ctx context.Context, contact, quoteID, checkout string) (bool, error) {
	t, unlock, err := e.ownerTurn(ctx, contact)
	if err != nil {
		return false, err
	}
	defer unlock()
	if pay, _ := t.sess.Vars["payment"].(map[string]any); pay != nil && pay["checkout"] == checkout {
		delete(pay, "checkout") // what was paid so far stays
		delete(pay, "url")
	}
	if !t.sess.OptedOut {
		t.say(e.cfg.Privacy.Texts.PaymentExpired, nil)
	}
	rec := t.record()
	rec.Once = &core.Once{Key: "checkout-expired:" + checkout, Within: math.MaxInt64}
	err = e.deps.Store.Commit(ctx, rec)
	if errors.Is(err, ErrDuplicate) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checkout expired for quote %s: %w", quoteID, err)
	}
	e.afterCommit(t, rec)
	return true, nil
}

// toInt64 reads a number kept in the session's variables (JSON gives
// float64 back).
func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(math.Round(n))
	}
	return 0
}
