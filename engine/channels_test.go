package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

// fakeChannel is a channel that only declares what it can show.
type fakeChannel struct {
	name string
	caps core.Capabilities
}

func (c fakeChannel) Name() string                                        { return c.name }
func (c fakeChannel) Capabilities() core.Capabilities                     { return c.caps }
func (c fakeChannel) Send(context.Context, core.Outbound) (string, error) { return "", nil }

// TestShippedConversationOnEveryChannel plays the shipped quote
// conversation as a web chat visitor, a WhatsApp username without a number
// and a customer on a text-only channel: the same flows reach an accepted
// quote on each, with messages rendered for what each channel shows.
func TestShippedConversationOnEveryChannel(t *testing.T) {
	var channels core.Channels
	for _, c := range []fakeChannel{
		{"web", core.Capabilities{MaxButtons: 10, MaxListRows: 10, Media: []string{"image", "document"}}},
		{"whatsapp", core.Capabilities{MaxButtons: 3, MaxButtonTitle: 20, MaxListRows: 10, MaxRowTitle: 24, MaxText: 4096, Media: []string{"image", "document"}, Window: 24 * time.Hour, Templates: true}},
		{"sms", core.Capabilities{MaxText: 1600}},
	} {
		if err := channels.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		channel, contact string
		check            func(t *testing.T, out []core.Outbound)
	}{
		{"web", "web:k3J9x2", func(t *testing.T, out []core.Outbound) {
			for _, m := range out {
				if !m.WindowUntil.IsZero() {
					t.Fatalf("the web chat has no window, yet %q has one", m.Text)
				}
			}
			if !anyKind(out, core.OutButtons) {
				t.Error("no buttons on the web chat")
			}
			if tr := transcriptOf(out); strings.Contains(tr, "WhatsApp") || !strings.Contains(tr, "right here in this chat") || !strings.Contains(tr, "Which number should we call?") {
				t.Errorf("the web chat is worded for WhatsApp:\n%s", tr)
			}
		}},
		{"whatsapp", "whatsapp-bsuid:US.13491208655302741918", func(t *testing.T, out []core.Outbound) {
			for _, m := range out {
				if m.WindowUntil.IsZero() {
					t.Fatalf("WhatsApp message %q has no 24 h window", m.Text)
				}
				if m.Kind == core.OutButtons && len(m.Options) > 3 {
					t.Fatalf("%d WhatsApp buttons", len(m.Options))
				}
			}
		}},
		{"sms", "console:ana", func(t *testing.T, out []core.Outbound) {
			for _, m := range out {
				if m.Kind != core.OutText || len(m.Options) > 0 {
					t.Fatalf("a text-only channel got a %s with %d options", m.Kind, len(m.Options))
				}
			}
			if !strings.Contains(transcriptOf(out), "1) Yes, that's fine") {
				t.Error("the consent options are not numbered in the text")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.channel, func(t *testing.T) {
			h := enginetest.New(t, enginetest.Options{Channels: &channels})
			var all []core.Outbound
			for _, line := range shippedScript(t) {
				if line == "you: 1" && c.channel == "web" {
					line = "you: +44 7700 900123" // the web chat asks for the number: there is none to confirm
				}
				var in core.Inbound
				if caption, ok := strings.CutPrefix(line, "photo: - "); ok {
					in = h.Photo(c.contact, []byte("\xff\xd8\xff\xe0synthetic-jpeg-"+c.channel), caption)
				} else {
					in = h.Message(c.contact, strings.TrimPrefix(line, "you: "))
				}
				in.Channel = c.channel
				all = append(all, h.Send(in)...)
			}
			s := h.Session(c.contact)
			if s == nil || s.Contact != c.contact || s.Quote == nil || s.Quote.Status != engine.QuoteAccepted {
				t.Fatalf("conversation of %s did not end with an accepted quote:\n%s", c.contact, transcriptOf(all))
			}
			for _, m := range all {
				if m.Contact != c.contact || m.Channel != c.channel {
					t.Fatalf("message to %s on %s, want %s on %s", m.Contact, m.Channel, c.contact, c.channel)
				}
			}
			c.check(t, all)
		})
	}
}

func anyKind(out []core.Outbound, k core.OutboundKind) bool {
	for _, m := range out {
		if m.Kind == k {
			return true
		}
	}
	return false
}

func transcriptOf(out []core.Outbound) string { return enginetest.Format(out) }
