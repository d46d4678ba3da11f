package notify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// The webhook headers.
const (
	HeaderEvent     = "X-AllMyLeads-Event"
	HeaderDelivery  = "X-AllMyLeads-Delivery"
	HeaderSignature = "X-AllMyLeads-Signature"
)

// Body is a webhook delivery's JSON body.
type Body struct {
	ID        string    `json:"id"`   // the event's id: the same for every receiver
	Type      string    `json:"type"` // lead.created, quote.accepted...
	CreatedAt time.Time `json:"created_at"`
	Test      bool      `json:"test,omitempty"` // a sample from `allmyleads webhooks test`
	Data      Data      `json:"data"`
}

// Data is what a webhook says about the lead. contact.erased carries the
// lead's id only.
type Data struct {
	Lead    LeadData     `json:"lead"`
	Project *ProjectData `json:"project,omitempty"`
	Quote   *QuoteData   `json:"quote,omitempty"`
	Message *MessageData `json:"message,omitempty"`
	Reason  string       `json:"reason,omitempty"` // why, for lead.handoff and quote.awaiting_approval
}

// LeadData is the lead as the business knows it.
type LeadData struct {
	ID      string `json:"id"`
	URL     string `json:"url,omitempty"` // the lead in the console
	Name    string `json:"name,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Email   string `json:"email,omitempty"`
	Company string `json:"company,omitempty"`
	Address string `json:"address,omitempty"`
	Channel string `json:"channel,omitempty"`
	Stage   string `json:"stage,omitempty"`
}

// ProjectData is the job.
type ProjectData struct {
	ID          string `json:"id"`
	Service     string `json:"service,omitempty"`
	Description string `json:"description,omitempty"`
}

// QuoteData is a quote; amounts are integers in the currency's minor
// units (cents).
type QuoteData struct {
	ID         string           `json:"id"`
	Revision   int              `json:"revision"`
	Status     string           `json:"status"`
	Currency   string           `json:"currency"`
	Subtotal   int64            `json:"subtotal"`
	Discount   int64            `json:"discount"`
	Tax        int64            `json:"tax"`
	Total      int64            `json:"total"`
	ValidUntil *time.Time       `json:"valid_until,omitempty"`
	PaymentRef string           `json:"payment_ref,omitempty"`
	Items      []core.QuoteItem `json:"items"`
}

// MessageData is the customer's message of message.received.
type MessageData struct {
	ID   string    `json:"id"`
	Kind string    `json:"kind"`
	Text string    `json:"text,omitempty"`
	Time time.Time `json:"time"`
}

// BodyOf builds an event's webhook body.
func (n *Notifier) BodyOf(ev core.Event) Body {
	b := Body{ID: ev.ID, Type: ev.Type, CreatedAt: ev.Time.UTC(), Data: Data{Lead: LeadData{ID: ev.Lead}}}
	if ev.Type == core.EventContactErased {
		return b // nothing personal
	}
	l := &b.Data.Lead
	l.URL, l.Channel, l.Stage = n.LeadURL(ev.Lead), ev.Channel, ev.Stage
	if p := ev.Person; p != nil {
		l.Name, l.Phone, l.Email, l.Company, l.Address = p.Name, p.Phone, p.Email, p.Company, p.Address
	}
	if p := ev.Project; p != nil {
		b.Data.Project = &ProjectData{ID: p.ID, Service: p.Service, Description: p.Description}
	}
	if q := ev.Quote; q != nil && (ev.Type == core.EventPaymentReceived || strings.HasPrefix(ev.Type, "quote.") || ev.Type == core.EventLeadCreated || ev.Type == core.EventLeadUpdated) {
		qd := &QuoteData{ID: q.ID, Revision: q.Revision, Status: q.Status, Currency: q.Currency, Subtotal: q.Subtotal,
			Discount: q.Discount, Tax: q.Tax, Total: q.Total, PaymentRef: q.PaymentRef, Items: q.Items}
		if !q.ValidUntil.IsZero() {
			v := q.ValidUntil.UTC()
			qd.ValidUntil = &v
		}
		b.Data.Quote = qd
	}
	if m := ev.Message; m != nil && (ev.Type == core.EventMessageReceived || ev.Type == core.EventLeadHandoff) {
		b.Data.Message = &MessageData{ID: m.ID, Kind: string(m.Kind), Text: m.Text, Time: m.Time.UTC()}
		if b.Data.Message.Text == "" {
			b.Data.Message.Text = m.ReplyTitle
		}
	}
	if ev.Type == core.EventLeadHandoff || ev.Type == core.EventQuoteAwaiting {
		b.Data.Reason = ev.Reason
	}
	return b
}

// deliveries are an event's webhook deliveries, one per subscribed receiver.
func (n *Notifier) deliveries(ev core.Event) []core.Outbound {
	var out []core.Outbound
	var body []byte
	for _, w := range n.o.Webhooks {
		if !w.Wants(ev.Type) {
			continue
		}
		if body == nil {
			var err error
			if body, err = json.Marshal(n.BodyOf(ev)); err != nil {
				n.log.Error("notify: webhook body", "event", ev.Type, "err", err)
				return nil
			}
		}
		contact := ev.Contact
		if ev.Type == core.EventContactErased || contact == "" {
			contact = "lead:" + ev.Lead // the erased contact's number stays out of the outbox
		}
		out = append(out, core.Outbound{
			Channel: core.WebhookChannel, Contact: contact, Kind: core.OutWebhook, Created: ev.Time,
			Notice: &core.Notice{Event: ev.Type, EventID: ev.ID, Lead: ev.Lead, URL: w.URL, DeliveryID: n.o.NewID("dlv_"), Body: string(body)},
		})
	}
	return out
}

// Sign returns the X-AllMyLeads-Signature of a body sent at t:
// "t=UNIX,v1=HEX", HEX being the HMAC-SHA256 of "UNIX.BODY" under the
// webhook's secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// ErrSignature is returned by Verify for a delivery that is not signed
// with the secret, or was signed too long ago.
var ErrSignature = errors.New("webhook signature does not match")

// Verify checks a delivery's X-AllMyLeads-Signature header against the
// raw body, as a receiver written in Go would: the HMAC must match (any
// v1 of the header may) and t must be within tolerance of now (0: any
// age), which stops a captured delivery being replayed later.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: want t=UNIX,v1=HEX", ErrSignature)
	}
	if tolerance > 0 {
		if age := now.Sub(time.Unix(unix, 0)); age > tolerance || age < -tolerance {
			return fmt.Errorf("%w: signed %s ago", ErrSignature, age.Round(time.Second))
		}
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrSignature
}

func randomID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
