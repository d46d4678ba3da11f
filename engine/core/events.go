package core

import (
	"context"
	"net/url"
	"time"
)

// This file is the contract of the business hearing what happens: the
// events a turn produces (a new lead, a quote accepted...), the notices
// they become (an alert card on the owner's WhatsApp, a signed webhook to
// the business's systems), the notices that failed for good, and the
// funnel of flow steps the console draws. The engine derives events from
// each turn; a Notifier (the owner's side) turns them into notices; the
// store queues them in the turn's transaction and keeps the funnel's
// counts.

// Event types. The webhook names are the API: a receiver subscribes to
// them. EventHandoffMessage and EventSendFailed are only for the owner's
// alert cards.
const (
	EventLeadCreated     = "lead.created"            // a consented lead with its details
	EventLeadUpdated     = "lead.updated"            // a created lead's details changed
	EventLeadHandoff     = "lead.handoff"            // a person takes over (the customer asked, a failure, the owner)
	EventMessageReceived = "message.received"        // a consented customer wrote
	EventQuoteSent       = "quote.sent"              // a quote (or a new revision) was shown to the customer
	EventQuoteAwaiting   = "quote.awaiting_approval" // a quote is held for the owner's approval
	EventQuoteAccepted   = "quote.accepted"          //
	EventQuoteDeclined   = "quote.declined"          //
	EventQuoteExpired    = "quote.expired"           //
	EventPaymentReceived = "payment.received"        // a quote was paid
	EventContactOptedOut = "contact.opted_out"       // the customer sent STOP
	EventContactErased   = "contact.erased"          // the customer's data was erased; the event carries none
	EventHandoffMessage  = "handoff.message"         // the customer wrote while a person has the conversation (owner cards only)
	EventSendFailed      = "send.failed"             // a message to the customer failed for good (owner cards only)
)

// WebhookEvents lists the event types a webhook may subscribe to.
func WebhookEvents() []string {
	return []string{EventLeadCreated, EventLeadUpdated, EventLeadHandoff, EventMessageReceived, EventQuoteSent,
		EventQuoteAwaiting, EventQuoteAccepted, EventQuoteDeclined, EventQuoteExpired, EventPaymentReceived,
		EventContactOptedOut, EventContactErased}
}

// OwnerEvents lists the event types that can reach the owner's phone as
// alert cards.
func OwnerEvents() []string {
	return []string{EventLeadCreated, EventLeadHandoff, EventHandoffMessage, EventQuoteAwaiting, EventQuoteAccepted,
		EventQuoteDeclined, EventQuoteExpired, EventPaymentReceived, EventSendFailed}
}

// Event is something that happened to a lead, as the engine saw it in a
// turn (or an administrative action outside one). It carries snapshots of
// the records as they are after the turn, so a Notifier can describe the
// lead without reading the store.
type Event struct {
	ID      string       `json:"id"`   // unique; the webhook body's id
	Type    string       `json:"type"` // one of the Event* constants
	Time    time.Time    `json:"time"`
	Contact string       `json:"-"`                 // the lead's URN ("" for EventContactErased)
	Lead    string       `json:"lead,omitempty"`    // the lead id (the Notifier fills it in from Contact when empty)
	Channel string       `json:"channel,omitempty"` // the conversation's channel
	Person  *Contact     `json:"-"`                 // the customer after the turn; nil for EventContactErased
	Project *Project     `json:"-"`                 // the job, when there is one
	Quote   *QuoteRecord `json:"-"`                 // for quote.* and payment.received
	Message *Inbound     `json:"-"`                 // the customer's message, for message.received and handoff.message
	Stage   string       `json:"stage,omitempty"`   // the lead's pipeline stage after the turn
	Reason  string       `json:"reason,omitempty"`  // why: a handoff's cause, a send's failure
}

// Notifier turns events into notices: alert cards to the owner's numbers
// and deliveries to the business's webhooks, each an Outbound with Notice
// set, which the engine queues in the turn's transaction. The owner's side
// implements it; the engine calls it. It must not fail a turn: what it
// cannot build it logs and leaves out.
type Notifier interface {
	Notices(ctx context.Context, events []Event) []Outbound
}

// Notice marks an outbound message that tells someone other than the
// customer about the customer's lead: an alert card on the owner's
// WhatsApp or a webhook delivery. It is queued with the turn that caused
// it but never logged in the customer's transcript; when it fails for
// good the store keeps a FailedNotice the console shows.
type Notice struct {
	Event   string `json:"event"`          // the event type
	EventID string `json:"event_id"`       // the Event's id
	Lead    string `json:"lead,omitempty"` // the lead id
	// Webhook deliveries: the receiver, the delivery id (the same on every
	// attempt) and the JSON body, signed at each attempt.
	URL        string `json:"url,omitempty"`
	DeliveryID string `json:"delivery_id,omitempty"`
	Body       string `json:"body,omitempty"`
}

// WebhookChannel is the outbox channel of webhook deliveries.
const WebhookChannel = "webhook"

// OutWebhook is the kind of a webhook delivery in the outbox: its body is
// Notice.Body.
const OutWebhook OutboundKind = "webhook"

// Lane is what orders the outbox: a contact's messages go out one after
// the other, and a webhook's deliveries about one lead go to each receiver
// in order, independently of the other receivers.
func (o *Outbound) Lane() string {
	if o.Notice != nil && o.Notice.URL != "" {
		return o.Contact + " " + o.Notice.URL
	}
	return o.Contact
}

// FailedNotice is a notice the business never got: a webhook delivery
// refused for 24 hours or an owner's card that could not be sent. It holds
// no personal data: the lead id and the receiver, not the body.
type FailedNotice struct {
	ID       string    `json:"id"`      // the outbox id
	Channel  string    `json:"channel"` // webhook, or the owner's channel
	Event    string    `json:"event"`
	EventID  string    `json:"event_id,omitempty"`
	Lead     string    `json:"lead,omitempty"`
	Target   string    `json:"target"`                // the receiver's URL without its query, or "owner"
	Delivery string    `json:"delivery_id,omitempty"` // X-AllMyLeads-Delivery of a webhook
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
	Queued   time.Time `json:"queued"`
	Failed   time.Time `json:"failed"`
}

// NoticeTarget is what a FailedNotice names as the receiver of a notice:
// the webhook's URL without query or credentials, or "owner".
func NoticeTarget(n *Notice) string {
	if n == nil || n.URL == "" {
		return "owner"
	}
	u, err := url.Parse(n.URL)
	if err != nil {
		return "webhook"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// NoticeLog keeps the notices that failed for good, for the console's
// Needs me. The store writes one in MarkFailed for an item with a Notice;
// engine/store implements it; package owner calls it.
type NoticeLog interface {
	// FailedNotices returns up to limit failed notices, newest first.
	FailedNotices(ctx context.Context, limit int) ([]FailedNotice, error)
	// DismissNotice forgets a failed notice (ErrNotFound when there is none).
	DismissNotice(ctx context.Context, id, actor string) error
}

// Windows says when a contact last wrote, which opens a channel's
// customer-service window (WhatsApp's 24 hours). The owner's alerts read
// it for the owner's own numbers. engine/store implements it.
type Windows interface {
	LastInbound(ctx context.Context, contact string) (time.Time, error)
}

// StepMark is one step of the funnel a turn reached or answered: the
// conversation waited at it when the turn ended (reached), or the customer
// wrote while it waited there (answered).
type StepMark struct {
	Flow     string `json:"flow"`
	Step     string `json:"step"`
	Answered bool   `json:"answered,omitempty"`
}

// FunnelStep is how many conversations reached a waiting step of a flow
// and how many of them answered it; Reached - Answered stopped there (so
// far). Each contact counts once per step.
type FunnelStep struct {
	Flow     string `json:"flow"`
	Step     string `json:"step"`
	Reached  int    `json:"reached"`
	Answered int    `json:"answered"`
}

// Funnel is the store's count of where conversations stop, kept with
// every turn (Turn.Steps), so reading it is cheap on any number of leads.
// engine/store implements it; package owner calls it.
type Funnel interface {
	Funnel(ctx context.Context) ([]FunnelStep, error)
}
