package whatsapp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Settings are the channel's configuration, usually from WHATSAPP_*
// environment variables.
type Settings struct {
	Token            string  // WHATSAPP_TOKEN
	PhoneNumberID    string  // WHATSAPP_PHONE_NUMBER_ID
	AppSecret        string  // WHATSAPP_APP_SECRET
	VerifyToken      string  // WHATSAPP_VERIFY_TOKEN
	APIBase          string  // WHATSAPP_API_BASE; default DefaultAPIBase
	RatePerSecond    float64 // default 80
	WindowTemplate   string  // template sent outside the 24 h window; "" holds the message
	TemplateLanguage string  // default en_US
}

// Missing names the settings that are not set, by environment variable.
func (s Settings) Missing() []string {
	var m []string
	for _, f := range []struct{ v, name string }{
		{s.Token, "WHATSAPP_TOKEN"},
		{s.PhoneNumberID, "WHATSAPP_PHONE_NUMBER_ID"},
		{s.AppSecret, "WHATSAPP_APP_SECRET"},
		{s.VerifyToken, "WHATSAPP_VERIFY_TOKEN"},
	} {
		if f.v == "" {
			m = append(m, f.name)
		}
	}
	return m
}

// canSend says whether the Graph API can be called.
func (s Settings) canSend() bool { return s.Token != "" && s.PhoneNumberID != "" }

// Backend is the store as the channel uses it: the inbox for raw
// webhooks, the outbox to send from, stored media, and Commit for the
// templates the sender queues. *store.Store is one.
type Backend interface {
	core.Store
	core.Inbox
	core.Outbox
}

// ChannelOptions wire a Channel.
type ChannelOptions struct {
	Settings
	Backend    Backend    // required
	Dispatcher Dispatcher // required; *engine.Router
	// Quarantine takes the messages of a payload whose handling crashed
	// the process again and again (*engine.Engine's Quarantine).
	Quarantine func(ctx context.Context, in core.Inbound, reason string) error
	HTTPClient *http.Client
	// Ready reports whether the store is usable, for /readyz.
	Ready  func() error
	Tag    func(contact string) string
	Logger *slog.Logger
	// Processor and Sender adjust the workers' options after the channel
	// filled them in (tests, the bench command).
	Processor func(*ProcessorOptions)
	Sender    func(*SenderOptions)
	// Hooks tell an observer (the metrics) what the channel did.
	Hooks Hooks
}

// Hooks tell an observer (the metrics) what the channel did; nil fields
// are skipped.
type Hooks struct {
	BadSignature func()            // a webhook refused for its signature
	SendFailed   func(code string) // a failed send attempt, by SendError.MetricCode
	// GaveUp is told of a message to a customer that failed for good.
	GaveUp func(ctx context.Context, out core.Outbound, reason string)
}

// Channel is the whole WhatsApp channel of one business number: webhook,
// inbox processor, outbox sender and Graph API client.
type Channel struct {
	Settings  Settings
	Client    *Client
	Webhook   *Webhook
	Processor *Processor
	Sender    *Sender
}

// NewChannel wires the channel. Without a token or phone number id the
// workers do not run (Run only waits), so stored payloads and queued
// messages wait for a configured restart; without an app secret or verify
// token the webhook answers 503.
func NewChannel(o ChannelOptions) *Channel {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Tag == nil {
		o.Tag = newTagger()
	}
	client := NewClient(ClientOptions{BaseURL: o.APIBase, Token: o.Token, PhoneNumberID: o.PhoneNumberID, HTTPClient: o.HTTPClient})
	so := SenderOptions{
		Outbox: o.Backend, Store: o.Backend, Client: client,
		Rate: o.RatePerSecond, WindowTemplate: o.WindowTemplate, TemplateLanguage: o.TemplateLanguage,
		Tag: o.Tag, Logger: o.Logger, Failed: o.Hooks.SendFailed, GaveUp: o.Hooks.GaveUp,
	}
	if o.Sender != nil {
		o.Sender(&so)
	}
	sender := NewSender(so)
	po := ProcessorOptions{
		Inbox: o.Backend, Outbox: o.Backend, Dispatcher: o.Dispatcher, Media: client,
		MarkRead: sender.QueueRead, NeedsTemplate: sender.QueueTemplate,
		PhoneNumberID: o.PhoneNumberID, Tag: o.Tag, Logger: o.Logger, Quarantine: o.Quarantine,
	}
	if o.Processor != nil {
		o.Processor(&po)
	}
	proc := NewProcessor(po)
	c := &Channel{Settings: o.Settings, Client: client, Processor: proc, Sender: sender}
	c.Webhook = NewWebhook(WebhookOptions{
		AppSecret: o.AppSecret, VerifyToken: o.VerifyToken, Inbox: o.Backend,
		Stored: proc.Add, Logger: o.Logger, BadSignature: o.Hooks.BadSignature,
		Ready: func() error {
			if o.Ready != nil {
				if err := o.Ready(); err != nil {
					return err
				}
			}
			if c.Settings.canSend() && !proc.Running() {
				return errors.New("workers not running")
			}
			return nil
		},
	})
	return c
}

// Handler serves the webhook and the health endpoints.
func (c *Channel) Handler() http.Handler { return c.Webhook.Handler() }

// Wake tells the sender new messages are in the outbox (the engine calls
// it after a commit).
func (c *Channel) Wake() { c.Sender.Wake() }

// Run runs the inbox processor and the sender until ctx is cancelled and
// both have finished their in-flight work. Flush afterwards sends what the
// last turns queued.
func (c *Channel) Run(ctx context.Context) error {
	if !c.Settings.canSend() {
		<-ctx.Done()
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs[0] = c.Processor.Run(ctx) }()
	go func() { defer wg.Done(); errs[1] = c.Sender.Run(ctx) }()
	wg.Wait()
	return errors.Join(errs...)
}

// Flush sends what is due in the outbox, until ctx ends.
func (c *Channel) Flush(ctx context.Context) error {
	if !c.Settings.canSend() {
		return nil
	}
	return c.Sender.Flush(ctx)
}

var _ core.Channel = (*Channel)(nil)

// Window is WhatsApp's customer-service window: after a customer's last
// message, the business may send anything for 24 hours, then only templates.
const Window = 24 * time.Hour

// Name is the channel's name in messages and the outbox.
func (c *Channel) Name() string { return ChannelName }

// Capabilities says what a WhatsApp chat shows: 3 reply buttons of 20
// characters, lists of 10 rows of 24, 4,096 characters of text, images and
// documents, and the 24-hour customer-service window outside which only
// templates may be sent.
func (c *Channel) Capabilities() core.Capabilities {
	return core.Capabilities{
		MaxButtons: maxButtons, MaxButtonTitle: maxButtonTitle,
		MaxListRows: maxListRows, MaxRowTitle: maxRowTitle,
		MaxText: maxTextBody, Media: []string{"image", "document"},
		Window: Window, Templates: true,
	}
}

// Send delivers one message through the Graph API now; queued messages go
// through the Sender, which calls the same client.
func (c *Channel) Send(ctx context.Context, m core.Outbound) (string, error) {
	return c.Client.Send(ctx, m)
}
