package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// clock is the store's clock in a case: it moves only when the case moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// start is when every case begins.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// env is one case's store as one test (the case or one of its subtests)
// uses it: helpers fail that test.
type env struct {
	t *testing.T
	*opened
	ctx context.Context
}

// opened is the store of a case: its folder, its clock and the open
// backend, shared by the case's subtests.
type opened struct {
	h     Harness
	dir   string
	clock *clock
	b     Backend // nil while closed
}

// open opens a new, empty store for the case; it is closed when the case
// ends unless the case closed it.
func open(t *testing.T, h Harness) *env {
	t.Helper()
	e := &env{t: t, opened: &opened{h: h, dir: t.TempDir(), clock: &clock{t: start}}, ctx: context.Background()}
	e.reopen()
	t.Cleanup(func() {
		if e.b != nil {
			e.b.Close()
		}
	})
	return e
}

// in returns the env for a subtest of the case: the same store, failing t.
func (e *env) in(t *testing.T) *env { return &env{t: t, opened: e.opened, ctx: e.ctx} }

// reopen closes the store if it is open and opens it again, as a restarted
// process would after a crash: every commit returned is durable.
func (e *env) reopen() {
	e.t.Helper()
	e.close()
	e.b = e.h.Open(e.t, e.dir, e.clock.Now)
	if e.b == nil {
		e.t.Fatal("Harness.Open returned no backend")
	}
}

// close closes the store.
func (e *env) close() {
	e.t.Helper()
	if e.b == nil {
		return
	}
	b := e.b
	e.b = nil
	if err := b.Close(); err != nil {
		e.t.Fatalf("close: %v", err)
	}
}

// raw closes the store and returns every byte it stored.
func (e *env) raw() []byte {
	e.t.Helper()
	e.close()
	return e.h.Raw(e.t, e.dir)
}

func (e *env) now() time.Time { return e.clock.Now() }

// commit commits a turn that must succeed.
func (e *env) commit(turn *core.Turn) {
	e.t.Helper()
	if err := e.b.Commit(e.ctx, turn); err != nil {
		e.t.Fatalf("commit: %v", err)
	}
}

// session returns a contact's session, failing on an error.
func (e *env) session(urn string) *core.Session {
	e.t.Helper()
	s, err := e.b.Session(e.ctx, urn)
	if err != nil {
		e.t.Fatalf("session of %s: %v", urn, err)
	}
	return s
}

// pending returns up to 1000 due items of a channel's outbox.
func (e *env) pending(channel string) []core.OutboxItem {
	e.t.Helper()
	items, err := e.b.PendingOutbound(e.ctx, channel, 1000)
	if err != nil {
		e.t.Fatalf("pending outbound of %s: %v", channel, err)
	}
	return items
}

// pendingInbox returns up to 1000 pending inbox items.
func (e *env) pendingInbox() []core.InboxItem {
	e.t.Helper()
	items, err := e.b.PendingInbox(e.ctx, 1000)
	if err != nil {
		e.t.Fatalf("pending inbox: %v", err)
	}
	return items
}

// seen says whether an inbound id was handled, failing on an error.
func (e *env) seen(channel, id string) bool {
	e.t.Helper()
	ok, err := e.b.Seen(e.ctx, channel, id)
	if err != nil {
		e.t.Fatalf("seen %s %s: %v", channel, id, err)
	}
	return ok
}

// texts lists the items' texts, for messages that compare as one string.
func texts(items []core.OutboxItem) string {
	var s []string
	for _, it := range items {
		s = append(s, it.Text)
	}
	return strings.Join(s, ",")
}

// ofContact keeps the items of one contact.
func ofContact(items []core.OutboxItem, urn string) []core.OutboxItem {
	var out []core.OutboxItem
	for _, it := range items {
		if it.Contact == urn {
			out = append(out, it)
		}
	}
	return out
}

// mediaID is the id a store gives a file: the hex SHA-256 of its bytes.
func mediaID(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// isNotFound says whether err wraps core.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, core.ErrNotFound) }

// customer is a made-up customer with personal data distinctive enough to
// be found in a byte scan.
type customer struct {
	URN     string // whatsapp:447700900NNN
	Digits  string // the URN's path: the phone number's digits
	Name    string
	Email   string
	Address string
	Text    string // what they write
}

// cust returns customer n (0 to 999); different n never share a string.
func cust(n int) customer {
	digits := fmt.Sprintf("447700900%03d", n)
	return customer{
		URN:     core.SchemeWhatsApp + ":" + digits,
		Digits:  digits,
		Name:    fmt.Sprintf("Quillon Marbleworth-%03d", n),
		Email:   fmt.Sprintf("quillon.marbleworth.%03d@example.test", n),
		Address: fmt.Sprintf("%03d Periwinkle Crescent", n),
		Text:    fmt.Sprintf("the violet conservatory roof leaks, case %03d", n),
	}
}

// secrets is the personal data of the customer that must never be stored
// in the clear.
func (c customer) secrets() []string {
	return []string{c.Name, c.Email, c.Address, c.Text, c.Digits}
}

// turn is the customer's text message with what a turn of the quote flow
// writes: the session after it, the contact record and one reply.
func (c customer) turn(id string, at time.Time) *core.Turn {
	return &core.Turn{
		Inbound: &core.Inbound{Channel: "whatsapp", Contact: c.URN, ProfileName: c.Name, ID: id, Time: at, Kind: core.InText, Text: c.Text},
		Session: &core.Session{
			Contact: c.URN, Channel: "whatsapp", Flow: "quote", Step: "ask_email", Waiting: true,
			Vars: map[string]any{
				"lead":    map[string]any{"name": c.Name, "email": c.Email, "address": c.Address},
				"project": map[string]any{"service": "roofing", "description": c.Text},
			},
			Started: at, Updated: at, LastInbound: at,
		},
		Contact: &core.Contact{URN: c.URN, Phone: "+" + c.Digits, ProfileName: c.Name, Name: c.Name, Email: c.Email, Address: c.Address,
			Status: "details", Created: at, Updated: at, LastInbound: at},
		Outbound: []core.Outbound{c.reply("Thanks "+c.Name+", what is your email?", id, at)},
	}
}

// reply is a text to the customer on whatsapp.
func (c customer) reply(text, replyTo string, at time.Time) core.Outbound {
	return core.Outbound{Channel: "whatsapp", Contact: c.URN, Kind: core.OutText, Text: text, ReplyTo: replyTo, Created: at}
}

// botTurn is a turn the business started (no inbound message) that sends
// the texts to the customer on the channel.
func (c customer) botTurn(channel string, at time.Time, texts ...string) *core.Turn {
	turn := &core.Turn{}
	for _, x := range texts {
		o := c.reply(x, "", at)
		o.Channel = channel
		turn.Outbound = append(turn.Outbound, o)
	}
	return turn
}

// consentText is the words a customer is shown when asked for consent.
const consentText = "We keep your details for ninety days to prepare your quote"

// seeded is what seed wrote for a customer.
type seeded struct {
	inIDs   []string // inbound ids committed
	photo   string   // media id of the customer's photo
	pid     string   // provider id of the reply that was sent
	inboxID string   // the customer's webhook payload still pending
}

// seed commits a whole conversation's worth of records for the customer:
// a message with a photo, a project with a quote, a consent, opt events,
// an AI record and an audit entry; the first reply sent and delivered, the
// second still queued; and a webhook payload from the customer waiting in
// the inbox.
func (e *env) seed(c customer, prefix string) seeded {
	e.t.Helper()
	at := e.now()
	photo := photoOf(c)
	t1 := c.turn(prefix+".1", at)
	t1.Inbound.Kind = core.InImage
	t1.Inbound.Media = []core.Media{{ID: "channel-media-" + prefix, MIME: "image/jpeg", Filename: "roof.jpg", Caption: c.Text, Data: photo}}
	t1.Consents = []core.ConsentRecord{{ID: "c1", Contact: c.URN, Purpose: "quote", Text: consentText, PolicyVersion: "2026-01-01", Channel: "whatsapp", Granted: true, Time: at}}
	t1.OptEvents = []core.OptEvent{{Contact: c.URN, Keyword: "STOP", Channel: "whatsapp", Time: at}, {Contact: c.URN, OptIn: true, Keyword: "START", Channel: "whatsapp", Time: at}}
	t1.AI = []core.AIRecord{{ID: "ai1", Contact: c.URN, Time: at, Extractor: "offline", Outcome: "ok",
		Fields: map[string]core.FieldResult{"email": {Value: c.Email, Confidence: 1}}}}
	t1.Audit = []core.AuditEntry{{Time: at, Actor: "owner", Action: "correct", Contact: c.URN, Detail: "lead.email"}}
	e.commit(t1)
	s := seeded{inIDs: []string{prefix + ".1"}, photo: mediaID(photo), pid: "wamid.out." + c.Digits} // WhatsApp's ids encode the number

	t2 := c.turn(prefix+".2", at)
	t2.Project = &core.Project{ID: prefix + "-p1", Contact: c.URN, Service: "roofing", Description: c.Text,
		Photos: []core.Media{{ID: s.photo, MIME: "image/jpeg"}}, Status: "open", Created: at, Updated: at}
	t2.Quotes = []*core.QuoteRecord{{ID: prefix + "-q1", Contact: c.URN, ProjectID: prefix + "-p1", Status: core.QuoteSent, Currency: "EUR",
		Items: []core.QuoteItem{{Description: "slate tiles", Quantity: 1, UnitPrice: 50000, Total: 50000}}, Subtotal: 50000, Total: 50000,
		Inputs: map[string]any{"address": c.Address}, Notes: "call " + c.Name, Created: at, Updated: at}}
	e.commit(t2)
	s.inIDs = append(s.inIDs, prefix+".2")

	if err := e.b.MarkSent(e.ctx, t1.Outbound[0].ID, s.pid, at); err != nil {
		e.t.Fatalf("mark sent: %v", err)
	}
	if err := e.b.UpdateDelivery(e.ctx, s.pid, core.Delivery{Status: "delivered", Time: at}); err != nil {
		e.t.Fatalf("update delivery: %v", err)
	}
	id, err := e.b.AddInbox(e.ctx, "whatsapp", webhook(c), at)
	if err != nil {
		e.t.Fatalf("add inbox: %v", err)
	}
	s.inboxID = id
	return s
}

// photoOf is a customer's photo: bytes that carry a marker of the customer.
func photoOf(c customer) []byte {
	return bytes.Repeat([]byte("JPEG-photo-of-"+c.Digits+"-roof;"), 200)
}

// webhook is a WhatsApp Cloud API webhook body with one text message of
// the customer and their contact card.
func webhook(c customer) []byte {
	return []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{` +
		`"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550009999","phone_number_id":"106540352242922"},` +
		`"contacts":[{"profile":{"name":"` + c.Name + `"},"wa_id":"` + c.Digits + `"}],` +
		`"messages":[{"from":"` + c.Digits + `","id":"wamid.in.` + c.Digits + `","timestamp":"1772442000","type":"text","text":{"body":"` + c.Text + `"}}]}}]}]}`)
}

// exportDoc is the allmyleads-export/v1 document as the suite reads it.
type exportDoc struct {
	Format       string               `json:"format"`
	URN          string               `json:"urn"`
	Contact      *core.Contact        `json:"contact"`
	Conversation *core.Session        `json:"conversation"`
	Projects     []core.Project       `json:"projects"`
	Quotes       []core.QuoteRecord   `json:"quotes"`
	Revisions    []core.QuoteRecord   `json:"quote_revisions"`
	Consents     []core.ConsentRecord `json:"consents"`
	OptEvents    []core.OptEvent      `json:"opt_events"`
	Messages     []exportMessage      `json:"messages"`
	AIRecords    []core.AIRecord      `json:"ai_records"`
	Media        []struct {
		ID   string `json:"id"`
		MIME string `json:"mime"`
		Size int    `json:"size"`
	} `json:"media"`
	Audit []core.AuditEntry `json:"audit"`

	raw      []byte         // the document as the store returned it
	sections map[string]any // its top-level fields
}

// exportMessage is one entry of the export's message log.
type exportMessage struct {
	Direction  string          `json:"direction"`
	Channel    string          `json:"channel"`
	Contact    string          `json:"contact"`
	ID         string          `json:"id"` // the channel's id (in) or the outbox id (out)
	Kind       string          `json:"kind"`
	Text       string          `json:"text"`
	Media      []core.Media    `json:"media"`
	Status     string          `json:"status"`
	ProviderID string          `json:"provider_id"`
	Attempts   int             `json:"attempts"`
	ErrorCode  int             `json:"error_code"`
	Error      string          `json:"error"`
	History    []core.Delivery `json:"history"`
}

// export returns the customer's export document through Rights.Export.
func (e *env) export(c customer) *exportDoc {
	e.t.Helper()
	raw, name, err := e.b.Export(e.ctx, c.URN)
	if err != nil {
		e.t.Fatalf("export %s: %v", c.URN, err)
	}
	if name == "" {
		e.t.Errorf("export %s: no file name", c.URN)
	}
	doc := &exportDoc{raw: raw}
	if err := json.Unmarshal(raw, doc); err != nil {
		e.t.Fatalf("export %s: not the export document: %v\n%s", c.URN, err, raw)
	}
	if err := json.Unmarshal(raw, &doc.sections); err != nil {
		e.t.Fatalf("export %s: not a JSON object: %v", c.URN, err)
	}
	if doc.Format != "allmyleads-export/v1" || doc.URN != c.URN {
		e.t.Fatalf("export %s: format %q urn %q, want allmyleads-export/v1 and the contact", c.URN, doc.Format, doc.URN)
	}
	return doc
}

// message returns the export's log entry with the id (an inbound id or an
// outbox id).
func (d *exportDoc) message(t *testing.T, id string) exportMessage {
	t.Helper()
	for _, m := range d.Messages {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("the export has no message %s: %+v", id, d.Messages)
	return exportMessage{}
}

// notEmptyAfterErase are the export's sections that may hold something
// after an erasure: what the document is, whom it is about, and the audit
// log (by contact key).
var notEmptyAfterErase = map[string]bool{"format": true, "generated": true, "urn": true, "phone": true, "audit": true}

// held returns the export's sections that hold something about the
// contact, sorted.
func (d *exportDoc) held() []string {
	var out []string
	for k, v := range d.sections {
		if notEmptyAfterErase[k] || isEmpty(v) {
			continue
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// isEmpty says whether a JSON value holds nothing.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// assertNoneIn fails for every needle found in haystack.
func assertNoneIn(t *testing.T, what string, haystack []byte, needles ...string) {
	t.Helper()
	for _, n := range needles {
		if bytes.Contains(haystack, []byte(n)) {
			t.Errorf("%s: found %q", what, n)
		}
	}
}

// sameTime compares two times as instants.
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// sameSession compares a stored session with the one committed: times as
// instants, the rest by its JSON.
func sameSession(t *testing.T, got, want *core.Session) {
	t.Helper()
	if got == nil {
		t.Fatalf("no session, want %+v", want)
	}
	g, w := *got, *want
	sameTime(t, "session started", g.Started, w.Started)
	sameTime(t, "session updated", g.Updated, w.Updated)
	sameTime(t, "session last inbound", g.LastInbound, w.LastInbound)
	g.Started, g.Updated, g.LastInbound = time.Time{}, time.Time{}, time.Time{}
	w.Started, w.Updated, w.LastInbound = time.Time{}, time.Time{}, time.Time{}
	if gj, wj := jsonOf(t, g), jsonOf(t, w); gj != wj {
		t.Errorf("session\n got %s\nwant %s", gj, wj)
	}
}

// sameOutbound compares an outbox item with the message committed.
func sameOutbound(t *testing.T, got, want core.Outbound) {
	t.Helper()
	sameTime(t, "outbound "+want.Text+" created", got.Created, want.Created)
	sameTime(t, "outbound "+want.Text+" window", got.WindowUntil, want.WindowUntil)
	got.Created, got.WindowUntil = time.Time{}, time.Time{}
	want.Created, want.WindowUntil = time.Time{}, time.Time{}
	if gj, wj := jsonOf(t, got), jsonOf(t, want); gj != wj {
		t.Errorf("outbox item\n got %s\nwant %s", gj, wj)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
