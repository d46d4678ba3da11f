package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
)

// OwnerEngine is what the owner's commands need of the engine
// (*engine.Engine): the owner's actions on a customer's conversation.
type OwnerEngine interface {
	TakeOver(ctx context.Context, contact, actor string) error
	Release(ctx context.Context, contact, actor string) error
	ApproveQuote(ctx context.Context, contact, quoteID, actor string) (*core.QuoteRecord, error)
}

// CommandOptions configure Commands.
type CommandOptions struct {
	Owners  []string            // the owner's numbers (URNs); required
	Next    core.Dispatcher     // where everyone else's messages go (*engine.Router); required
	Engine  OwnerEngine         // required
	Records core.Records        // finds a card's lead; required
	Store   core.Store          // marks a command handled and queues the answer; required
	Links   func(string) string // a lead's console link (Notifier.LeadURL); nil: none
	// Actor is the name the audit log gives the owner's WhatsApp actions;
	// default "owner (WhatsApp)".
	Actor      string
	OnOutbound func() // wakes the senders after an answer is queued
	Clock      func() time.Time
	Logger     *slog.Logger
}

// Commands is a Dispatcher in front of the engine's router: a message
// from one of the owner's numbers is an owner command (a card's button:
// Approve & send, Take over, Hand back; anything else gets the help) and
// never enters a customer flow; every other message goes on to Next.
//
// A command is handled at least once and answered once: the action runs
// first (each is harmless when repeated: a quote already sent is not sent
// again, a second take-over changes nothing), then the owner's message is
// marked handled in the same transaction that queues the answer, which
// also opens the owner's 24-hour window for the cards that follow.
type Commands struct {
	o      CommandOptions
	owners map[string]bool
}

var _ core.Dispatcher = (*Commands)(nil)

// NewCommands checks the options and returns the dispatcher.
func NewCommands(o CommandOptions) (*Commands, error) {
	if o.Next == nil || o.Engine == nil || o.Records == nil || o.Store == nil {
		return nil, errors.New("notify: commands need Next, Engine, Records and Store")
	}
	if o.Actor == "" {
		o.Actor = "owner (WhatsApp)"
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Commands{o: o, owners: map[string]bool{}}
	for _, raw := range o.Owners {
		u, err := core.NormalizeURN(raw)
		if err != nil {
			return nil, fmt.Errorf("notify: owner number %q: %w", raw, err)
		}
		c.owners[u] = true
	}
	return c, nil
}

// IsOwner says whether a contact is one of the owner's numbers.
func (c *Commands) IsOwner(contact string) bool {
	u, err := core.NormalizeURN(contact)
	return err == nil && c.owners[u]
}

// Submit handles an owner's message at once, and hands anyone else's to Next.
func (c *Commands) Submit(ctx context.Context, in core.Inbound) <-chan error {
	if in.Echo || !c.IsOwner(in.Contact) {
		return c.o.Next.Submit(ctx, in)
	}
	done := make(chan error, 1)
	done <- c.handle(ctx, in)
	return done
}

// handle runs one owner command and queues its answer.
func (c *Commands) handle(ctx context.Context, in core.Inbound) error {
	in.Contact, _ = core.NormalizeURN(in.Contact)
	seen, err := c.o.Store.Seen(ctx, in.Channel, in.ID)
	if err != nil {
		return fmt.Errorf("owner command: %w", err)
	}
	if seen {
		return nil
	}
	answer := c.run(ctx, &in)
	answer.Channel, answer.Contact, answer.Created = in.Channel, in.Contact, c.o.Clock().UTC()
	answer.ReplyTo = in.ID
	err = c.o.Store.Commit(ctx, &core.Turn{Inbound: &in, Outbound: []core.Outbound{answer}})
	if errors.Is(err, core.ErrDuplicate) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("owner command: %w", err)
	}
	if c.o.OnOutbound != nil {
		c.o.OnOutbound()
	}
	return nil
}

// run carries out the command and says how it went.
func (c *Commands) run(ctx context.Context, in *core.Inbound) core.Outbound {
	action, lead, quote, ok := ParseButton(in.ReplyID)
	if !ok || (in.Kind != core.InButton && in.Kind != core.InList) {
		return text(helpText)
	}
	d, err := c.o.Records.Lead(ctx, lead)
	if errors.Is(err, core.ErrNotFound) {
		return text("That lead is no longer here (its data may have been erased).")
	}
	if err != nil {
		c.o.Logger.Error("owner command: find the lead", "err", err)
		return text("Something went wrong finding that lead; please try again in the console.")
	}
	name, contact := d.Lead.DisplayName(), d.Lead.Contact
	link := ""
	if c.o.Links != nil {
		if u := c.o.Links(lead); u != "" {
			link = "\n" + u
		}
	}
	release := core.Option{ID: ButtonID(ActionRelease, lead, ""), Title: titleRelease}
	switch action {
	case ActionApprove:
		q, err := c.o.Engine.ApproveQuote(ctx, contact, quote, c.o.Actor)
		switch {
		case err == nil:
			return text(fmt.Sprintf("✅ Quote sent to %s: %s.", name, quoteTotal(q)))
		case errors.Is(err, engine.ErrQuoteState), errors.Is(err, engine.ErrNoQuote):
			return text("That quote is no longer waiting for approval (already sent, or changed since)." + link)
		case errors.Is(err, engine.ErrWindowClosed):
			return text(name + "'s 24-hour window has closed, so the quote cannot go in the chat. Open the lead to follow up with a template:" + link)
		case errors.Is(err, engine.ErrOptedOut):
			return text(name + " opted out: nothing can be sent to them.")
		}
		return c.failed(err, link)
	case ActionTakeOver:
		if err := c.o.Engine.TakeOver(ctx, contact, c.o.Actor); err != nil {
			return c.failed(err, link)
		}
		return core.Outbound{Kind: core.OutButtons, Options: []core.Option{release},
			Text: "You have " + name + "'s conversation: the bot is quiet. Reply to them in the WhatsApp Business app or the console, and tap Hand back when you are done." + link}
	case ActionRelease:
		err := c.o.Engine.Release(ctx, contact, c.o.Actor)
		switch {
		case err == nil:
			return text("👍 " + name + " is back with the bot; it asks its last question again.")
		case errors.Is(err, engine.ErrNoHandoff):
			return text("The bot already has " + name + "'s conversation.")
		}
		return c.failed(err, link)
	}
	return text(helpText)
}

func (c *Commands) failed(err error, link string) core.Outbound {
	c.o.Logger.Error("owner command failed", "err", err)
	return text("That did not work; please try again in the console." + link)
}

func text(s string) core.Outbound { return core.Outbound{Kind: core.OutText, Text: s} }

// helpText answers an owner's message that is no command.
const helpText = "This number is your AllMyLeads alert line: messages from it never reach a customer. " +
	"Tap a card's buttons (Approve & send, Take over, Hand back) to act on a lead; " +
	"write to customers in the WhatsApp Business app or the console."

// Owners lists the owner numbers as URNs, sorted.
func (c *Commands) Owners() []string {
	var out []string
	for u := range c.owners {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}
