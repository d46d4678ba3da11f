package owner

import (
	"context"
	"net/http"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
)

// PaymentLinks sends a quote's payment link to the customer when the owner
// asks: the engine (Engine.SendPaymentLink), in the contact's turn.
type PaymentLinks interface {
	SendPaymentLink(ctx context.Context, contact, quoteID, actor string) error
}

// paymentLink is POST /quotes/{id}/payment-link.
func (h *Handler) paymentLink(w http.ResponseWriter, r *http.Request, a *actor) {
	if h.o.Payments == nil {
		h.fail(w, engine.ErrNoPayments)
		return
	}
	h.quoteAction(w, r, http.StatusOK, func(ctx context.Context, q *core.QuoteRecord) (*core.QuoteRecord, error) {
		return q, h.o.Payments.SendPaymentLink(ctx, q.Contact, q.ID, a.name)
	})
}

// paymentLink is the console's Send payment link button.
func (p *pages) paymentLink(r *http.Request, s *session, q *core.QuoteRecord) error {
	if p.h.o.Payments == nil {
		return engine.ErrNoPayments
	}
	if err := p.h.o.Payments.SendPaymentLink(r.Context(), q.Contact, q.ID, s.actor); err != nil {
		return err
	}
	p.flash(s, "Payment link sent to the customer.", "")
	return nil
}
