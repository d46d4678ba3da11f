package notify

import (
	"strings"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/plugins"
)

// Button actions of the owner's cards. A button's id is
// "amlo:ACTION:LEAD[:QUOTE]"; Commands reads it back.
const (
	ActionApprove  = "approve"  // Approve & send the held quote
	ActionTakeOver = "takeover" // the bot goes quiet for the customer
	ActionRelease  = "release"  // hand the customer back to the bot
)

// buttonPrefix starts every owner button id, so a press is recognised
// whatever else the owner's number sends.
const buttonPrefix = "amlo:"

// ButtonID is the id of an owner card's button.
func ButtonID(action, lead, quote string) string {
	id := buttonPrefix + action + ":" + lead
	if quote != "" {
		id += ":" + quote
	}
	return id
}

// ParseButton reads a button id made by ButtonID.
func ParseButton(id string) (action, lead, quote string, ok bool) {
	rest, found := strings.CutPrefix(id, buttonPrefix)
	if !found {
		return "", "", "", false
	}
	parts := strings.Split(rest, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[1] == "" {
		return "", "", "", false
	}
	switch parts[0] {
	case ActionApprove, ActionTakeOver, ActionRelease:
	default:
		return "", "", "", false
	}
	if len(parts) == 3 {
		quote = parts[2]
	}
	if parts[0] == ActionApprove && quote == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], quote, true
}

// Button titles (WhatsApp allows 20 characters).
const (
	titleApprove  = "Approve & send"
	titleTakeOver = "Take over"
	titleRelease  = "Hand back"
)

// card is what an owner's alert says about an event.
type card struct {
	summary string   // one line: what happened, who, what it is worth
	lines   []string // more: the job, the customer's words, why
	buttons []core.Option
	link    string
}

// outbound renders the card as a message to an owner.
func (c card) outbound(ev core.Event) core.Outbound {
	var b strings.Builder
	b.WriteString("*" + c.summary + "*")
	for _, l := range c.lines {
		if l != "" {
			b.WriteString("\n" + l)
		}
	}
	if c.link != "" {
		b.WriteString("\n" + c.link)
	}
	o := core.Outbound{Kind: core.OutText, Text: clip(b.String(), 1024), Options: c.buttons,
		Notice: &core.Notice{Event: ev.Type, EventID: ev.ID, Lead: ev.Lead}}
	if len(c.buttons) > 0 {
		o.Kind = core.OutButtons
	}
	return o
}

// card describes an event for the owner; false for an event the owner
// need not hear about (a handoff the owner made themselves).
func (n *Notifier) card(ev core.Event) (card, bool) {
	name := customerName(ev)
	total := quoteTotal(ev.Quote)
	job := jobOf(ev)
	take := core.Option{ID: ButtonID(ActionTakeOver, ev.Lead, ""), Title: titleTakeOver}
	release := core.Option{ID: ButtonID(ActionRelease, ev.Lead, ""), Title: titleRelease}
	c := card{link: n.LeadURL(ev.Lead)}
	switch ev.Type {
	case core.EventLeadCreated:
		c.summary = "New lead: " + name + withJob(job)
		c.lines = []string{description(ev), contactLine(ev)}
		c.buttons = []core.Option{take}
	case core.EventLeadHandoff:
		if ev.Reason == "owner" || ev.Reason == "owner_app" {
			return card{}, false
		}
		c.summary = name + " is waiting for a person" + withJob(job)
		c.lines = []string{said(ev), "The bot is quiet until you hand them back."}
		c.buttons = []core.Option{release}
	case core.EventHandoffMessage:
		c.summary = name + " wrote"
		c.lines = []string{said(ev), "You have this conversation; the bot is quiet."}
		c.buttons = []core.Option{release}
	case core.EventQuoteAwaiting:
		c.summary = "Quote to approve: " + name + withJob(job) + withTotal(total)
		if ev.Reason != "" {
			c.lines = []string{"Why: " + ev.Reason}
		}
		if ev.Quote != nil {
			c.buttons = []core.Option{{ID: ButtonID(ActionApprove, ev.Lead, ev.Quote.ID), Title: titleApprove}, take}
		}
	case core.EventQuoteAccepted:
		c.summary = name + " accepted the quote" + withTotal(total)
		c.lines = []string{job, contactLine(ev)}
		c.buttons = []core.Option{take}
	case core.EventQuoteDeclined:
		c.summary = name + " declined the quote" + withTotal(total)
		c.buttons = []core.Option{take}
	case core.EventQuoteExpired:
		c.summary = name + "'s quote expired unanswered" + withTotal(total)
		c.buttons = []core.Option{take}
	case core.EventPaymentReceived:
		c.summary = "Payment received from " + name + withTotal(total)
		if ev.Quote != nil && ev.Quote.PaymentRef != "" {
			c.lines = []string{"Reference: " + ev.Quote.PaymentRef}
		}
	case core.EventSendFailed:
		c.summary = "A message to " + name + " could not be sent"
		c.lines = []string{ev.Reason}
		c.buttons = []core.Option{take}
	default:
		return card{}, false
	}
	return c, true
}

// customerName is the name the customer gave, their profile name or number.
func customerName(ev core.Event) string {
	if p := ev.Person; p != nil {
		for _, s := range []string{p.Name, p.ProfileName, p.Phone} {
			if s != "" {
				return s
			}
		}
	}
	if ev.Contact != "" {
		return "a customer (" + core.URNScheme(ev.Contact) + ")"
	}
	return "a customer"
}

// jobOf is the service asked for, as the customer picked it.
func jobOf(ev core.Event) string {
	if ev.Project == nil || ev.Project.Service == "" {
		return ""
	}
	s := ev.Project.Service
	return strings.ToUpper(s[:1]) + s[1:]
}

func withJob(job string) string {
	if job == "" {
		return ""
	}
	return ", " + job
}

func withTotal(total string) string {
	if total == "" {
		return ""
	}
	return ": " + total
}

func quoteTotal(q *core.QuoteRecord) string {
	if q == nil || q.Currency == "" {
		return ""
	}
	return plugins.FormatMoney(q.Total, q.Currency)
}

func description(ev core.Event) string {
	if ev.Project == nil || ev.Project.Description == "" {
		return ""
	}
	return "“" + clip(ev.Project.Description, 300) + "”"
}

func contactLine(ev core.Event) string {
	if ev.Person == nil {
		return ""
	}
	var parts []string
	for _, s := range []string{ev.Person.Phone, ev.Person.Email} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " · ")
}

// said quotes the customer's message.
func said(ev core.Event) string {
	m := ev.Message
	if m == nil {
		return ""
	}
	switch {
	case m.Text != "":
		return "“" + clip(m.Text, 300) + "”"
	case m.ReplyTitle != "":
		return "“" + m.ReplyTitle + "”"
	case m.Kind != "":
		return "[" + string(m.Kind) + "]"
	}
	return ""
}
