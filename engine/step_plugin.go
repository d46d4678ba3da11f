package engine

import (
	"context"
	"errors"
	"maps"
	"math"
	"time"

	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/plugins"
)

// plugin calls a Lua function FILE.FUNCTION with the variables and saves
// what it returns. A pricing function's quote is computed by the host (line
// totals, discount, tax, total in minor units) and recorded as a draft
// quote; `{{ quote.total | money }}` then shows its total. The quote is
// valid for valid_for, else for the plugin's valid_days. On failure the
// conversation goes to on_error, or a person takes over.
//
//   - id: price
//     plugin: pricing.quote
//     save: quote
//     on_error: human
func init() { registerStep(flows.KindPlugin, stepKind{enter: enterPlugin}) }

func enterPlugin(t *turn, s *flows.Step) outcome {
	if t.e.deps.Plugins == nil {
		return t.failStep(s, "plugin "+s.Plugin, errors.New("no plugin host configured"))
	}
	ctx, cancel := context.WithTimeout(t.ctx, t.e.cfg.PluginTimeout)
	defer cancel()
	started := time.Now()
	res, err := t.e.deps.Plugins.Call(ctx, s.Plugin, plugins.Input{Contact: t.e.deps.Tag(t.sess.Contact), Vars: t.view(nil)})
	t.e.observePlugin(s.Plugin, started, err)
	if err != nil {
		return t.failStep(s, "plugin "+s.Plugin, err)
	}
	value := res.Value
	if res.Quote != nil {
		q := t.newQuote(res.Quote)
		if s.ValidFor > 0 { // the step's validity wins over the plugin's valid_days
			q.ValidUntil = t.now.Add(s.ValidFor)
		}
		m, ok := res.Value.(map[string]any)
		if !ok {
			m = res.Quote.Map()
		}
		m = maps.Clone(m) // the host's map is not ours to change
		m["id"] = q.ID
		if !q.ValidUntil.IsZero() {
			m["valid_until"] = formatDate(q.ValidUntil, t.lang())
		}
		value = m
	}
	if s.Save != "" {
		t.setVar(s.Save, value)
	}
	return next()
}

// newQuote records a computed quote as the conversation's draft quote.
func (t *turn) newQuote(pq *plugins.Quote) *QuoteRecord {
	q := t.quoteRecord(pq)
	if prev := t.sess.Quote; prev != nil && prev.ProjectID == q.ProjectID && prev.Status == QuoteDraft {
		q.ID, q.Revision, q.Created = prev.ID, prev.Revision+1, prev.Created
	}
	t.sess.Quote = q
	t.quotes = append(t.quotes, q)
	t.projectDirty = true
	t.contactDirty = true
	return q
}

// quoteRecord is a computed quote as a draft record, with the evidence it
// was priced from and each line linked to the value its quantity came from.
func (t *turn) quoteRecord(pq *plugins.Quote) *QuoteRecord {
	q := &QuoteRecord{
		ID:         t.e.deps.NewID("q_"),
		Contact:    t.sess.Contact,
		ProjectID:  t.sess.ProjectID,
		Status:     QuoteDraft,
		Currency:   pq.Currency,
		Subtotal:   pq.Subtotal,
		Discount:   pq.Discount,
		Tax:        pq.Tax,
		Total:      pq.Total,
		TaxRate:    pq.TaxRate,
		Notes:      pq.Notes,
		Plugin:     pq.Plugin,
		SourceHash: pq.SourceHash,
		Inputs:     pq.Inputs,
		Created:    t.now,
		Updated:    t.now,
		Revision:   1,
	}
	if pq.ValidDays > 0 {
		q.ValidUntil = t.now.Add(time.Duration(pq.ValidDays) * 24 * time.Hour)
	}
	for _, it := range pq.Items {
		q.Items = append(q.Items, QuoteItem{Description: it.Description, Quantity: it.Quantity, Unit: it.Unit, UnitPrice: it.UnitPrice, Total: it.Total, Rule: it.Rule})
	}
	if len(t.sess.Evidence) > 0 {
		q.Evidence = maps.Clone(t.sess.Evidence)
		lineSources(q, q.Evidence)
	}
	return q
}

// quoteView is a quote as templates see it (the keys of plugins.Quote.Map),
// for a quote the owner revised.
func quoteView(q *QuoteRecord) map[string]any {
	dec, ok := plugins.CurrencyDecimals(q.Currency)
	if !ok {
		dec = 2
	}
	major := func(minor int64) float64 { return float64(minor) / math.Pow10(dec) }
	items := make([]any, len(q.Items))
	for i, it := range q.Items {
		items[i] = map[string]any{"description": it.Description, "quantity": it.Quantity, "unit": it.Unit,
			"unit_price": major(it.UnitPrice), "total": major(it.Total)}
	}
	m := map[string]any{
		"id": q.ID, "currency": q.Currency, "items": items,
		"subtotal": major(q.Subtotal), "discount": major(q.Discount), "tax": major(q.Tax), "total": major(q.Total),
		"subtotal_minor": q.Subtotal, "discount_minor": q.Discount, "tax_minor": q.Tax, "total_minor": q.Total,
		"tax_rate": q.TaxRate, "notes": q.Notes, "status": q.Status, "revision": q.Revision,
	}
	if !q.ValidUntil.IsZero() {
		m["valid_until"] = q.ValidUntil.Format("2 Jan 2006")
	}
	return m
}

// setQuoteStatus records a status change of the conversation's quote.
func (t *turn) setQuoteStatus(status string) {
	q := t.sess.Quote
	if q == nil || q.Status == status {
		return
	}
	q.Status, q.Updated = status, t.now
	if status == QuoteAccepted || status == QuoteDeclined {
		q.DecidedAt = t.now
	}
	t.sess.SetVar("quote.status", status)
	t.quotes = append(t.quotes, q)
	t.projectDirty = true
	t.contactDirty = true
}
