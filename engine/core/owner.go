package core

import (
	"context"
	"errors"
	"time"
)

// This file is the contract of the business's side (package owner): the
// read model of leads the console and the API show, and the records only
// the owner writes (notes, tokens, the owner password, canned replies).
// engine/store implements both interfaces; the owner's side calls them,
// and changes conversations only through the Engine.

// Lead pipeline stages, in the order the console shows them.
const (
	StageNew              = "new"               // greeted, consent or details still to come
	StageConversation     = "in_conversation"   // the bot is collecting the job
	StageWaitingPerson    = "waiting_person"    // handed to a person (AGENT, a question, a failure)
	StageAwaitingApproval = "awaiting_approval" // a quote is held for the owner's approval
	StageQuoted           = "quoted"            // a quote was sent and waits for an answer
	StageAccepted         = "accepted"          // the customer (or the owner: won) accepted
	StagePaid             = "paid"              // a payment was recorded
	StageDeclined         = "declined"          // the customer declined the quote
	StageExpired          = "expired"           // the quote's validity passed unanswered
	StageLost             = "lost"              // the owner marked the lead lost
	StageOptedOut         = "opted_out"         // the customer sent STOP
)

// Stages lists the pipeline stages in order.
func Stages() []string {
	return []string{StageNew, StageConversation, StageWaitingPerson, StageAwaitingApproval, StageQuoted,
		StageAccepted, StagePaid, StageDeclined, StageExpired, StageLost, StageOptedOut}
}

// Quote statuses the owner's side adds to those of records.go.
const (
	QuotePending = "pending_approval" // held until the owner approves it; the customer was told a person checks it
	QuoteLost    = "lost"             // the owner marked the deal lost
)

// Lead list tabs.
const (
	TabNeedsMe = "needs_me" // waiting for a person, awaiting approval, or a failed send
	TabBot     = "bot"      // the bot has the conversation
	TabAll     = "all"
)

// Who has a conversation.
const (
	HandlerBot    = "bot"
	HandlerPerson = "person"
)

// Evidence says where a value of the conversation came from: a photo the
// extractor read (with its confidence), the customer's text or answer, or
// an owner's correction. The engine records it for project variables; a
// quote keeps the evidence it was priced from.
type Evidence struct {
	Source     string    `json:"source"` // photo, text, answer, owner
	Value      any       `json:"value"`
	Confidence float64   `json:"confidence,omitempty"` // 0 to 1, for photo and text readings
	Confirmed  bool      `json:"confirmed,omitempty"`  // the customer confirmed a reading
	Media      []string  `json:"media,omitempty"`      // ids of the photos read
	AIRecord   string    `json:"ai_record,omitempty"`  // the extractor call's record
	Extractor  string    `json:"extractor,omitempty"`  // openai, offline
	Model      string    `json:"model,omitempty"`
	Actor      string    `json:"actor,omitempty"` // who corrected it (owner)
	Time       time.Time `json:"time"`
}

// LeadRow is one line of the lead list: who, what, where it stands and what
// it is worth. The store keeps it up to date with every turn.
type LeadRow struct {
	ID          string    `json:"id"`      // stable id of the lead in the API and console
	Contact     string    `json:"contact"` // URN
	Phone       string    `json:"phone,omitempty"`
	Name        string    `json:"name,omitempty"`
	Email       string    `json:"email,omitempty"`
	Company     string    `json:"company,omitempty"`
	Service     string    `json:"service,omitempty"`
	Language    string    `json:"language,omitempty"`
	Channel     string    `json:"channel,omitempty"`
	Stage       string    `json:"stage"`
	Handler     string    `json:"handler"` // bot, person
	QuoteID     string    `json:"quote_id,omitempty"`
	QuoteStatus string    `json:"quote_status,omitempty"`
	QuoteRev    int       `json:"quote_revision,omitempty"`
	Currency    string    `json:"currency,omitempty"`
	QuoteTotal  int64     `json:"quote_total,omitempty"` // minor units
	ValidUntil  time.Time `json:"quote_valid_until,omitzero"`
	FailedSends int       `json:"failed_sends,omitempty"` // outbound messages that failed since the last one that went out
	LastText    string    `json:"last_text,omitempty"`    // the start of the last message, for the inbox
	LostReason  string    `json:"lost_reason,omitempty"`
	Lost        bool      `json:"lost,omitempty"` // the owner marked it lost
	Created     time.Time `json:"created"`
	Activity    time.Time `json:"activity"` // the last message or action
	LastInbound time.Time `json:"last_inbound,omitzero"`
}

// NeedsMe says whether the lead waits for the owner.
func (r *LeadRow) NeedsMe() bool {
	return r.Stage == StageWaitingPerson || r.Stage == StageAwaitingApproval || r.FailedSends > 0
}

// DisplayName is the name to show: the one given, the profile name, or the
// phone number.
func (r *LeadRow) DisplayName() string {
	switch {
	case r.Name != "":
		return r.Name
	case r.Phone != "":
		return r.Phone
	}
	return URNPath(r.Contact)
}

// WindowUntil is when WhatsApp's 24 h customer-service window closes for
// the lead (zero when the customer never wrote).
func (r *LeadRow) WindowUntil() time.Time {
	if r.LastInbound.IsZero() {
		return time.Time{}
	}
	return r.LastInbound.Add(24 * time.Hour)
}

// LeadStage says where a lead stands from its conversation and latest
// quote; now decides whether an unanswered quote expired.
func LeadStage(s *Session, c *Contact, q *QuoteRecord, lost bool, now time.Time) string {
	switch {
	case (s != nil && s.OptedOut) || (c != nil && c.OptedOut):
		return StageOptedOut
	case lost:
		return StageLost
	case q != nil && q.Status == QuotePaid:
		return StagePaid
	case q != nil && q.Status == QuotePending:
		return StageAwaitingApproval
	case s != nil && s.Handoff:
		return StageWaitingPerson
	case q != nil && (q.Status == QuoteAccepted || q.Status == QuoteDepositPaid):
		return StageAccepted
	case q != nil && q.Status == QuoteDeclined:
		return StageDeclined
	case q != nil && q.Status == QuoteLost:
		return StageLost
	case q != nil && (q.Status == QuoteExpired || (q.Status == QuoteSent && !q.ValidUntil.IsZero() && now.After(q.ValidUntil))):
		return StageExpired
	case q != nil && q.Status == QuoteSent:
		return StageQuoted
	}
	if c != nil {
		switch c.Status {
		case "new", "consented", "":
			return StageNew
		}
	}
	return StageConversation
}

// LeadQuery selects a page of leads, newest activity first.
type LeadQuery struct {
	Tab    string    // needs_me, bot, all ("" = all)
	Stage  string    // one pipeline stage; "" = any
	Since  time.Time // activity on or after
	Until  time.Time // activity before
	Search string    // part of the name, email or phone number, any case
	Cursor string    // from the previous page's NextCursor
	Limit  int       // rows per page; 0 = 50, at most 200
}

// LeadPage is one page of leads and the pipeline's totals.
type LeadPage struct {
	Leads      []LeadRow   `json:"leads"`
	NextCursor string      `json:"next_cursor,omitempty"`
	Stages     []StageStat `json:"stages"`
}

// StageStat is how many leads are at a stage and what their quotes are
// worth, per currency (minor units).
type StageStat struct {
	Stage string           `json:"stage"`
	Count int              `json:"count"`
	Value map[string]int64 `json:"value,omitempty"`
}

// Message directions.
const (
	DirIn  = "in"
	DirOut = "out"
)

// Message statuses. Inbound messages are "received"; outbound ones start
// "queued" and move on as the channel sends them and the provider reports.
const (
	StatusReceived      = "received"
	StatusQueued        = "queued"
	StatusSent          = "sent"
	StatusDelivered     = "delivered"
	StatusRead          = "read"
	StatusFailed        = "failed"
	StatusNeedsTemplate = "needs_template" // held: outside the 24 h window, waits for a template
)

// MessageRecord is one entry of the message log: what was said, by whom,
// when, and for outbound messages how far delivery got.
type MessageRecord struct {
	Direction  string     `json:"direction"`      // in, out
	Channel    string     `json:"channel"`        //
	Contact    string     `json:"contact"`        // URN
	ID         string     `json:"id"`             // the channel's id (in) or the outbox id (out)
	Kind       string     `json:"kind"`           // an InboundKind or OutboundKind
	Text       string     `json:"text,omitempty"` //
	ReplyID    string     `json:"reply_id,omitempty"`
	ReplyTitle string     `json:"reply_title,omitempty"`
	Options    []Option   `json:"options,omitempty"`
	Media      []Media    `json:"media,omitempty"` // references; bytes are in the media store
	Location   *Location  `json:"location,omitempty"`
	Template   *Template  `json:"template,omitempty"`
	ReplyTo    string     `json:"reply_to,omitempty"`
	Author     string     `json:"author,omitempty"` // outbound: the person who wrote it ("" for the bot)
	Time       time.Time  `json:"time"`
	Status     string     `json:"status"`
	ProviderID string     `json:"provider_id,omitempty"`
	Attempts   int        `json:"attempts,omitempty"`
	SentAt     time.Time  `json:"sent_at,omitzero"`
	Delivered  time.Time  `json:"delivered_at,omitzero"`
	ReadAt     time.Time  `json:"read_at,omitzero"`
	FailedAt   time.Time  `json:"failed_at,omitzero"`
	ErrorCode  int        `json:"error_code,omitempty"`
	Error      string     `json:"error,omitempty"`
	History    []Delivery `json:"history,omitempty"` // every status report, in arrival order
}

// Note is a private note an owner wrote about a lead; the customer never
// sees it, but it is part of what an export gives them.
type Note struct {
	ID      string    `json:"id"`
	Contact string    `json:"contact"` // URN
	Author  string    `json:"author"`
	Text    string    `json:"text"`
	Time    time.Time `json:"time"`
}

// LeadDetail is everything the lead page shows.
type LeadDetail struct {
	Lead      LeadRow         `json:"lead"`
	Contact   *Contact        `json:"contact,omitempty"`
	Session   *Session        `json:"conversation,omitempty"`
	Projects  []Project       `json:"projects"`
	Messages  []MessageRecord `json:"messages"`
	Quotes    []QuoteRecord   `json:"quotes"`          // current versions, newest first
	Revisions []QuoteRecord   `json:"quote_revisions"` // earlier versions
	Consents  []ConsentRecord `json:"consents"`
	OptEvents []OptEvent      `json:"opt_events"`
	AI        []AIRecord      `json:"ai_records"`
	Notes     []Note          `json:"notes"`
	Audit     []AuditEntry    `json:"audit"`
}

// Records is the read model of the owner's side: the lead list with its
// filters and cursor, a lead with everything about it, quotes with their
// revisions, and the audit log. engine/store implements it; package owner
// calls it.
type Records interface {
	// LeadPage returns one page of leads.
	LeadPage(ctx context.Context, q LeadQuery) (*LeadPage, error)
	// Lead returns a lead by id, or ErrNotFound.
	Lead(ctx context.Context, id string) (*LeadDetail, error)
	// LeadID returns the lead id of a contact URN.
	LeadID(contact string) string
	// Quote returns a quote and its earlier revisions, or ErrNotFound.
	Quote(ctx context.Context, id string) (*QuoteRecord, []QuoteRecord, error)
	// AllQuotes calls fn for every quote, newest first, for the accountant's export.
	AllQuotes(ctx context.Context, fn func(QuoteRecord) error) error
	// AuditLog returns the audit entries from since on, oldest first.
	AuditLog(ctx context.Context, since time.Time) ([]AuditEntry, error)
}

// Token is an API bearer token as stored: its name and the SHA-256 of its
// secret, never the secret.
type Token struct {
	Name      string    `json:"name"`
	Hash      string    `json:"hash"` // hex SHA-256 of the secret
	ReadOnly  bool      `json:"read_only,omitempty"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// CannedReply is a saved answer an owner inserts with /shortcut.
type CannedReply struct {
	Shortcut string `json:"shortcut"`
	Text     string `json:"text"`
}

// ErrExists is returned when a record with that name exists already.
var ErrExists = errors.New("already exists")

// ErrInvalidValue is wrapped by errors about a value that fails its
// field's rules (a correction that is not an email address...).
var ErrInvalidValue = errors.New("invalid value")

// OwnerStore keeps the records only the owner writes: notes, the lost
// mark, API tokens, the owner password's hash and canned replies, each
// change audited. engine/store implements it; package owner and the
// token and password commands call it.
type OwnerStore interface {
	// AddNote appends a private note to the contact's lead.
	AddNote(ctx context.Context, n Note) error
	// MarkLost marks the lead lost (with a reason) or, with lost false, open again.
	MarkLost(ctx context.Context, contact string, lost bool, reason, actor string) error
	// Audit appends an audit entry.
	Audit(ctx context.Context, a AuditEntry) error

	CreateToken(ctx context.Context, t Token) error // ErrExists for a name in use
	Tokens(ctx context.Context) ([]Token, error)
	TokenByHash(ctx context.Context, hash string) (*Token, error) // ErrNotFound
	RevokeToken(ctx context.Context, name, actor string) error    // ErrNotFound

	OwnerPassword(ctx context.Context) ([]byte, error) // the bcrypt hash, nil when none is set
	SetOwnerPassword(ctx context.Context, hash []byte, actor string) error

	CannedReplies(ctx context.Context) ([]CannedReply, error)
	SetCannedReplies(ctx context.Context, replies []CannedReply, actor string) error
}
