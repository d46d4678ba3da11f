package store

import (
	"github.com/allmyleads/allmyleads/engine/core"
)

// Message directions and statuses: those of the contract.
const (
	DirIn  = core.DirIn
	DirOut = core.DirOut

	StatusReceived      = core.StatusReceived
	StatusQueued        = core.StatusQueued
	StatusSent          = core.StatusSent
	StatusDelivered     = core.StatusDelivered
	StatusRead          = core.StatusRead
	StatusFailed        = core.StatusFailed
	StatusNeedsTemplate = core.StatusNeedsTemplate
)

// Message is one entry of the message log (core.MessageRecord).
type Message = core.MessageRecord

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
		ReplyTo: o.ReplyTo, Author: o.Author, Time: o.Created, Status: StatusQueued,
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
func applyDelivery(m *Message, d core.Delivery) {
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
	best := bestRank(m)
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
func bestRank(m *Message) int {
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
