package engine

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/allmyleads/allmyleads/engine/core"
)

// fallbackCapabilities are assumed for a channel the engine was not told
// about (Deps.Channels): the richest messages a flow can ask for, with
// WhatsApp's limits, and no conversation window.
func fallbackCapabilities() core.Capabilities {
	return core.Capabilities{MaxButtons: 3, MaxButtonTitle: 20, MaxListRows: 10, MaxRowTitle: 24, Media: []string{"image", "document"}}
}

// capabilities returns what the channel can show.
func (e *Engine) capabilities(channel string) core.Capabilities {
	if e.deps.Channels != nil {
		if c, ok := e.deps.Channels.Get(channel); ok {
			return c.Capabilities()
		}
	}
	return fallbackCapabilities()
}

// render fits one message a flow asked for to what the channel can show, so
// a flow is written once for every channel: options become buttons when
// there are few enough and their titles fit, else a list, else numbered
// lines in the text (the customer answers with the number or the words);
// media the channel cannot show become text; text longer than the channel
// takes is split at paragraph, line or word boundaries.
func render(o Outbound, caps core.Capabilities) []Outbound {
	switch o.Kind {
	case OutButtons, OutList:
		o = renderOptions(o, caps)
	case OutImage, OutDocument:
		if !caps.CanShow(string(o.Kind)) {
			o = mediaAsText(o)
		}
	}
	if o.Kind != OutText || caps.MaxText <= 0 || utf8.RuneCountInString(o.Text) <= caps.MaxText {
		return []Outbound{o}
	}
	var out []Outbound
	for _, part := range splitText(o.Text, caps.MaxText) {
		p := o
		p.Text = part
		out = append(out, p)
	}
	return out
}

// renderOptions picks buttons, a list or numbered text for a question with options.
func renderOptions(o Outbound, caps core.Capabilities) Outbound {
	n := len(o.Options)
	if o.Kind == OutButtons && n <= caps.MaxButtons && titlesFit(o.Options, caps.MaxButtonTitle) {
		return o
	}
	if n <= caps.MaxListRows {
		o.Kind = OutList
		if o.Button == "" {
			o.Button = "Choose"
		}
		o.Options = clipTitles(o.Options, caps.MaxRowTitle)
		return o
	}
	var b strings.Builder
	b.WriteString(o.Text)
	for i, opt := range o.Options {
		fmt.Fprintf(&b, "\n%d) %s", i+1, opt.Title)
	}
	return Outbound{ID: o.ID, Channel: o.Channel, Contact: o.Contact, Kind: OutText, Text: b.String(), ReplyTo: o.ReplyTo, WindowUntil: o.WindowUntil, Created: o.Created}
}

func titlesFit(opts []Option, max int) bool {
	if max <= 0 {
		return true
	}
	for _, o := range opts {
		if utf8.RuneCountInString(o.Title) > max {
			return false
		}
	}
	return true
}

// clipTitles shortens titles longer than max runes with an ellipsis.
func clipTitles(opts []Option, max int) []Option {
	if titlesFit(opts, max) {
		return opts
	}
	out := make([]Option, len(opts))
	for i, o := range opts {
		if r := []rune(o.Title); len(r) > max {
			o.Title = strings.TrimSpace(string(r[:max-1])) + "…"
		}
		out[i] = o
	}
	return out
}

// mediaAsText stands in for a photo or file on a channel without media.
func mediaAsText(o Outbound) Outbound {
	text := o.Text
	if o.Media != nil {
		text = strings.TrimSpace(o.Media.Caption + "\n[" + string(o.Kind) + " " + o.Media.Filename + "]")
	}
	return Outbound{ID: o.ID, Channel: o.Channel, Contact: o.Contact, Kind: OutText, Text: text, ReplyTo: o.ReplyTo, WindowUntil: o.WindowUntil, Created: o.Created}
}

// splitText cuts text into parts of at most max runes, preferring to cut
// after a blank line, then a line, then a space.
func splitText(text string, max int) []string {
	var parts []string
	for utf8.RuneCountInString(text) > max {
		r := []rune(text)
		head := string(r[:max])
		cut := -1
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := strings.LastIndex(head, sep); i > 0 {
				cut = i
				break
			}
		}
		if cut < 0 {
			cut = len(head)
		}
		parts = append(parts, strings.TrimRight(text[:cut], " \n"))
		text = strings.TrimLeft(text[cut:], " \n")
	}
	if text != "" || len(parts) == 0 {
		parts = append(parts, text)
	}
	return parts
}
