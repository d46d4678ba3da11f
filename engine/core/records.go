package core

import "time"

// Contact is a customer as the business knows them. Every personal field is
// sealed at rest; the store keys contacts by a keyed hash of URN.
type Contact struct {
	URN         string `json:"urn"`             // the contact's identity (see NormalizeURN)
	Phone       string `json:"phone,omitempty"` // E.164, for a contact with a phone number
	ProfileName string `json:"profile_name,omitempty"`
	Name        string `json:"name,omitempty"`
	Email       string `json:"email,omitempty"`
	Company     string `json:"company,omitempty"`
	Address     string `json:"address,omitempty"`
	Language    string `json:"language,omitempty"` // ISO 639-1: the language the customer is answered in (asked for or read from their messages)
	Status      string `json:"status"`             // new, consented, no_consent, consent_withdrawn, details, quoted, accepted, declined, opted_out, handoff
	OptedOut    bool   `json:"opted_out,omitempty"`
	// NoMarketing is when the contact objected to direct marketing (NO
	// MARKETING): no marketing message is sent to them from then on,
	// whatever else they agreed to (MarketingAllowed).
	NoMarketing time.Time `json:"no_marketing,omitzero"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
	LastInbound time.Time `json:"last_inbound,omitzero"`
}

// Project is the job a contact asks a quote for.
type Project struct {
	ID           string         `json:"id"`
	Contact      string         `json:"contact"` // URN
	Service      string         `json:"service,omitempty"`
	Description  string         `json:"description,omitempty"`
	Requirements map[string]any `json:"requirements,omitempty"` // the rest of the project.* variables
	Photos       []Media        `json:"photos,omitempty"`       // references; bytes are in the media bucket
	Extracted    map[string]any `json:"extracted,omitempty"`
	Status       string         `json:"status"` // open, quoted, accepted, declined, completed
	Created      time.Time      `json:"created"`
	Updated      time.Time      `json:"updated"`
	Completed    time.Time      `json:"completed,omitzero"`
}

// Quote statuses.
const (
	QuoteDraft    = "draft"
	QuoteSent     = "sent"
	QuoteAccepted = "accepted"
	QuoteDeclined = "declined"
	QuoteExpired  = "expired"
	QuotePaid     = "paid"
)

// QuoteRecord is a priced quote as shown to a contact, with its status.
type QuoteRecord struct {
	ID         string         `json:"id"`
	Contact    string         `json:"contact"` // URN
	ProjectID  string         `json:"project_id,omitempty"`
	Status     string         `json:"status"`
	Currency   string         `json:"currency"`
	Items      []QuoteItem    `json:"items"`
	Subtotal   int64          `json:"subtotal"` // minor units
	Discount   int64          `json:"discount"`
	Tax        int64          `json:"tax"`
	Total      int64          `json:"total"`
	TaxRate    float64        `json:"tax_rate,omitempty"`
	Notes      string         `json:"notes,omitempty"`
	ValidUntil time.Time      `json:"valid_until,omitzero"`
	Plugin     string         `json:"plugin"`      // FILE.FUNCTION that priced it
	SourceHash string         `json:"source_hash"` // hash of the plugin source
	Inputs     map[string]any `json:"inputs,omitempty"`
	PaymentRef string         `json:"payment_ref,omitempty"`
	Created    time.Time      `json:"created"`
	Updated    time.Time      `json:"updated"`
	DecidedAt  time.Time      `json:"decided_at,omitzero"`
	PaidAt     time.Time      `json:"paid_at,omitzero"`
	Revision   int            `json:"revision"`

	// Evidence is where the values the plugin priced from came from (a
	// photo's reading and its confidence, an answer, an owner's correction),
	// by variable path.
	Evidence   map[string]Evidence `json:"evidence,omitempty"`
	HeldReason string              `json:"held_reason,omitempty"` // why the quote waits for approval
	DecidedBy  string              `json:"decided_by,omitempty"`  // the person who approved, won, lost or revised it
	LostReason string              `json:"lost_reason,omitempty"`
}

// QuoteItem is one line of a quote, in minor units.
type QuoteItem struct {
	Description string  `json:"description"`
	Quantity    float64 `json:"quantity"`
	Unit        string  `json:"unit,omitempty"`
	UnitPrice   int64   `json:"unit_price"`
	Total       int64   `json:"total"`
	Source      string  `json:"source,omitempty"` // the variable the quantity came from (see QuoteRecord.Evidence)
	Rule        string  `json:"rule,omitempty"`   // the plugin's rule that priced the line
}

// ConsentRecord is what a contact agreed to (or declined), when, and the
// words they were shown.
type ConsentRecord struct {
	ID            string    `json:"id"`
	Contact       string    `json:"contact"`
	Purpose       string    `json:"purpose"`
	Text          string    `json:"text"`
	PolicyVersion string    `json:"policy_version,omitempty"`
	Channel       string    `json:"channel"`
	Granted       bool      `json:"granted"`
	Time          time.Time `json:"time"`
	Withdrawn     time.Time `json:"withdrawn,omitzero"`
	// AgeConfirmed is the minimum age the customer confirmed being over
	// in the same answer (the consent question asks it), 0 when it did not.
	AgeConfirmed int `json:"age_confirmed,omitempty"`
}

// OptEvent is one opt-out or opt-in of a contact.
type OptEvent struct {
	Contact string    `json:"contact"`
	OptIn   bool      `json:"opt_in"` // false: opt-out
	Keyword string    `json:"keyword,omitempty"`
	Channel string    `json:"channel"`
	Time    time.Time `json:"time"`
}

// AIRecord is one extractor call, kept for a year as the privacy policy says.
type AIRecord struct {
	ID            string                 `json:"id"`
	Contact       string                 `json:"contact"`
	Time          time.Time              `json:"time"`
	Extractor     string                 `json:"extractor"` // openai, offline
	Model         string                 `json:"model,omitempty"`
	PromptVersion string                 `json:"prompt_version,omitempty"`
	Latency       time.Duration          `json:"latency"`
	PromptTokens  int                    `json:"prompt_tokens,omitempty"`
	OutputTokens  int                    `json:"output_tokens,omitempty"`
	Fields        map[string]FieldResult `json:"fields,omitempty"`
	Outcome       string                 `json:"outcome"` // ok, invalid, refused, timeout, error
	Error         string                 `json:"error,omitempty"`
}

// AuditEntry records an administrative action: who did what, when.
type AuditEntry struct {
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"` // export, erase, correct, retention, consent_withdraw, mark_paid, rekey, backup, release
	Contact string    `json:"contact,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}
