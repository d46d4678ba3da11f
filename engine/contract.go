package engine

import "github.com/allmyleads/allmyleads/engine/core"

// The engine speaks the contract of package core. These aliases let the
// interpreter and its tests name the contract's types as before; every other
// package (channels, stores, the owner's side) imports core directly.
type (
	Inbound        = core.Inbound
	InboundKind    = core.InboundKind
	Outbound       = core.Outbound
	OutboundKind   = core.OutboundKind
	Option         = core.Option
	Template       = core.Template
	Media          = core.Media
	Location       = core.Location
	Session        = core.Session
	Contact        = core.Contact
	Project        = core.Project
	QuoteRecord    = core.QuoteRecord
	QuoteItem      = core.QuoteItem
	ConsentRecord  = core.ConsentRecord
	OptEvent       = core.OptEvent
	AIRecord       = core.AIRecord
	AuditEntry     = core.AuditEntry
	Turn           = core.Turn
	Store          = core.Store
	Outbox         = core.Outbox
	OutboxItem     = core.OutboxItem
	Inbox          = core.Inbox
	InboxItem      = core.InboxItem
	Delivery       = core.Delivery
	Rights         = core.Rights
	Extractor      = core.Extractor
	ExtractRequest = core.ExtractRequest
	ExtractResult  = core.ExtractResult
	ExtractError   = core.ExtractError
	FieldResult    = core.FieldResult
)

// The contract's message kinds, quote statuses and extraction outcomes.
const (
	InText        = core.InText
	InButton      = core.InButton
	InList        = core.InList
	InImage       = core.InImage
	InDocument    = core.InDocument
	InAudio       = core.InAudio
	InVideo       = core.InVideo
	InSticker     = core.InSticker
	InLocation    = core.InLocation
	InContacts    = core.InContacts
	InReaction    = core.InReaction
	InUnsupported = core.InUnsupported
	InSystem      = core.InSystem

	OutText     = core.OutText
	OutButtons  = core.OutButtons
	OutList     = core.OutList
	OutImage    = core.OutImage
	OutDocument = core.OutDocument
	OutTemplate = core.OutTemplate

	QuoteDraft    = core.QuoteDraft
	QuoteSent     = core.QuoteSent
	QuoteAccepted = core.QuoteAccepted
	QuoteDeclined = core.QuoteDeclined
	QuoteExpired  = core.QuoteExpired
	QuotePaid     = core.QuotePaid
	QuotePending  = core.QuotePending
	QuoteLost     = core.QuoteLost

	OutcomeOK      = core.OutcomeOK
	OutcomeInvalid = core.OutcomeInvalid
	OutcomeRefused = core.OutcomeRefused
	OutcomeTimeout = core.OutcomeTimeout
	OutcomeError   = core.OutcomeError
)

// The contract's errors.
var (
	ErrDuplicate  = core.ErrDuplicate
	ErrNotFound   = core.ErrNotFound
	ErrClosed     = core.ErrClosed
	ErrBadContact = core.ErrBadContact
)
