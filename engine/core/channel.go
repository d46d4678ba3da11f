package core

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Capabilities say what a channel can show, so the engine renders a flow's
// messages to fit: buttons become a list or numbered text where there are
// too many or none, long text is split, media a channel cannot show become
// a link or a caption.
type Capabilities struct {
	MaxButtons     int           // reply buttons on one message; 0: none (options become a numbered list in the text)
	MaxButtonTitle int           // characters in a button's title; 0: no limit
	MaxListRows    int           // rows of a list message; 0: no list messages
	MaxRowTitle    int           // characters in a list row's title; 0: no limit
	MaxText        int           // characters in one text message; 0: no limit
	Media          []string      // outbound media kinds it shows: "image", "document"
	Window         time.Duration // the customer-service window after a customer's last message (WhatsApp: 24 h); 0: none
	Templates      bool          // it can send pre-approved templates outside the window
}

// CanShow says whether the channel shows outbound media of a kind.
func (c Capabilities) CanShow(kind string) bool { return slices.Contains(c.Media, kind) }

// Channel is one way customers reach the business (WhatsApp, the web chat,
// the terminal). channels/* implement it; the engine asks it what it can
// show, and its sender delivers what the engine queued in the outbox.
type Channel interface {
	// Name is the channel's name in messages and URNs' routing ("whatsapp").
	Name() string
	// Capabilities says what it can show.
	Capabilities() Capabilities
	// Send delivers one outbound message now and returns the provider's
	// message id. Channels that deliver through their own sender loop from
	// the outbox may also be driven by it.
	Send(ctx context.Context, m Outbound) (providerID string, err error)
}

// Dispatcher hands inbound messages to the engine, one contact in order and
// different contacts in parallel; the engine's Router implements it and
// channels call it.
type Dispatcher interface {
	// Submit queues a message; the channel receives the result once the
	// turn is committed (nil for a duplicate).
	Submit(ctx context.Context, in Inbound) <-chan error
}

// Channels is a registry of channels by name, kept by whoever wires the
// program (serve, chat, a test) and handed to the engine. It is safe for
// concurrent use.
type Channels struct {
	mu sync.RWMutex
	by map[string]Channel
}

// Register adds a channel; a second channel with the same name is an error.
func (r *Channels) Register(c Channel) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.by == nil {
		r.by = map[string]Channel{}
	}
	if _, dup := r.by[c.Name()]; dup {
		return fmt.Errorf("channel %q registered twice", c.Name())
	}
	r.by[c.Name()] = c
	return nil
}

// Get returns the channel with that name.
func (r *Channels) Get(name string) (Channel, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.by[name]
	return c, ok
}

// Names lists the registered channels, sorted.
func (r *Channels) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.by))
	for n := range r.by {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
