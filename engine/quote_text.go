package engine

import (
	"fmt"
	"math"
	"strings"

	"github.com/allmyleads/allmyleads/flows"
)

// formatQuote renders a quote's lines and totals for a chat message, in
// the customer's language: its labels (texts quote_subtotal...), numbers,
// money and date. A line whose quantity was read from dimensions or
// another unit says how: "40 m² (4 m × 10 m)". reads are the
// conversation's readings.
func (t *turn) formatQuote(q *QuoteRecord, reads []string) string {
	var b strings.Builder
	money := func(minor int64) string { return t.money(minor, q.Currency) }
	label := func(src string, extra map[string]any) string { return t.render(t.e.text(src), extra) }
	tx := t.e.cfg.Texts
	for _, it := range q.Items {
		unit := ""
		if it.Unit != "" {
			unit = " " + it.Unit
		}
		if read := readingFor(it, reads); read != "" {
			unit += " (" + read + ")"
		}
		fmt.Fprintf(&b, "• %s: %s%s × %s = %s\n", it.Description, t.number(it.Quantity), unit, money(it.UnitPrice), money(it.Total))
	}
	fmt.Fprintf(&b, "%s: %s\n", label(tx.QuoteSubtotal, nil), money(q.Subtotal))
	if q.Discount != 0 {
		fmt.Fprintf(&b, "%s: −%s\n", label(tx.QuoteDiscount, nil), money(q.Discount))
	}
	if q.Tax != 0 {
		rate := t.number(math.Round(q.TaxRate*10000) / 100)
		fmt.Fprintf(&b, "%s: %s\n", label(tx.QuoteTax, map[string]any{"rate": rate}), money(q.Tax))
	}
	fmt.Fprintf(&b, "*%s: %s*", label(tx.QuoteTotal, nil), money(q.Total))
	if !q.ValidUntil.IsZero() {
		fmt.Fprintf(&b, "\n%s", label(tx.QuoteValidUntil, map[string]any{"date": formatDate(q.ValidUntil, t.lang())}))
	}
	if q.Notes != "" {
		fmt.Fprintf(&b, "\n%s", q.Notes)
	}
	return b.String()
}

// titles puts a two-option question's titles in the customer's language:
// the flow's translation of the step's own titles, else the engine's of
// its defaults.
func (t *turn) titles(s *flows.Step, opts []Option) []Option {
	lang := t.lang()
	if lang == flows.SourceLanguage || len(opts) != 2 {
		return opts
	}
	for i, key := range []string{"accept_title", "decline_title"} {
		if tr := t.e.deps.Flows.Title(t.sess.Flow, s, key, lang); tr != "" {
			opts[i].Title = tr
		} else {
			opts[i].Title = t.word(opts[i].Title)
		}
	}
	return opts
}

// fieldLabel is how the customer reads an extract field's name in a
// confirmation: the translation of its description, or its description.
func (t *turn) fieldLabel(s *flows.Step, f flows.Field) string {
	if tr := t.e.deps.Flows.FieldLabel(t.sess.Flow, s, f.Name, t.lang()); tr != "" {
		return tr
	}
	return fieldLabel(f)
}
