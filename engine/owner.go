package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/plugins"
)

// The owner's actions on a conversation: take over, reply, hand back
// (Release), revise, approve and settle quotes. Each is a turn like a
// customer's message: one contact at a time, one transaction, audited with
// the person who did it, so it never races a message from the customer.

// Evidence is where a value came from (core.Evidence).
type Evidence = core.Evidence

// Errors the owner's actions return, for the console to explain.
var (
	ErrNoConversation = errors.New("no conversation with this contact")
	ErrOptedOut       = errors.New("the contact opted out: nothing may be sent")
	ErrWindowClosed   = errors.New("the 24-hour window is closed: only an approved template may be sent")
	ErrNoQuote        = errors.New("no such quote in the conversation")
	ErrQuoteState     = errors.New("the quote cannot change in its status")
	ErrBadRevision    = errors.New("invalid quote revision")
	ErrEmptyMessage   = errors.New("the message is empty")
)

// ApprovalRule says which quotes wait for the owner's approval before the
// customer sees them (the business setting quote_approval).
type ApprovalRule struct {
	Always        bool    // every quote
	Above         int64   // quotes whose total is above this, in minor units; 0 = no limit
	LowConfidence float64 // quotes priced from a reading less sure than this (0 to 1) the customer did not confirm; 0 = never
}

// Needs says why a quote needs approval, or "" when it may go out.
func (r ApprovalRule) Needs(q *QuoteRecord) string {
	switch {
	case r.Always:
		return "every quote is checked before it is sent"
	case r.Above > 0 && q.Total > r.Above:
		return fmt.Sprintf("the total %s is above %s", plugins.FormatMoney(q.Total, q.Currency), plugins.FormatMoney(r.Above, q.Currency))
	}
	if r.LowConfidence > 0 {
		for path, ev := range q.Evidence {
			if (ev.Source == "photo" || ev.Source == "text") && !ev.Confirmed && ev.Confidence < r.LowConfidence {
				return fmt.Sprintf("%s was read with confidence %.2f (below %.2f)", path, ev.Confidence, r.LowConfidence)
			}
		}
	}
	return ""
}

// windowOf is how long after the customer's last message the channel lets
// the business write freely (WhatsApp's 24 hours), as the channel declares.
func (e *Engine) windowOf(channel string) time.Duration {
	return e.capabilities(channel).Window
}

// ownerTurn loads a contact's conversation for an owner's action.
func (e *Engine) ownerTurn(ctx context.Context, contact string) (*turn, func(), error) {
	contact, err := core.NormalizeURN(contact)
	if err != nil {
		return nil, nil, err
	}
	unlock := e.lock(contact)
	sess, err := e.deps.Store.Session(ctx, contact)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	if sess == nil {
		unlock()
		return nil, nil, ErrNoConversation
	}
	t := e.newTurn(ctx, sess, nil)
	t.contactDirty = true
	return t, unlock, nil
}

func (t *turn) auditOwner(actor, action, detail string) {
	t.audit = append(t.audit, AuditEntry{Time: t.now, Actor: actor, Action: action, Contact: t.e.deps.Tag(t.sess.Contact), Detail: detail})
}

// TakeOver puts a person in charge of the contact: the bot stays silent
// until Release. The customer is not told (the person's reply says it).
func (e *Engine) TakeOver(ctx context.Context, contact, actor string) error {
	t, unlock, err := e.ownerTurn(ctx, contact)
	if err != nil {
		return err
	}
	defer unlock()
	if t.sess.Handoff {
		return nil
	}
	t.handoff()
	t.auditOwner(actor, "takeover", "")
	_, err = e.commit(t)
	return err
}

// Reply sends a person's message (text, image, document or template) to
// the contact on the channel they last wrote from. A person replying takes
// the conversation over. Outside the channel's window only a template may
// be sent (ErrWindowClosed). Media with bytes are stored with the turn. It
// returns the queued message with its outbox id.
func (e *Engine) Reply(ctx context.Context, contact, actor string, out Outbound) (Outbound, error) {
	t, unlock, err := e.ownerTurn(ctx, contact)
	if err != nil {
		return Outbound{}, err
	}
	defer unlock()
	switch {
	case t.sess.OptedOut:
		return Outbound{}, ErrOptedOut
	case out.Kind == "":
		out.Kind = OutText
	}
	switch out.Kind {
	case OutText:
		if strings.TrimSpace(out.Text) == "" {
			return Outbound{}, ErrEmptyMessage
		}
	case OutImage, OutDocument:
		if out.Media == nil || (len(out.Media.Data) == 0 && out.Media.ID == "" && out.Media.URL == "") {
			return Outbound{}, ErrEmptyMessage
		}
	case OutTemplate:
		if out.Template == nil || out.Template.Name == "" {
			return Outbound{}, ErrEmptyMessage
		}
	default:
		return Outbound{}, fmt.Errorf("reply: %w: kind %q", ErrEmptyMessage, out.Kind)
	}
	if w := e.windowOf(t.channel); w > 0 && out.Kind != OutTemplate && t.now.After(t.sess.LastInbound.Add(w)) {
		return Outbound{}, ErrWindowClosed
	}
	if out.Media != nil && len(out.Media.Data) > 0 {
		out.Media.ID, out.Media.Size = mediaID(out.Media.Data), len(out.Media.Data)
		t.media = append(t.media, *out.Media)
	}
	if !t.sess.Handoff {
		t.handoff()
		t.auditOwner(actor, "takeover", "by replying")
	}
	out.Author = actor
	t.send(out)
	t.personWrote() // never_silent.go: the person answered; no acknowledgement over them
	t.auditOwner(actor, "reply", string(out.Kind))
	queued, err := e.commit(t)
	if err != nil {
		return Outbound{}, err
	}
	return queued[len(queued)-1], nil
}

// QuoteRevision is an owner's change to the conversation's quote. Either
// Set corrects job facts (project.* variables, e.g. project.estimate.area_m2)
// and the plugin that priced the quote prices it again, or the fields
// replace the quote's own (nil keeps them) and the host computes the
// totals. Send shows the new revision to the customer, who can accept it
// in the chat; the earlier one can no longer be accepted.
type QuoteRevision struct {
	Items      []QuoteItem    // lines: description, quantity, unit, unit price (minor units)
	Discount   *int64         // an amount off the subtotal, minor units
	TaxRate    *float64       // in [0, 1)
	ValidUntil *time.Time     //
	Notes      *string        //
	Set        map[string]any // corrected variables, priced again by the plugin
	Send       bool
}

// ReviseQuote makes a new revision of the conversation's quote. A quote
// held for approval that is revised and sent is approved by it.
func (e *Engine) ReviseQuote(ctx context.Context, contact, quoteID, actor string, r QuoteRevision) (*QuoteRecord, error) {
	t, unlock, err := e.ownerTurn(ctx, contact)
	if err != nil {
		return nil, err
	}
	defer unlock()
	q := t.sess.Quote
	if q == nil || q.ID != quoteID {
		return nil, ErrNoQuote
	}
	if q.Status == QuotePaid {
		return nil, fmt.Errorf("%w: it is paid", ErrQuoteState)
	}
	var nq *QuoteRecord
	if len(r.Set) > 0 {
		nq, err = e.reprice(t, q, r.Set, actor)
	} else {
		nq, err = editQuote(q, r)
	}
	if err != nil {
		return nil, err
	}
	nq.ID, nq.Contact, nq.ProjectID, nq.Created = q.ID, q.Contact, q.ProjectID, q.Created
	nq.Revision, nq.Updated, nq.DecidedBy = q.Revision+1, t.now, actor
	nq.Status, nq.DecidedAt, nq.HeldReason = QuoteDraft, time.Time{}, ""
	t.sess.Quote = nq
	t.setVar("quote", quoteView(nq))
	t.quotes = append(t.quotes, nq)
	t.projectDirty = true
	detail := fmt.Sprintf("quote %s revision %d", nq.ID, nq.Revision)
	if r.Send {
		if err := e.sendQuote(t, nq); err != nil {
			return nil, err
		}
		detail += ", sent"
	}
	t.auditOwner(actor, "quote_revise", detail)
	if _, err := e.commit(t); err != nil {
		return nil, err
	}
	return nq, nil
}

// reprice corrects variables and calls the quote's plugin again.
func (e *Engine) reprice(t *turn, q *QuoteRecord, set map[string]any, actor string) (*QuoteRecord, error) {
	if e.deps.Plugins == nil || q.Plugin == "" {
		return nil, fmt.Errorf("%w: no plugin to price it again", ErrBadRevision)
	}
	for path, v := range set {
		if !strings.HasPrefix(path, "project.") || strings.Contains(path, "..") || strings.HasSuffix(path, ".") {
			return nil, fmt.Errorf("%w: set: only project.* values can be corrected, not %q", ErrBadRevision, path)
		}
		t.setVar(path, v)
		t.noteEvidence(path, Evidence{Source: "owner", Value: v, Actor: actor})
	}
	ctx, cancel := context.WithTimeout(t.ctx, e.cfg.PluginTimeout)
	defer cancel()
	res, err := e.deps.Plugins.Call(ctx, q.Plugin, plugins.Input{Contact: e.deps.Tag(t.sess.Contact), Vars: t.view(nil)})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadRevision, q.Plugin, err)
	}
	if res.Quote == nil {
		return nil, fmt.Errorf("%w: %s returned no quote", ErrBadRevision, q.Plugin)
	}
	return t.quoteRecord(res.Quote), nil
}

// editQuote applies an owner's edits and computes the totals as the host
// computes a plugin's.
func editQuote(q *QuoteRecord, r QuoteRevision) (*QuoteRecord, error) {
	nq := *q
	nq.Items = append([]QuoteItem(nil), q.Items...)
	if r.Items != nil {
		if len(r.Items) == 0 {
			return nil, fmt.Errorf("%w: items: a quote needs at least one line", ErrBadRevision)
		}
		nq.Items = nil
		for i, it := range r.Items {
			it.Description = strings.TrimSpace(it.Description)
			if it.Description == "" {
				return nil, fmt.Errorf("%w: items[%d].description: required", ErrBadRevision, i)
			}
			total, ok := plugins.LineTotal(it.Quantity, it.UnitPrice)
			if !ok {
				return nil, fmt.Errorf("%w: items[%d]: quantity and unit price must be non-negative numbers", ErrBadRevision, i)
			}
			it.Total = total
			// A line whose quantity the owner changed no longer rests on
			// the reading it came from.
			if i < len(q.Items) && q.Items[i].Quantity != it.Quantity {
				it.Source = ""
			}
			nq.Items = append(nq.Items, it)
		}
	}
	if r.TaxRate != nil {
		if *r.TaxRate < 0 || *r.TaxRate >= 1 || math.IsNaN(*r.TaxRate) {
			return nil, fmt.Errorf("%w: tax_rate: want a fraction in [0, 1)", ErrBadRevision)
		}
		nq.TaxRate = *r.TaxRate
	}
	if r.ValidUntil != nil {
		nq.ValidUntil = *r.ValidUntil
	}
	if r.Notes != nil {
		nq.Notes = strings.TrimSpace(*r.Notes)
	}
	nq.Subtotal = 0
	for _, it := range nq.Items {
		nq.Subtotal += it.Total
	}
	discount := q.Discount
	if r.Discount != nil {
		discount = *r.Discount
	}
	if discount < 0 || discount > nq.Subtotal {
		return nil, fmt.Errorf("%w: discount: want an amount between 0 and the subtotal", ErrBadRevision)
	}
	nq.Discount = discount
	tax, ok := plugins.RateAmount(nq.TaxRate, nq.Subtotal-nq.Discount)
	if !ok {
		return nil, fmt.Errorf("%w: tax_rate: the tax is too large", ErrBadRevision)
	}
	nq.Tax = tax
	nq.Total = nq.Subtotal - nq.Discount + nq.Tax
	return &nq, nil
}

// ApproveQuote sends a quote held for approval to the customer.
func (e *Engine) ApproveQuote(ctx context.Context, contact, quoteID, actor string) (*QuoteRecord, error) {
	t, unlock, err := e.ownerTurn(ctx, contact)
	if err != nil {
		return nil, err
	}
	defer unlock()
	q := t.sess.Quote
	if q == nil || q.ID != quoteID {
		return nil, ErrNoQuote
	}
	if q.Status != QuotePending {
		return nil, fmt.Errorf("%w: it is %s, not waiting for approval", ErrQuoteState, q.Status)
	}
	q.DecidedBy, q.HeldReason = actor, ""
	if err := e.sendQuote(t, q); err != nil {
		return nil, err
	}
	t.auditOwner(actor, "quote_approve", "quote "+q.ID)
	if _, err := e.commit(t); err != nil {
		return nil, err
	}
	return q, nil
}

// Quote outcomes an owner records.
const (
	OutcomeWon  = "won"
	OutcomeLost = "lost"
	OutcomePaid = "paid"
)

// SettleQuote records what became of the conversation's quote: won (the
// customer accepted outside the chat), lost (with a reason) or paid (with
// the payment's reference).
func (e *Engine) SettleQuote(ctx context.Context, contact, quoteID, actor, outcome, reason, ref string) (*QuoteRecord, error) {
	t, unlock, err := e.ownerTurn(ctx, contact)
	if err != nil {
		return nil, err
	}
	defer unlock()
	q := t.sess.Quote
	if q == nil || q.ID != quoteID {
		return nil, ErrNoQuote
	}
	if q.Status == QuotePaid {
		return nil, fmt.Errorf("%w: it is paid already", ErrQuoteState)
	}
	switch outcome {
	case OutcomeWon:
		q.Status, q.DecidedAt = QuoteAccepted, t.now
	case OutcomeLost:
		q.Status, q.DecidedAt, q.LostReason = QuoteLost, t.now, strings.TrimSpace(reason)
	case OutcomePaid:
		if q.Status == QuoteDraft || q.Status == QuotePending || q.Status == QuoteDeclined || q.Status == QuoteLost {
			return nil, fmt.Errorf("%w: a %s quote cannot be paid", ErrQuoteState, q.Status)
		}
		ref = strings.TrimSpace(ref)
		if ref == "" {
			ref = "recorded by " + actor
		}
		q.Status, q.PaymentRef, q.PaidAt = QuotePaid, ref, t.now
	default:
		return nil, fmt.Errorf("%w: outcome %q (want won, lost or paid)", ErrBadRevision, outcome)
	}
	q.Updated, q.DecidedBy = t.now, actor
	t.sess.SetVar("quote.status", q.Status)
	t.quotes = append(t.quotes, q)
	t.projectDirty = true
	t.auditOwner(actor, "quote_"+outcome, "quote "+q.ID+detailOf(reason, ref))
	if _, err := e.commit(t); err != nil {
		return nil, err
	}
	return q, nil
}

func detailOf(reason, ref string) string {
	switch {
	case reason != "":
		return ": " + reason
	case ref != "":
		return " (" + ref + ")"
	}
	return ""
}

// sendQuote shows a quote to the customer from the conversation's
// confirm_quote step and waits there for the answer, the bot in charge.
func (e *Engine) sendQuote(t *turn, q *QuoteRecord) error {
	if t.sess.OptedOut {
		return ErrOptedOut
	}
	flow, s := e.quoteStep(t.sess)
	if s == nil {
		return fmt.Errorf("%w: no confirm_quote step in the flows to ask the customer", ErrQuoteState)
	}
	if w := e.windowOf(t.channel); w > 0 && t.now.After(t.sess.LastInbound.Add(w)) {
		return ErrWindowClosed
	}
	t.sess.Flow, t.sess.Step = flow, s.ID
	t.sess.Ended, t.sess.Attempts, t.sess.Scratch, t.sess.Pending = false, 0, nil, ""
	t.sess.Handoff = false
	t.showQuote(s, q)
	t.sess.Waiting = true
	return nil
}

// quoteStep is the confirm_quote step the conversation waits at, else
// the first one of its flow, else of any flow.
func (e *Engine) quoteStep(sess *Session) (string, *flows.Step) {
	if f := e.deps.Flows.Flow(sess.Flow); f != nil {
		if s := f.Step(sess.Step); s != nil && s.Kind == flows.KindConfirmQuote {
			return f.Name, s
		}
		for _, s := range f.Steps {
			if s.Kind == flows.KindConfirmQuote {
				return f.Name, s
			}
		}
	}
	for _, name := range e.deps.Flows.Order {
		for _, s := range e.deps.Flows.Flow(name).Steps {
			if s.Kind == flows.KindConfirmQuote {
				return name, s
			}
		}
	}
	return "", nil
}

// noteEvidence records where a project value came from.
func (t *turn) noteEvidence(path string, ev Evidence) {
	if !strings.HasPrefix(path, "project.") {
		return
	}
	if t.sess.Evidence == nil {
		t.sess.Evidence = map[string]Evidence{}
	}
	ev.Time = t.now
	t.sess.Evidence[path] = ev
}

// confirmEvidence marks a reading the customer confirmed.
func (t *turn) confirmEvidence(path string) {
	if ev, ok := t.sess.Evidence[path]; ok {
		ev.Confirmed = true
		t.sess.Evidence[path] = ev
	}
}

// extractEvidence is the evidence of one field an extractor read.
func extractEvidence(req ExtractRequest, rec AIRecord, r FieldResult) Evidence {
	ev := Evidence{Source: "text", Value: r.Value, Confidence: r.Confidence, AIRecord: rec.ID, Extractor: rec.Extractor, Model: rec.Model}
	for _, m := range req.Images {
		ev.Media = append(ev.Media, m.ID)
	}
	if len(ev.Media) > 0 {
		ev.Source = "photo"
	}
	return ev
}

// lineSources links each quote line to the evidence its quantity came
// from: a numeric value equal to the quantity (as the plugin rounds it).
func lineSources(q *QuoteRecord, ev map[string]Evidence) {
	for i := range q.Items {
		it := &q.Items[i]
		for path, e := range ev {
			v, ok := e.Value.(float64)
			if !ok {
				continue
			}
			if math.Abs(math.Round(v*10)/10-it.Quantity) < 1e-9 || math.Abs(v-it.Quantity) < 1e-9 {
				if it.Source == "" || path < it.Source {
					it.Source = path
				}
			}
		}
	}
}
