package store

import (
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

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

// Message is one entry of the message log: what was said, by whom, when,
// and for outbound messages how far delivery got.
type Message struct {
	Direction  string          `json:"direction"`      // in, out
	Channel    string          `json:"channel"`        //
	Contact    string          `json:"contact"`        // URN
	ID         string          `json:"id"`             // the channel's id (in) or the outbox id (out)
	Kind       string          `json:"kind"`           // an core.InboundKind or core.OutboundKind
	Text       string          `json:"text,omitempty"` //
	ReplyID    string          `json:"reply_id,omitempty"`
	ReplyTitle string          `json:"reply_title,omitempty"`
	Options    []core.Option   `json:"options,omitempty"`
	Media      []core.Media    `json:"media,omitempty"` // references; bytes are in the media store
	Location   *core.Location  `json:"location,omitempty"`
	Template   *core.Template  `json:"template,omitempty"`
	ReplyTo    string          `json:"reply_to,omitempty"`
	Time       time.Time       `json:"time"`
	Status     string          `json:"status"`
	ProviderID string          `json:"provider_id,omitempty"`
	Attempts   int             `json:"attempts,omitempty"`
	SentAt     time.Time       `json:"sent_at,omitzero"`
	Delivered  time.Time       `json:"delivered_at,omitzero"`
	ReadAt     time.Time       `json:"read_at,omitzero"`
	FailedAt   time.Time       `json:"failed_at,omitzero"`
	ErrorCode  int             `json:"error_code,omitempty"`
	Error      string          `json:"error,omitempty"`
	History    []core.Delivery `json:"history,omitempty"` // every status report, in arrival order
}

// inboundMessage is the log entry of an inbound message.
func inboundMessage(in *core.Inbound) Message {
	m := Message{
		Direction: DirIn, Channel: in.Channel, Contact: in.Contact, ID: in.ID,
		Kind: string(in.Kind), Text: in.Text, ReplyID: in.ReplyID, ReplyTitle: in.ReplyTitle,
		Location: in.Location, Time: in.Time, Status: StatusReceived,
	}
	for _, md := range in.Media {
		md.Data = nil
		m.Media = append(m.Media, md)
	}
	return m
}

// outboundMessage is the log entry of a queued outbound message.
func outboundMessage(o *core.Outbound) Message {
	m := Message{
		Direction: DirOut, Channel: o.Channel, Contact: o.Contact, ID: o.ID,
		Kind: string(o.Kind), Text: o.Text, Options: o.Options, Template: o.Template,
		ReplyTo: o.ReplyTo, Time: o.Created, Status: StatusQueued,
	}
	if o.Media != nil {
		md := *o.Media
		md.Data = nil
		m.Media = []core.Media{md}
	}
	return m
}

// statusRank orders the delivery statuses that only move forward.
func statusRank(s string) int {
	switch s {
	case StatusSent:
		return 1
	case StatusDelivered:
		return 2
	case StatusRead:
		return 3
	}
	return 0
}

// applyDelivery records a provider's status report on the message. Sent,
// delivered and read only move the status forward; failed is recorded
// whenever it arrives, and a later delivered or read (proof the message
// arrived after all) moves it on again.
func (m *Message) applyDelivery(d core.Delivery) {
	m.History = append(m.History, d)
	switch d.Status {
	case StatusFailed:
		m.FailedAt = d.Time
		m.ErrorCode, m.Error = d.ErrorCode, d.Error
		m.Status = StatusFailed
		return
	case StatusSent:
		if m.SentAt.IsZero() {
			m.SentAt = d.Time
		}
	case StatusDelivered:
		if m.Delivered.IsZero() {
			m.Delivered = d.Time
		}
	case StatusRead:
		if m.ReadAt.IsZero() {
			m.ReadAt = d.Time
		}
	}
	best := m.bestRank()
	if m.Status == StatusFailed {
		// Only proof of arrival newer than the failure moves a failed message on.
		if statusRank(d.Status) >= statusRank(StatusDelivered) && statusRank(d.Status) == best {
			m.Status = d.Status
		}
		return
	}
	if best > statusRank(m.Status) {
		m.Status = []string{"", StatusSent, StatusDelivered, StatusRead}[best]
	}
}

// bestRank is the highest forward status the message has reached.
func (m *Message) bestRank() int {
	switch {
	case !m.ReadAt.IsZero():
		return 3
	case !m.Delivered.IsZero():
		return 2
	case !m.SentAt.IsZero():
		return 1
	}
	return 0
}
