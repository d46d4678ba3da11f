package core

import "time"

// InboundKind says what a customer sent.
type InboundKind string

// The kinds of inbound message a channel can hand to the engine.
const (
	InText        InboundKind = "text"        // Text holds the body
	InButton      InboundKind = "button"      // ReplyID/ReplyTitle hold the pressed button (interactive button_reply or template quick reply)
	InList        InboundKind = "list"        // ReplyID/ReplyTitle hold the picked list row
	InImage       InboundKind = "image"       // Media holds the image(s); Text the caption
	InDocument    InboundKind = "document"    // Media holds the file
	InAudio       InboundKind = "audio"       //
	InVideo       InboundKind = "video"       //
	InSticker     InboundKind = "sticker"     //
	InLocation    InboundKind = "location"    // Location is set
	InContacts    InboundKind = "contacts"    // shared contact cards; Text holds a summary
	InReaction    InboundKind = "reaction"    // an emoji reaction; never advances a flow
	InUnsupported InboundKind = "unsupported" // a type the bot cannot read
	InSystem      InboundKind = "system"      // a system notice (number changed...); never answered
)

// Inbound is one message from a customer, as a channel hands it to the engine.
type Inbound struct {
	Channel     string // "whatsapp", "console"
	Contact     string // E.164 phone number, normalised by NormalizePhone
	ProfileName string // the name the customer's app shows, when known
	ID          string // the channel's message id; the exactly-once key with Channel
	Time        time.Time
	Kind        InboundKind
	Text        string // body, caption, or summary
	ReplyID     string // button / list id, or a template button payload
	ReplyTitle  string
	Media       []Media
	Location    *Location
	// Echo marks a message the business sent to the contact from another
	// app on the same number (the WhatsApp Business app, Meta's
	// coexistence): it is logged as the business's message (author
	// AuthorOwnerApp), puts the contact in a person's hands, and neither
	// opens the channel's window nor runs a flow. Contact is the customer.
	Echo bool `json:",omitempty"`
}

// AuthorOwnerApp is the author of the business's messages typed in the
// WhatsApp Business app (echoes), in the transcript.
const AuthorOwnerApp = "owner (WhatsApp app)"

// Media is an image or file, with its bytes when the channel downloaded them.
type Media struct {
	ID       string `json:"id"`               // the store's id (content hash) once stored; the channel's id before
	MIME     string `json:"mime"`             // e.g. image/jpeg
	SHA256   string `json:"sha256,omitempty"` // hex
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
	Size     int    `json:"size,omitempty"`
	Data     []byte `json:"-"`             // the bytes; never kept in session variables
	URL      string `json:"url,omitempty"` // outbound media by link
}

// Location is a shared map pin.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// OutboundKind says what the bot sends.
type OutboundKind string

// The kinds of outbound message.
const (
	OutText     OutboundKind = "text"
	OutButtons  OutboundKind = "buttons" // up to 3 reply buttons
	OutList     OutboundKind = "list"    // 4 to 10 options in a list
	OutImage    OutboundKind = "image"
	OutDocument OutboundKind = "document"
	OutTemplate OutboundKind = "template" // a pre-approved template (outside the 24 h window)
)

// Outbound is one message for a channel to deliver. The engine writes them
// to the store's outbox in the same transaction as the turn that made them.
type Outbound struct {
	ID       string       `json:"id"` // outbox id: unique, ordered per store
	Channel  string       `json:"channel"`
	Contact  string       `json:"contact"`
	Kind     OutboundKind `json:"kind"`
	Text     string       `json:"text,omitempty"` // body text (also of buttons and lists)
	Options  []Option     `json:"options,omitempty"`
	Button   string       `json:"button,omitempty"` // the list's open button label
	Media    *Media       `json:"media,omitempty"`  // image or document; Data is loaded from the store by id when sending
	Template *Template    `json:"template,omitempty"`
	ReplyTo  string       `json:"reply_to,omitempty"` // the inbound id this answers
	Author   string       `json:"author,omitempty"`   // the person who wrote it from the console ("" for the bot)
	// Notice is set on a message about the contact to someone else (an
	// owner's alert card, a webhook delivery): see Turn.Notices.
	Notice *Notice `json:"notice,omitempty"`
	// WindowUntil is when the 24 h customer-service window closes (the
	// contact's last inbound + 24 h); after it only templates may be sent.
	// Zero means unknown: send as is.
	WindowUntil time.Time `json:"window_until,omitzero"`
	Created     time.Time `json:"created"`
}

// Option is one button or list row of an outbound message.
type Option struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Template names a pre-approved WhatsApp template.
type Template struct {
	Name     string   `json:"name"`
	Language string   `json:"language"`
	Params   []string `json:"params,omitempty"` // body parameters in order
}
