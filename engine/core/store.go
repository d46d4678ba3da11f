package core

import (
	"context"
	"errors"
	"time"
)

// ErrDuplicate is returned by Store.Commit when the turn's inbound message
// was already handled: the turn changed nothing.
var ErrDuplicate = errors.New("duplicate inbound message")

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// Store keeps every piece of state the engine needs. engine/store implements
// it on bbolt; nothing outside that package may assume bbolt.
type Store interface {
	// Session returns the contact's session, or nil and no error when the
	// contact has none yet.
	Session(ctx context.Context, contact string) (*Session, error)

	// Commit applies one turn atomically: the inbound id is marked seen, the
	// inbound message logged (with its media), the session saved with its
	// timers indexed (see Timers), records updated and outbound messages
	// appended to the outbox. When the inbound
	// id was seen before it returns ErrDuplicate and changes nothing.
	// Concurrent commits of different contacts share one fsync.
	Commit(ctx context.Context, t *Turn) error

	// Media returns a stored image or file with its bytes.
	Media(ctx context.Context, id string) (*Media, error)

	// Seen says whether an inbound message id was already handled, so the
	// engine skips plugin and extractor work for a duplicate delivery.
	Seen(ctx context.Context, channel, id string) (bool, error)
}

// Turn is everything one handled message changes, written in one transaction.
type Turn struct {
	Inbound  *Inbound   // nil for a turn the business started (e.g. a release from handoff)
	Session  *Session   // the session after the turn
	Outbound []Outbound // appended to the outbox in order; the store assigns ids

	Contact   *Contact        // upserted when set
	Project   *Project        // upserted when set
	Quotes    []*QuoteRecord  // upserted (a changed quote keeps its earlier revisions)
	Consents  []ConsentRecord // appended, or updated by ID (withdrawal)
	OptEvents []OptEvent      // appended
	AI        []AIRecord      // appended
	Audit     []AuditEntry    // appended
	// Media are files to keep with their bytes (a document the turn sends,
	// photos); the store fills in ID, SHA256 and Size (ID = hex SHA-256).
	Media []Media
	// Erase asks the store to erase the contact's personal data in the same
	// transaction (DELETE MY DATA in the chat), before this turn's outbound
	// messages are queued, so the confirmation is sent and a crash cannot
	// leave a customer told "deleted" with nothing deleted. Session and
	// Contact are then not written.
	Erase bool
	// Payments are appended (a payment through a provider, recorded with
	// the quote's new status in Quotes). A turn carrying a payment whose ID
	// is stored already is a duplicate: Commit returns ErrDuplicate and
	// changes nothing, so a provider's retried event is recorded once.
	Payments []PaymentRecord
	// Notices are messages about the contact to others (the owner's alert
	// cards, webhook deliveries; Outbound.Notice is set): queued in their
	// channels' outboxes in the same transaction, never logged in the
	// contact's transcript. An erasing turn queues them after the erasure.
	Notices []Outbound
	// Steps are the funnel's marks of this turn: the waiting step it
	// reached, the one the customer answered (see Funnel).
	Steps []StepMark
	// Once makes the turn conditional: when the contact had a turn with the
	// same Once key committed less than Within before now, Commit returns
	// ErrDuplicate and changes nothing (at most one re-engagement template
	// a day, decided in the same transaction that queues it).
	Once *Once
}

// Once is a turn that may happen at most once per key and contact within a
// period.
type Once struct {
	Key    string
	Within time.Duration
}

// OutboxItem is an outbound message waiting in, or taken from, the outbox.
type OutboxItem struct {
	Outbound
	Attempts  int       `json:"attempts"`
	NotBefore time.Time `json:"not_before,omitzero"` // retry backoff
	// InFlight is when a send of the item began that may have reached the
	// provider (MarkInFlight) and whose outcome is not recorded yet: after a
	// crash the sender waits for the provider's status report before it
	// sends such an item again.
	InFlight time.Time `json:"in_flight,omitzero"`
}

// Outbox is what a channel's sender needs of the store.
type Outbox interface {
	// PendingOutbound returns up to limit unsent messages of the channel, oldest
	// first, whose NotBefore has passed.
	PendingOutbound(ctx context.Context, channel string, limit int) ([]OutboxItem, error)
	// MarkSent records the provider's message id and removes the item from the outbox.
	MarkSent(ctx context.Context, id, providerID string, at time.Time) error
	// MarkInFlight durably notes that a send of the item begins at at, before
	// the request leaves: a crash before MarkSent leaves the mark, so the
	// next process can tell a maybe-sent item from a never-sent one. A zero
	// at clears the mark (the provider answered that it refused the send).
	MarkInFlight(ctx context.Context, id string, at time.Time) error
	// MarkRetry keeps the item in the outbox until notBefore, counting the
	// attempt, and clears its in-flight mark (the provider refused it).
	MarkRetry(ctx context.Context, id string, notBefore time.Time, reason string) error
	// MarkFailed removes the item from the outbox and records why on the message.
	// held says the message waits for a template (outside the 24 h window).
	MarkFailed(ctx context.Context, id string, code int, reason string, held bool) error
	// UpdateDelivery records a provider's delivery status for the message with
	// that provider id. Statuses only move forward: sent < delivered < read;
	// failed is recorded whenever it arrives.
	UpdateDelivery(ctx context.Context, providerID string, d Delivery) error
}

// Delivery is a delivery status report for one outbound message.
type Delivery struct {
	Status    string    `json:"status"` // sent, delivered, read, failed
	Time      time.Time `json:"time"`
	ErrorCode int       `json:"error_code,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// InboxItem is one raw webhook payload waiting to be processed.
type InboxItem struct {
	ID       string
	Channel  string
	Body     []byte
	Received time.Time
	Attempts int // processing attempts begun (BeginInbox), by this process or one that died
}

// Inbox is the durable queue of raw webhook payloads: written before the
// webhook is answered, drained by workers, read again after a crash.
type Inbox interface {
	AddInbox(ctx context.Context, channel string, body []byte, received time.Time) (string, error)
	PendingInbox(ctx context.Context, limit int) ([]InboxItem, error)
	DoneInbox(ctx context.Context, id string) error
	// BeginInbox durably counts a processing attempt of a payload before it
	// is handled and returns the attempts so far, this one included, so a
	// payload whose handling kills the process is recognised after a few
	// restarts (a poison message) instead of killing every restart.
	BeginInbox(ctx context.Context, id string) (int, error)
	// Seen says whether an inbound message id was already handled, so a
	// channel can skip work (media downloads) for duplicates.
	Seen(ctx context.Context, channel, id string) (bool, error)
}

// ErrClosed is returned for work submitted after shutdown began.
var ErrClosed = errors.New("engine: closed")

// LaneInbox is an Inbox that several processes share (the Postgres store).
// A payload is stored with the contacts its messages are from, so one
// contact's payloads are handed out in the order they arrived whichever
// process received them: a process takes a payload only when the
// contact's earlier ones are done or taken by the same process.
// PendingInbox then returns the payloads this process holds.
type LaneInbox interface {
	Inbox
	// AddInboxFor stores a payload like AddInbox, naming the contacts
	// (URNs) its messages are from. mine says the caller may process it at
	// once; when false, a process that holds an earlier payload of one of
	// those contacts (or any process, once it is free) takes it in turn.
	AddInboxFor(ctx context.Context, channel string, body []byte, received time.Time, contacts []string) (id string, mine bool, err error)
}

// ContactLocker is implemented by a store that several processes share
// (the Postgres store). The engine holds a contact's lock from loading its
// session to committing its turn, so no other process runs a turn of that
// contact meanwhile; a store used by one process need not implement it
// (the engine's own lock is enough). The returned context carries the
// lock: the turn's Commit, made with it, commits inside the lock. unlock
// must be called once, after that Commit (or instead of it).
type ContactLocker interface {
	LockContact(ctx context.Context, contact string) (locked context.Context, unlock func(), err error)
}
