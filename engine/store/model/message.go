package model

import (
	"fmt"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// InboundMessage is the log entry of an inbound message (media without
// their bytes).
func InboundMessage(in *core.Inbound) core.MessageRecord {
	m := core.MessageRecord{
		Direction: core.DirIn, Channel: in.Channel, Contact: in.Contact, ID: in.ID,
		Kind: string(in.Kind), Text: in.Text, ReplyID: in.ReplyID, ReplyTitle: in.ReplyTitle,
		Location: in.Location, Time: in.Time, Status: core.StatusReceived,
	}
	for _, md := range in.Media {
		md.Data = nil
		m.Media = append(m.Media, md)
	}
	return m
}

// EchoMessage is the log entry of a message the business wrote from its
// WhatsApp Business app (an echo): its message, already delivered.
func EchoMessage(in *core.Inbound) core.MessageRecord {
	m := InboundMessage(in)
	m.Direction, m.Status, m.Author = core.DirOut, core.StatusSent, core.AuthorOwnerApp
	m.ProviderID, m.SentAt = in.ID, in.Time
	return m
}

// OutboundMessage is the log entry of a queued outbound message.
func OutboundMessage(o *core.Outbound) core.MessageRecord {
	m := core.MessageRecord{
		Direction: core.DirOut, Channel: o.Channel, Contact: o.Contact, ID: o.ID,
		Kind: string(o.Kind), Text: o.Text, Options: o.Options, Template: o.Template,
		ReplyTo: o.ReplyTo, Author: o.Author, Time: o.Created, Status: core.StatusQueued,
	}
	if o.Media != nil {
		md := *o.Media
		md.Data = nil
		m.Media = []core.Media{md}
	}
	return m
}

// CheckDelivery refuses a delivery status the contract does not know.
func CheckDelivery(d core.Delivery) error {
	switch d.Status {
	case core.StatusSent, core.StatusDelivered, core.StatusRead, core.StatusFailed:
		return nil
	}
	return fmt.Errorf("unknown status %q", d.Status)
}

// MarkSent records on the message that the provider took it under
// providerID at at, after attempts earlier tries.
func MarkSent(m *core.MessageRecord, providerID string, attempts int, at time.Time) {
	m.ProviderID = providerID
	m.Attempts = attempts + 1
	ApplyDelivery(m, core.Delivery{Status: core.StatusSent, Time: at})
}

// MarkFailed records on the message that sending it failed for good at
// now (held: it waits for a template), after attempts earlier tries.
func MarkFailed(m *core.MessageRecord, code int, reason string, held bool, attempts int, now time.Time) {
	m.Attempts = attempts + 1
	m.ErrorCode, m.Error = code, reason
	if held {
		m.Status = core.StatusNeedsTemplate
		return
	}
	m.Status = core.StatusFailed
	m.FailedAt = now
}

// statusRank orders the delivery statuses that only move forward.
func statusRank(s string) int {
	switch s {
	case core.StatusSent:
		return 1
	case core.StatusDelivered:
		return 2
	case core.StatusRead:
		return 3
	}
	return 0
}

// ApplyDelivery records a provider's status report on the message. Sent,
// delivered and read only move the status forward; failed is recorded
// whenever it arrives, and a later delivered or read (proof the message
// arrived after all) moves it on again.
func ApplyDelivery(m *core.MessageRecord, d core.Delivery) {
	m.History = append(m.History, d)
	switch d.Status {
	case core.StatusFailed:
		m.FailedAt = d.Time
		m.ErrorCode, m.Error = d.ErrorCode, d.Error
		m.Status = core.StatusFailed
		return
	case core.StatusSent:
		if m.SentAt.IsZero() {
			m.SentAt = d.Time
		}
	case core.StatusDelivered:
		if m.Delivered.IsZero() {
			m.Delivered = d.Time
		}
	case core.StatusRead:
		if m.ReadAt.IsZero() {
			m.ReadAt = d.Time
		}
	}
	best := bestRank(m)
	if m.Status == core.StatusFailed {
		// Only proof of arrival newer than the failure moves a failed message on.
		if statusRank(d.Status) >= statusRank(core.StatusDelivered) && statusRank(d.Status) == best {
			m.Status = d.Status
		}
		return
	}
	if best > statusRank(m.Status) {
		m.Status = []string{"", core.StatusSent, core.StatusDelivered, core.StatusRead}[best]
	}
}

// bestRank is the highest forward status the message has reached.
func bestRank(m *core.MessageRecord) int {
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
