package enginetest

import (
	"context"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Channel is a channel for tests that shows what it is told it can, and
// sends nothing (the engine's outbound messages are read from its turns).
type Channel struct {
	ChannelName string
	Caps        core.Capabilities
}

var _ core.Channel = Channel{}

// Name is the channel's name.
func (c Channel) Name() string { return c.ChannelName }

// Capabilities is what the test said.
func (c Channel) Capabilities() core.Capabilities { return c.Caps }

// Send does nothing.
func (c Channel) Send(context.Context, core.Outbound) (string, error) { return "", nil }

// WhatsAppLike is WhatsApp's capabilities, with its 24-hour window and
// templates, for a channel named name.
func WhatsAppLike(name string) Channel {
	return Channel{ChannelName: name, Caps: core.Capabilities{
		MaxButtons: 3, MaxButtonTitle: 20, MaxListRows: 10, MaxRowTitle: 24, MaxText: 4096,
		Media: []string{"image", "document"}, Window: 24 * time.Hour, Templates: true,
	}}
}
