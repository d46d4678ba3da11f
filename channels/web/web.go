// Package web is the web chat: a page at /chat/ where anyone talks to the
// bot in a browser, and /chat/widget.js, a script tag a business puts on
// its own site (a floating button that opens the chat in an iframe of
// /chat/?embed=1). It is the same trip as WhatsApp with a browser in place
// of Meta: the page posts messages and photos, the channel hands them to
// the engine's core.Dispatcher as the contact web:<random id>, and a sender
// drains the outbox to the browser over server-sent events.
//
// A visitor is known by a signed token (see identity.go) kept in a cookie
// and by the page; the API checks the Origin of every request, rates per
// address and per visitor, and the size and type of what is sent, and
// answers every refusal with JSON naming what was wrong. The page is
// html/template and a small script of our own, embedded in the binary.
//
// It imports the contract (engine/core) and never the engine: buttons,
// lists and media arrive already rendered for the capabilities it declares.
package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"strings"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// ChannelName is the channel's name in messages and the outbox.
const ChannelName = "web"

// Reminder repeats the question a conversation waits at, for a visitor
// whose page lost its transcript (*engine.Engine).
type Reminder interface {
	Remind(ctx context.Context, contact string) error
}

// Hooks tell an observer (the metrics) what the channel did; nil fields
// are skipped. Codes are the error codes of the API's answers.
type Hooks struct {
	Rejected  func(code string) // a request refused: rate_limited, too_large, forbidden_origin, bad_token...
	Delivered func()            // a message a page acknowledged
	Failed    func(code string) // a message that will never be shown: bad_message, visitor_gone
}

// Options wire a Channel.
type Options struct {
	Prefix     string          // where the chat is mounted; default "/chat/"
	Business   string          // the business's name, shown on the page
	Secret     []byte          // signs visitors' tokens; at least MinSecretBytes
	Dispatcher core.Dispatcher // required; *engine.Router
	Outbox     core.Outbox     // required
	Store      core.Store      // sessions (to start a conversation) and stored media; required
	Reminder   Reminder        // optional
	// AllowedOrigins are the sites that may embed the chat
	// ("https://www.example.com"; "*" for any); its own origin always may.
	AllowedOrigins []string
	// ClientIPHeader names the header a proxy in front sets to the
	// client's address ("X-Forwarded-For"); "" uses the peer address.
	ClientIPHeader string
	Limits         Limits
	Hooks          Hooks
	Clock          func() time.Time
	NewContactID   func() string // default: 16 random bytes
	Tag            func(contact string) string
	Logger         *slog.Logger
}

// Channel is the web chat: its HTTP handler, its visitors' live
// connections and the sender that drains its outbox.
type Channel struct {
	o       Options
	prefix  string
	tokens  tokens
	limits  Limits
	origins origins
	hub     *hub
	sender  *sender
	byIP    *limiters
	byUser  *limiters
	conns   *limiters
	page    *template.Template
	clock   func() time.Time
	log     *slog.Logger
}

var _ core.Channel = (*Channel)(nil)

// New checks the options and returns the channel; Run starts its sender.
func New(o Options) (*Channel, error) {
	if o.Dispatcher == nil || o.Outbox == nil || o.Store == nil {
		return nil, errors.New("web chat: Dispatcher, Outbox and Store are required")
	}
	if len(o.Secret) < MinSecretBytes {
		return nil, fmt.Errorf("web chat: the secret must have at least %d bytes", MinSecretBytes)
	}
	if o.Prefix == "" {
		o.Prefix = "/chat/"
	}
	if !strings.HasPrefix(o.Prefix, "/") || !strings.HasSuffix(o.Prefix, "/") {
		return nil, fmt.Errorf("web chat: prefix %q must start and end with /", o.Prefix)
	}
	if o.Business == "" {
		o.Business = "Chat"
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.NewContactID == nil {
		o.NewContactID = newContactID
	}
	if o.Tag == nil {
		o.Tag = func(string) string { return "-" }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	page, err := parsePage()
	if err != nil {
		return nil, err
	}
	l := o.Limits.withDefaults()
	c := &Channel{
		o: o, prefix: o.Prefix, tokens: tokens{secret: o.Secret}, limits: l,
		origins: newOrigins(o.AllowedOrigins),
		hub:     newHub(l.MaxStreams, l.MaxStreamsPerContact),
		byIP:    newLimiters(l.PerIP, l.PerIPBurst, o.Clock),
		byUser:  newLimiters(l.PerContact, l.PerContactBurst, o.Clock),
		conns:   newLimiters(l.ConnectPerIP, l.ConnectPerIPBurst, o.Clock),
		page:    page, clock: o.Clock, log: o.Logger,
	}
	c.sender = newSender(o.Outbox, c.hub, func(it core.OutboxItem) ([]byte, error) { return c.wire(it.Outbound) }, o.Clock, o.Logger, o.Tag, o.Hooks)
	return c, nil
}

// Name is "web".
func (c *Channel) Name() string { return ChannelName }

// Capabilities says what the page shows: up to 10 buttons and 10 list
// rows with titles of any length, text of any length, images and
// documents, and no conversation window.
func (c *Channel) Capabilities() core.Capabilities {
	return core.Capabilities{MaxButtons: 10, MaxListRows: 10, Media: []string{"image", "document"}}
}

// ErrNotConnected is returned by Send for a visitor with no open page.
var ErrNotConnected = errors.New("web chat: the visitor has no open page")

// Send pushes one message to the visitor's open pages now. Queued
// messages go through the sender, which also waits for the page to
// acknowledge them; Send does not.
func (c *Channel) Send(_ context.Context, m core.Outbound) (string, error) {
	contact, err := core.NormalizeURN(m.Contact)
	if err != nil || core.URNScheme(contact) != core.SchemeWeb {
		return "", fmt.Errorf("web chat: send to %q: %w", m.Contact, core.ErrBadContact)
	}
	data, err := c.wire(m)
	if err != nil {
		return "", fmt.Errorf("web chat: send %s: %w", m.Kind, err)
	}
	if c.hub.push(contact, event{id: m.ID, data: data}) == 0 {
		return "", ErrNotConnected
	}
	return "web-" + m.ID, nil
}

// Run drains the outbox to the open pages until ctx ends.
func (c *Channel) Run(ctx context.Context) error { return c.sender.run(ctx) }

// Wake tells the sender new messages are in the outbox.
func (c *Channel) Wake() { c.sender.Wake() }

// CloseStreams ends every live connection and refuses new ones, so an
// HTTP server's Shutdown need not wait for them (http.Server.RegisterOnShutdown).
func (c *Channel) CloseStreams() { c.hub.closeAll() }

// Connections is the number of open live connections.
func (c *Channel) Connections() int { return c.hub.count() }
