// Package notify is how the business hears what happens while it is on a
// roof: alert cards on the owner's WhatsApp (with reply buttons that are
// owner commands: Approve & send, Take over, Hand back) and signed
// webhooks to the business's systems (a CRM, a spreadsheet bot).
//
// The engine derives events from every turn (core.Event); Notifier turns
// them into notices (core.Outbound with Notice set) that the engine queues
// in the same transaction as the turn, so an event is never lost nor
// announced for a turn that did not commit. The WhatsApp sender delivers
// the cards (a template outside the owner's 24-hour window); Deliverer
// posts the webhooks, signed, at least once, in order per lead and
// receiver, with backoff for 24 hours. Commands answers the owner's button
// presses before the engine's flows could see them.
//
// It reads and writes through engine/core and the Engine's owner actions,
// never through a store backend or a channel.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Webhook is one receiver of the business's events: where to POST, the
// secret that signs each delivery, and the event types it wants (none:
// every type).
type Webhook struct {
	URL    string   `yaml:"url" json:"url"`
	Secret string   `yaml:"secret" json:"-"`
	Events []string `yaml:"events" json:"events,omitempty"`
}

// Wants says whether the webhook subscribes to an event type (one of
// core.WebhookEvents).
func (w Webhook) Wants(typ string) bool {
	if !slices.Contains(core.WebhookEvents(), typ) {
		return false
	}
	return len(w.Events) == 0 || slices.Contains(w.Events, typ) || slices.Contains(w.Events, "*")
}

// LeadIDs gives a contact's lead id (core.Records' LeadID).
type LeadIDs interface {
	LeadID(contact string) string
}

// Options configure a Notifier.
type Options struct {
	// Owners are the owner's numbers as contact URNs (whatsapp:447700900999);
	// cards go to each.
	Owners []string
	// OwnerEvents are the event types that reach the owners as cards;
	// nil: every type of core.OwnerEvents.
	OwnerEvents []string
	// OwnerChannel is the channel of the owner's numbers; default whatsapp.
	OwnerChannel string
	// Template is sent instead of a card outside the owner's 24-hour
	// window, with two body parameters: the card's one-line summary and
	// the link to the lead (README shows its text). Nil: such cards are
	// held and shown in the console as failed notices.
	Template *core.Template
	// ConsoleURL is the console's public address (console.public_url,
	// "https://leads.example.com"): cards link to the lead there.
	ConsoleURL string
	// Webhooks receive the events they subscribe to.
	Webhooks []Webhook
	Leads    LeadIDs      // required
	Windows  core.Windows // the owners' last messages; nil: every card goes as is
	NewID    func(prefix string) string
	Logger   *slog.Logger
}

// Notifier turns events into the owner's cards and webhook deliveries. It
// is safe for concurrent use.
type Notifier struct {
	o      Options
	log    *slog.Logger
	owners []string
}

var _ core.Notifier = (*Notifier)(nil)

// New checks the options and returns a Notifier.
func New(o Options) (*Notifier, error) {
	if o.Leads == nil {
		return nil, fmt.Errorf("notify: Leads is required")
	}
	if o.OwnerChannel == "" {
		o.OwnerChannel = "whatsapp"
	}
	if o.OwnerEvents == nil {
		o.OwnerEvents = core.OwnerEvents()
	}
	if o.NewID == nil {
		o.NewID = randomID
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.ConsoleURL = strings.TrimRight(o.ConsoleURL, "/")
	n := &Notifier{o: o, log: o.Logger}
	for _, raw := range o.Owners {
		u, err := core.NormalizeURN(raw)
		if err != nil {
			return nil, fmt.Errorf("notify: owner number %q: %w", raw, err)
		}
		n.owners = append(n.owners, u)
	}
	for i, w := range o.Webhooks {
		if w.URL == "" || w.Secret == "" {
			return nil, fmt.Errorf("notify: webhooks[%d]: url and secret are required", i)
		}
	}
	return n, nil
}

// Owners returns the owner's numbers as contact URNs.
func (n *Notifier) Owners() []string { return slices.Clone(n.owners) }

// Notices returns the cards and webhook deliveries of the events.
func (n *Notifier) Notices(ctx context.Context, events []core.Event) []core.Outbound {
	var out []core.Outbound
	for _, ev := range events {
		if ev.Lead == "" && ev.Contact != "" {
			ev.Lead = n.o.Leads.LeadID(ev.Contact)
		}
		out = append(out, n.cards(ctx, ev)...)
		out = append(out, n.deliveries(ev)...)
	}
	return out
}

// LeadURL is the lead's page in the console ("" without a console URL).
func (n *Notifier) LeadURL(lead string) string {
	if n.o.ConsoleURL == "" || lead == "" {
		return ""
	}
	return n.o.ConsoleURL + "/console/leads/" + lead
}

// cards are the owner's alert cards of an event, one per owner number.
func (n *Notifier) cards(ctx context.Context, ev core.Event) []core.Outbound {
	if len(n.owners) == 0 || !slices.Contains(n.o.OwnerEvents, ev.Type) {
		return nil
	}
	c, ok := n.card(ev)
	if !ok {
		return nil
	}
	var out []core.Outbound
	for _, owner := range n.owners {
		if owner == ev.Contact {
			continue // the owner trying the bot on their own number gets no card about themselves
		}
		o := c.outbound(ev)
		o.Channel, o.Contact, o.Created = n.o.OwnerChannel, owner, ev.Time
		if n.o.Template != nil {
			tpl := *n.o.Template
			tpl.Params = []string{templateParam(c.summary), templateParam(n.linkOrNone(ev.Lead))}
			o.Template = &tpl
		}
		o.WindowUntil = n.window(ctx, owner)
		out = append(out, o)
	}
	return out
}

// window is when the owner's 24-hour window closes: after their last
// message to the bot, or long ago when they never wrote (so the template
// goes). Unknown (no Windows): zero, the card goes as is.
func (n *Notifier) window(ctx context.Context, owner string) time.Time {
	if n.o.Windows == nil {
		return time.Time{}
	}
	last, err := n.o.Windows.LastInbound(ctx, owner)
	if err != nil {
		n.log.Warn("notify: the owner's last message could not be read; the card goes as is", "err", err)
		return time.Time{}
	}
	if last.IsZero() {
		return time.Unix(1, 0).UTC() // never wrote: closed
	}
	return last.Add(24 * time.Hour)
}

func (n *Notifier) linkOrNone(lead string) string {
	if u := n.LeadURL(lead); u != "" {
		return u
	}
	return "the console"
}

// templateParam makes text fit a template's body parameter: one line,
// no tabs, no runs of spaces, at most 500 characters.
func templateParam(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		s = "-"
	}
	return clip(s, 500)
}

// clip cuts text to n characters, ending with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
