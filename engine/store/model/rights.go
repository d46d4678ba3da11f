package model

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"github.com/allmyleads/allmyleads/engine/core"
)

// EraseReport says what an erasure removed.
type EraseReport struct {
	ContactKey   string `json:"contact_key"`
	Contact      bool   `json:"contact"`  // the contact record
	Session      bool   `json:"session"`  // the conversation
	Projects     int    `json:"projects"` //
	Quotes       int    `json:"quotes"`   // quotes without a payment, removed
	KeptPayments int    `json:"kept_payments"`
	Consents     int    `json:"consents"`
	OptEvents    int    `json:"opt_events"`
	Messages     int    `json:"messages"`
	Outbox       int    `json:"outbox"` // messages still waiting to be sent
	Inbox        int    `json:"inbox"`  // webhook payloads still waiting to be processed, removed or cut
	Media        int    `json:"media"`
	AIRecords    int    `json:"ai_records"`
}

// String is the report in one line, for the command and the audit log.
func (r EraseReport) String() string {
	return fmt.Sprintf("contact %t, session %t, %d projects, %d quotes, %d paid quotes kept without personal data, %d consents, %d opt events, %d messages, %d queued messages, %d pending webhook payloads, %d media, %d AI records",
		r.Contact, r.Session, r.Projects, r.Quotes, r.KeptPayments, r.Consents, r.OptEvents, r.Messages, r.Outbox, r.Inbox, r.Media, r.AIRecords)
}

// ChatEraseActor is the audit actor of an erasure asked for in the chat.
const ChatEraseActor = "customer"

// Correctable lists the fields Correct can change.
var correctable = []string{"lead.name", "lead.email", "lead.company", "lead.address", "lead.phone", "contact.name"}

// CorrectableFields returns the paths a correction accepts.
func CorrectableFields() []string { return append([]string(nil), correctable...) }

// ErrInvalidValue is returned for a corrected value that fails validation.
var ErrInvalidValue = core.ErrInvalidValue

// CheckCorrection validates a corrected value for a field and returns it
// cleaned (trimmed; a phone number in E.164).
func CheckCorrection(path, value string) (string, error) {
	value = strings.TrimSpace(value)
	switch path {
	case "lead.email":
		a, err := mail.ParseAddress(value)
		if err != nil || a.Address != value || a.Name != "" {
			return "", fmt.Errorf("%w for %s: %q is not an email address", ErrInvalidValue, path, value)
		}
	case "lead.phone":
		p, err := core.NormalizePhone(value)
		if err != nil {
			return "", fmt.Errorf("%w for %s: %v", ErrInvalidValue, path, err)
		}
		value = p
	case "lead.name", "lead.company", "lead.address", "contact.name":
		if value == "" || len(value) > 300 || strings.IndexFunc(value, unicode.IsControl) >= 0 {
			return "", fmt.Errorf("%w for %s: want 1 to 300 printable characters", ErrInvalidValue, path)
		}
	default:
		return "", fmt.Errorf("cannot correct %q: correctable fields are %s", path, strings.Join(correctable, ", "))
	}
	return value, nil
}

// CorrectContact applies a checked correction to the contact record.
func CorrectContact(c *core.Contact, path, value string, now time.Time) {
	switch path {
	case "lead.name":
		c.Name = value
	case "lead.email":
		c.Email = value
	case "lead.company":
		c.Company = value
	case "lead.address":
		c.Address = value
	case "contact.name":
		c.ProfileName = value
	}
	c.Updated = now
}

// CorrectSession applies a checked correction to the conversation's
// variables.
func CorrectSession(sess *core.Session, path, value string, now time.Time) {
	if sess.Vars == nil {
		sess.Vars = map[string]any{}
	}
	sess.SetVar(path, value)
	sess.Updated = now
}

// Withdrawable says whether a consent record is one a withdrawal for
// purpose ("" for every purpose) ends.
func Withdrawable(c *core.ConsentRecord, purpose string) bool {
	return c.Granted && c.Withdrawn.IsZero() && (purpose == "" || strings.EqualFold(c.Purpose, purpose))
}

// WithdrawInSession records in the conversation that the consents for the
// purposes were withdrawn at now and stops it, since processing based on
// that consent stops.
func WithdrawInSession(sess *core.Session, purposes []string, now time.Time) {
	if sess.Vars == nil {
		sess.Vars = map[string]any{}
	}
	consents, _ := sess.Vars["consent"].(map[string]any)
	for _, p := range purposes {
		if c, ok := consents[p].(map[string]any); ok {
			c["granted"] = false
			c["withdrawn"] = now.Format(time.RFC3339)
		}
	}
	sess.Ended, sess.Waiting = true, false
	sess.Updated = now
}

// ErrQuoteState is returned by MarkPaid for a quote that cannot be paid in
// its status.
var ErrQuoteState = errors.New("quote cannot be marked paid")

// MarkPaid records a payment reference on a quote at now. It returns false
// when the quote was already paid with the same reference (nothing to do).
func MarkPaid(q *core.QuoteRecord, ref string, now time.Time) (bool, error) {
	switch q.Status {
	case core.QuotePaid:
		if q.PaymentRef == ref {
			return false, nil
		}
		return false, fmt.Errorf("%w: already paid with reference %q", ErrQuoteState, q.PaymentRef)
	case core.QuoteDraft, core.QuoteDeclined:
		return false, fmt.Errorf("%w: it is %s", ErrQuoteState, q.Status)
	}
	q.Status, q.PaymentRef, q.PaidAt, q.Updated = core.QuotePaid, ref, now, now
	return true, nil
}

// ErrBadCursor is returned for a lead list cursor the store did not make.
var ErrBadCursor = errors.New("invalid cursor")
