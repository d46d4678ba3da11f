// Package whatsapp is the WhatsApp Cloud API channel: the webhook handler
// that checks Meta's signature and stores raw payloads in the durable inbox,
// the payload types and parser that turn webhooks into core.Inbound
// messages and delivery statuses, the Graph API client (messages, media,
// read receipts) with its error classification, the inbox processor that
// hands messages to the engine, and the sender that drains the outbox under
// a rate limit with retries and the 24-hour window rule.
//
// The package knows Meta's wire format and nothing about flows: it imports
// the engine's types and interfaces only. It never logs message text, phone
// numbers, tokens or keys, nor message ids: a wamid carries the customer's
// number in base64. Contacts appear in logs as keyed hashes (Tag).
package whatsapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// ChannelName is the channel name of WhatsApp messages in the engine and store.
const ChannelName = "whatsapp"

// Envelope is the outer shape of every webhook Meta POSTs for a WhatsApp
// Business Account: one or more entries, each with one or more changes.
// The parser decodes it level by level, so errors can name the index of
// the entry, change and message at fault.
type Envelope struct {
	Object string            `json:"object"` // "whatsapp_business_account"
	Entry  []json.RawMessage `json:"entry"`  // Entry values
}

// Entry is one WhatsApp Business Account's part of a webhook.
type Entry struct {
	ID      string            `json:"id"`      // the WhatsApp Business Account id
	Changes []json.RawMessage `json:"changes"` // Change values
}

// Change is one subscribed field's update. Field "messages" carries
// messages and statuses, "smb_message_echoes" the business's messages from
// the WhatsApp Business app; the parser skips the others (group updates,
// template status, history...).
type Change struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"` // a Value when Field is "messages"
}

// Value is the body of a "messages" change.
type Value struct {
	MessagingProduct string            `json:"messaging_product"`
	Metadata         Metadata          `json:"metadata"`
	Contacts         []WireContact     `json:"contacts"`
	Messages         []json.RawMessage `json:"messages"` // WireMessage values
	Statuses         []json.RawMessage `json:"statuses"` // WireStatus values
	// MessageEchoes are the business's own messages typed in the WhatsApp
	// Business app on the same number (field smb_message_echoes, Meta's
	// coexistence): WireMessage values from the business To a customer.
	MessageEchoes []json.RawMessage `json:"message_echoes"`
	Errors        []WireError       `json:"errors"`
}

// Metadata names the business phone number a change is for.
type Metadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

// WireContact is the sender's profile as the webhook names it.
type WireContact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID   string `json:"wa_id"`
	UserID string `json:"user_id"` // the business-scoped user id (BSUID)
}

// WireMessage is one inbound message as Meta sends it. Exactly one of the
// type-named fields is set, the one Type names.
type WireMessage struct {
	From        string           `json:"from"`         // the phone number; absent for a username without one
	To          string           `json:"to,omitempty"` // an echo's recipient: the customer's number
	FromUserID  string           `json:"from_user_id"` // the business-scoped user id (BSUID)
	ID          string           `json:"id"`
	Timestamp   json.RawMessage  `json:"timestamp"`
	Type        string           `json:"type"`
	Text        *WireText        `json:"text,omitempty"`
	Image       *WireMedia       `json:"image,omitempty"`
	Document    *WireMedia       `json:"document,omitempty"`
	Audio       *WireMedia       `json:"audio,omitempty"`
	Video       *WireMedia       `json:"video,omitempty"`
	Sticker     *WireMedia       `json:"sticker,omitempty"`
	Location    *core.Location   `json:"location,omitempty"`
	Contacts    []WireCard       `json:"contacts,omitempty"`
	Interactive *WireInteractive `json:"interactive,omitempty"`
	Button      *WireButton      `json:"button,omitempty"`
	Reaction    *WireReaction    `json:"reaction,omitempty"`
	System      *WireSystem      `json:"system,omitempty"`
	Errors      []WireError      `json:"errors,omitempty"`
}

// WireText is a text message's content.
type WireText struct {
	Body string `json:"body"`
}

// WireMedia is an image, document, audio, video or sticker: a Graph API
// media id to download, never the bytes themselves.
type WireMedia struct {
	ID       string `json:"id"`
	MIMEType string `json:"mime_type"`
	SHA256   string `json:"sha256"` // base64 in webhooks
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

// WireCard is one shared contact card.
type WireCard struct {
	Name struct {
		FormattedName string `json:"formatted_name"`
		FirstName     string `json:"first_name"`
		LastName      string `json:"last_name"`
	} `json:"name"`
	Org struct {
		Company string `json:"company"`
	} `json:"org"`
	Phones []struct {
		Phone string `json:"phone"`
		WaID  string `json:"wa_id"`
		Type  string `json:"type"`
	} `json:"phones"`
	Emails []struct {
		Email string `json:"email"`
	} `json:"emails"`
}

// WireInteractive is the reply to an interactive message: a pressed reply
// button or a picked list row.
type WireInteractive struct {
	Type        string     `json:"type"` // button_reply, list_reply, nfm_reply...
	ButtonReply *WireReply `json:"button_reply,omitempty"`
	ListReply   *WireReply `json:"list_reply,omitempty"`
}

// WireReply is the id and title of a pressed button or picked row.
type WireReply struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

// WireButton is a template quick-reply button press.
type WireButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

// WireReaction is an emoji reaction to an earlier message.
type WireReaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
}

// WireSystem is a system notice such as a changed number.
type WireSystem struct {
	Body string `json:"body"`
	WaID string `json:"wa_id"`
	Type string `json:"type"`
}

// WireStatus is a delivery status report for a message the business sent.
type WireStatus struct {
	ID              string          `json:"id"`
	Status          string          `json:"status"`
	Timestamp       json.RawMessage `json:"timestamp"`
	RecipientID     string          `json:"recipient_id"`
	RecipientUserID string          `json:"recipient_user_id"`
	Callback        string          `json:"biz_opaque_callback_data"` // what the send set: our outbox id
	Errors          []WireError     `json:"errors,omitempty"`
}

// WireError is an error object inside a webhook.
type WireError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

// GraphError is a WhatsApp error reported in a webhook (on a status, a
// message or the change itself).
type GraphError struct {
	Code    int    `json:"code"`
	Title   string `json:"title,omitempty"`
	Message string `json:"message,omitempty"`
	Details string `json:"details,omitempty"`
}

// Status is a delivery status of an outbound message: sent, delivered,
// read or failed (others, such as deleted, are passed through as named).
type Status struct {
	MessageID string       `json:"message_id"`         // the wamid the send returned
	Callback  string       `json:"callback,omitempty"` // biz_opaque_callback_data: the outbox id of the send
	Recipient string       `json:"recipient"`          // the contact URN when it is a phone number or a BSUID
	Status    string       `json:"status"`
	Time      time.Time    `json:"time"`
	Errors    []GraphError `json:"errors,omitempty"`
}

// Batch is everything one webhook POST carries, in the order Meta sent it.
type Batch struct {
	PhoneNumberID string         `json:"phone_number_id"` // of the first messages change
	Messages      []core.Inbound `json:"messages"`
	Statuses      []Status       `json:"statuses"`
	Errors        []GraphError   `json:"errors,omitempty"` // change-level errors (value.errors)
	// Rejected are the messages and statuses that could not be read; their
	// batch-mates are handled all the same.
	Rejected []Rejected `json:"rejected,omitempty"`
}

// Rejected is one message or status of a batch that could not be read, with
// the error naming its field. Contact is the sender's URN when it could be
// read, so the channel can log its keyed hash.
type Rejected struct {
	Path    string `json:"path"`
	Error   string `json:"error"`
	Contact string `json:"contact,omitempty"`
}

// WhatsAppObject is the envelope's object for WhatsApp webhooks.
const WhatsAppObject = "whatsapp_business_account"

// ErrPayload marks a webhook body that is not a WhatsApp webhook in the
// documented shape. The message names the field.
var ErrPayload = errors.New("webhook payload")

// PayloadError says which field of a webhook body is wrong.
type PayloadError struct {
	Path string // e.g. entry[0].changes[1].value.messages[2].timestamp
	Msg  string
}

func (e *PayloadError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Is makes errors.Is(err, ErrPayload) true for every PayloadError.
func (e *PayloadError) Is(target error) bool { return target == ErrPayload }

func payloadErr(path, format string, a ...any) error {
	return &PayloadError{Path: path, Msg: fmt.Sprintf(format, a...)}
}

// jsonErr turns a decoding error of the value at path into a PayloadError
// naming the field inside it.
func jsonErr(path string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		p := path
		if te.Field != "" {
			if p != "" {
				p += "."
			}
			p += te.Field
		}
		return payloadErr(p, "want %s, got %s", jsonKind(te.Type), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return payloadErr(path, "invalid JSON at byte %d: %v", se.Offset, se)
	}
	return payloadErr(path, "%v", err)
}

// jsonKind names a Go type the way a JSON reader would.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		if t == reflect.TypeFor[json.RawMessage]() {
			return "JSON"
		}
		return "array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "object"
	default:
		return "number"
	}
}

// ParseWebhook parses a webhook body into the messages and statuses it
// carries. Changes of other fields than "messages" are skipped. A body that
// is not a WhatsApp webhook at all is an error; an entry, change, message or
// status that cannot be read is listed in Batch.Rejected and the rest is
// read all the same. Errors name the field:
// entry[0].changes[1].value.messages[2].timestamp: not a number.
func ParseWebhook(body []byte) (*Batch, error) {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, jsonErr("", err)
	}
	if env.Object != WhatsAppObject {
		return nil, payloadErr("object", "want %q, got %q", WhatsAppObject, env.Object)
	}
	b := &Batch{Messages: []core.Inbound{}, Statuses: []Status{}}
	for i, rawEntry := range env.Entry {
		var entry Entry
		path := fmt.Sprintf("entry[%d]", i)
		if err := decode(path, rawEntry, &entry); err != nil {
			b.reject(path, err, "")
			continue
		}
		for j, rawChange := range entry.Changes {
			var ch Change
			path := fmt.Sprintf("%s.changes[%d]", path, j)
			if err := decode(path, rawChange, &ch); err != nil {
				b.reject(path, err, "")
				continue
			}
			if ch.Field != "messages" && ch.Field != EchoField {
				continue
			}
			if err := parseValue(b, path+".value", ch.Value); err != nil {
				b.reject(path+".value", err, "")
			}
		}
	}
	return b, nil
}

// decode unmarshals one JSON value that must be present (not null).
func decode(path string, raw json.RawMessage, v any) error {
	if t := bytes.TrimSpace(raw); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return payloadErr(path, "missing")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return jsonErr(path, err)
	}
	return nil
}

// reject records one unreadable message or status of the batch.
func (b *Batch) reject(path string, err error, contact string) {
	msg := err.Error()
	var pe *PayloadError
	if errors.As(err, &pe) {
		path, msg = pe.Path, pe.Msg
	}
	b.Rejected = append(b.Rejected, Rejected{Path: path, Error: msg, Contact: contact})
}

func parseValue(b *Batch, path string, raw json.RawMessage) error {
	var v Value
	if err := decode(path, raw, &v); err != nil {
		return err
	}
	if b.PhoneNumberID == "" {
		b.PhoneNumberID = v.Metadata.PhoneNumberID
	}
	for _, e := range v.Errors {
		b.Errors = append(b.Errors, graphError(e))
	}
	for k, rawMsg := range v.Messages {
		path := fmt.Sprintf("%s.messages[%d]", path, k)
		var m WireMessage
		if err := decode(path, rawMsg, &m); err != nil {
			b.reject(path, err, "")
			continue
		}
		in, err := inbound(&v, &m, path)
		if err != nil {
			contact, _ := sender(&m, path)
			b.reject(path, err, contact)
			continue
		}
		b.Messages = append(b.Messages, in)
	}
	for k, rawEcho := range v.MessageEchoes {
		path := fmt.Sprintf("%s.message_echoes[%d]", path, k)
		var m WireMessage
		if err := decode(path, rawEcho, &m); err != nil {
			b.reject(path, err, "")
			continue
		}
		in, err := echo(&m, path)
		if err != nil {
			b.reject(path, err, "")
			continue
		}
		b.Messages = append(b.Messages, in)
	}
	for k, rawStatus := range v.Statuses {
		path := fmt.Sprintf("%s.statuses[%d]", path, k)
		var s WireStatus
		if err := decode(path, rawStatus, &s); err != nil {
			b.reject(path, err, "")
			continue
		}
		st, err := status(s, path)
		if err != nil {
			b.reject(path, err, "")
			continue
		}
		b.Statuses = append(b.Statuses, st)
	}
	return nil
}

func graphError(e WireError) GraphError {
	return GraphError{Code: e.Code, Title: e.Title, Message: e.Message, Details: e.ErrorData.Details}
}

// unixTime reads Meta's timestamps: strings of Unix seconds (a bare number
// is accepted too).
func unixTime(path string, raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, payloadErr(path, "missing")
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, payloadErr(path, "not a number")
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return time.Time{}, payloadErr(path, "not a number")
	}
	if n < 0 || n > 1<<40 {
		return time.Time{}, payloadErr(path, "out of range")
	}
	return time.Unix(n, 0).UTC(), nil
}

func status(s WireStatus, path string) (Status, error) {
	if s.ID == "" {
		return Status{}, payloadErr(path+".id", "missing")
	}
	if s.Status == "" {
		return Status{}, payloadErr(path+".status", "missing")
	}
	t, err := unixTime(path+".timestamp", s.Timestamp)
	if err != nil {
		return Status{}, err
	}
	st := Status{MessageID: s.ID, Recipient: s.RecipientID, Status: s.Status, Time: t, Callback: s.Callback}
	if u, err := core.NormalizeURN(s.RecipientID); err == nil && s.RecipientID != "" {
		st.Recipient = u // group ids and other non-numbers stay as sent
	} else if u, err := core.NormalizeURN(core.SchemeWhatsAppBSUID + ":" + s.RecipientUserID); err == nil && s.RecipientUserID != "" {
		st.Recipient = u
	}
	for _, e := range s.Errors {
		st.Errors = append(st.Errors, graphError(e))
	}
	return st, nil
}

// profileName finds the sender's profile name in the change's contacts:
// by wa_id or user_id, or the only contact when there is just one.
func profileName(v *Value, m *WireMessage) string {
	for _, c := range v.Contacts {
		if (m.From != "" && c.WaID == m.From) || (m.FromUserID != "" && c.UserID == m.FromUserID) {
			return c.Profile.Name
		}
	}
	if len(v.Contacts) == 1 {
		return v.Contacts[0].Profile.Name
	}
	return ""
}

func inbound(v *Value, m *WireMessage, path string) (core.Inbound, error) {
	if m.ID == "" {
		return core.Inbound{}, payloadErr(path+".id", "missing")
	}
	contact, err := sender(m, path)
	if err != nil {
		return core.Inbound{}, err
	}
	t, err := unixTime(path+".timestamp", m.Timestamp)
	if err != nil {
		return core.Inbound{}, err
	}
	in := core.Inbound{
		Channel:     ChannelName,
		Contact:     contact,
		ProfileName: profileName(v, m),
		ID:          m.ID,
		Time:        t,
	}
	content(&in, m)
	return in, nil
}

// EchoField is the webhook field of the business's messages from the
// WhatsApp Business app (coexistence).
const EchoField = "smb_message_echoes"

// echo reads a message the business sent from the WhatsApp Business app:
// an Inbound marked Echo whose Contact is the customer it went to.
func echo(m *WireMessage, path string) (core.Inbound, error) {
	if m.ID == "" {
		return core.Inbound{}, payloadErr(path+".id", "missing")
	}
	if m.To == "" {
		return core.Inbound{}, payloadErr(path+".to", "missing")
	}
	to, err := core.NormalizeURN(m.To)
	if err != nil || core.URNScheme(to) != core.SchemeWhatsApp {
		return core.Inbound{}, payloadErr(path+".to", "not a phone number")
	}
	t, err := unixTime(path+".timestamp", m.Timestamp)
	if err != nil {
		return core.Inbound{}, err
	}
	in := core.Inbound{Channel: ChannelName, Contact: to, ID: m.ID, Time: t, Echo: true}
	content(&in, m)
	in.Text = strings.TrimSpace(in.Text)
	if m.Type == "button" || m.Type == "interactive" {
		in.ReplyID = "" // the business's own message: never a customer's answer
	}
	if in.Kind == core.InImage || in.Kind == core.InDocument {
		in.Text = firstNonEmpty(in.Text, captionOf(in))
	}
	return in, nil
}

func captionOf(in core.Inbound) string {
	if len(in.Media) > 0 {
		return in.Media[0].Caption
	}
	return ""
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// content maps the message's type onto the engine's inbound kinds.
// sender is the URN of a message's sender: its phone number when it has
// one (from), else its business-scoped user id (from_user_id), as Meta sends
// for usernames without a number.
func sender(m *WireMessage, path string) (string, error) {
	switch {
	case m.From != "":
		u, err := core.NormalizeURN(m.From)
		if err != nil || core.URNScheme(u) != core.SchemeWhatsApp {
			return "", payloadErr(path+".from", "not a phone number")
		}
		return u, nil
	case m.FromUserID != "":
		u, err := core.NormalizeURN(core.SchemeWhatsAppBSUID + ":" + m.FromUserID)
		if err != nil {
			return "", payloadErr(path+".from_user_id", "not a business-scoped user id")
		}
		return u, nil
	}
	return "", payloadErr(path+".from", "missing (and no from_user_id)")
}

func content(in *core.Inbound, m *WireMessage) {
	media := func(kind core.InboundKind, w *WireMedia) {
		in.Kind = kind
		if w == nil {
			in.Kind = core.InUnsupported
			return
		}
		if kind == core.InImage {
			in.Text = w.Caption // the engine's contract: an image's Text is its caption
		}
		in.Media = []core.Media{{ID: w.ID, MIME: w.MIMEType, SHA256: w.SHA256, Caption: w.Caption, Filename: w.Filename}}
	}
	switch m.Type {
	case "text":
		in.Kind = core.InText
		if m.Text != nil {
			in.Text = m.Text.Body
		}
	case "image":
		media(core.InImage, m.Image)
	case "document":
		media(core.InDocument, m.Document)
	case "audio":
		media(core.InAudio, m.Audio)
	case "video":
		media(core.InVideo, m.Video)
	case "sticker":
		media(core.InSticker, m.Sticker)
	case "location":
		in.Kind = core.InLocation
		if m.Location == nil {
			in.Kind = core.InUnsupported
			return
		}
		loc := *m.Location
		in.Location = &loc
	case "contacts":
		in.Kind = core.InContacts
		in.Text = cardsSummary(m.Contacts)
	case "interactive":
		interactive(in, m.Interactive)
	case "button":
		in.Kind = core.InButton
		if m.Button == nil {
			in.Kind = core.InUnsupported
			return
		}
		in.ReplyID, in.ReplyTitle = m.Button.Payload, m.Button.Text
		if IsUnsubscribe(m.Button.Payload) {
			// A template's Unsubscribe quick reply is an opt-out: the
			// engine's opt-out keyword catches the text.
			in.Text = OptOutText
		}
	case "reaction":
		in.Kind = core.InReaction
		if m.Reaction != nil {
			in.Text = m.Reaction.Emoji
		}
	case "system":
		in.Kind = core.InSystem
		if m.System != nil {
			in.Text = m.System.Body
		}
	default: // unsupported, unknown, order, request_welcome...
		in.Kind = core.InUnsupported
	}
}

// OptOutText is the text an Unsubscribe quick reply is handed to the engine
// with: the first of the engine's default opt-out keywords.
const OptOutText = "STOP"

// IsUnsubscribe says whether a template quick-reply payload is an opt-out.
func IsUnsubscribe(payload string) bool {
	return strings.EqualFold(strings.TrimSpace(payload), "Unsubscribe")
}

func interactive(in *core.Inbound, w *WireInteractive) {
	in.Kind = core.InUnsupported
	if w == nil {
		return
	}
	switch {
	case w.Type == "button_reply" && w.ButtonReply != nil:
		in.Kind = core.InButton
		in.ReplyID, in.ReplyTitle = w.ButtonReply.ID, w.ButtonReply.Title
	case w.Type == "list_reply" && w.ListReply != nil:
		in.Kind = core.InList
		in.ReplyID, in.ReplyTitle = w.ListReply.ID, w.ListReply.Title
	}
}

// cardsSummary writes shared contact cards as one line each:
// "Lucía Gómez (Google): +1 (983) 555-2319".
func cardsSummary(cards []WireCard) string {
	lines := make([]string, 0, len(cards))
	for _, c := range cards {
		name := c.Name.FormattedName
		if name == "" {
			name = strings.TrimSpace(c.Name.FirstName + " " + c.Name.LastName)
		}
		if c.Org.Company != "" {
			name += " (" + c.Org.Company + ")"
		}
		var contact []string
		for _, p := range c.Phones {
			contact = append(contact, p.Phone)
		}
		for _, e := range c.Emails {
			contact = append(contact, e.Email)
		}
		line := name
		if len(contact) > 0 {
			line += ": " + strings.Join(contact, ", ")
		}
		lines = append(lines, strings.TrimSpace(line))
	}
	return strings.Join(lines, "\n")
}
