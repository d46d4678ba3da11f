package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/internal/golden"
	"github.com/allmyleads/allmyleads/owner/notify"
)

const (
	ana   = "whatsapp:447700900100"
	bob   = "whatsapp:447700900200"
	owner = "whatsapp:447700900999"
	crm   = "s3cr3t-crm"
)

// fixture is an engine over a real store whose turns are told to a
// Notifier with one owner number and one webhook.
type fixture struct {
	t  *testing.T
	h  *enginetest.Harness
	n  *notify.Notifier
	rx *receiver
}

func newFixture(t *testing.T, cfg engine.Config, tpl *core.Template) *fixture {
	t.Helper()
	f := &fixture{t: t, rx: newReceiver(t)}
	var channels core.Channels
	if err := channels.Register(whatsappLike{}); err != nil {
		t.Fatal(err)
	}
	hook := &lazyNotifier{}
	f.h = enginetest.New(t, enginetest.Options{Config: cfg, Channels: &channels, Notifier: hook})
	n, err := notify.New(notify.Options{
		Owners: []string{"+44 7700 900999"}, Template: tpl, ConsoleURL: "https://leads.example.com/",
		Webhooks: []notify.Webhook{{URL: f.rx.srv.URL + "/hooks/allmyleads?token=x", Secret: crm}},
		Leads:    f.h.Store, Windows: f.h.Store, NewID: (&enginetest.IDs{}).Next,
	})
	if err != nil {
		t.Fatal(err)
	}
	hook.n, f.n = n, n
	return f
}

// lazyNotifier lets the notifier be made after the store it reads.
type lazyNotifier struct{ n *notify.Notifier }

func (l *lazyNotifier) Notices(ctx context.Context, evs []core.Event) []core.Outbound {
	return l.n.Notices(ctx, evs)
}

// whatsappLike declares WhatsApp's capabilities under the test channel's
// name, so the engine renders buttons and keeps the 24-hour window.
type whatsappLike struct{}

func (whatsappLike) Name() string { return "whatsapp" }
func (whatsappLike) Capabilities() core.Capabilities {
	return core.Capabilities{MaxButtons: 3, MaxButtonTitle: 20, MaxListRows: 10, MaxRowTitle: 24, MaxText: 4096,
		Media: []string{"image", "document"}, Window: 24 * time.Hour, Templates: true}
}
func (whatsappLike) Send(context.Context, core.Outbound) (string, error) { return "", nil }

// say sends a customer's WhatsApp message.
func (f *fixture) say(contact, text string) []core.Outbound {
	f.t.Helper()
	in := f.h.Message(contact, text)
	in.Channel = "whatsapp"
	out := f.h.Send(in)
	f.h.Clock.Advance(time.Minute)
	return out
}

// converse runs the shipped quote conversation for Ana.
func (f *fixture) converse() {
	for _, text := range []string{"Hi", "yes", "Ana Lima", "ana@example.com", "1", "skip", "12 High Street, Bristol BS1 4DJ", "roofing", "Tiles slipped in the storm, about 40 m2 of roof."} {
		f.say(ana, text)
	}
	in := f.h.Photo(ana, photo(f.t), "front of the roof, about 40 m2")
	in.Channel = "whatsapp"
	f.h.Send(in)
	f.h.Clock.Advance(time.Minute)
	for _, text := range []string{"done", "yes"} {
		f.say(ana, text)
	}
}

func photo(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("../testdata/roof.jpg")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// leadNames replaces lead ids, keyed hashes that differ with each store's
// salt, by the customers' names.
func (f *fixture) leadNames(s string) string {
	return strings.NewReplacer(f.h.Store.LeadID(ana), "LEAD-ANA", f.h.Store.LeadID(bob), "LEAD-BOB").Replace(s)
}

// pending returns the queued notices of a channel.
func (f *fixture) pending(channel string) []core.OutboxItem {
	f.t.Helper()
	items, err := f.h.Store.PendingOutbound(context.Background(), channel, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []core.OutboxItem
	for _, it := range items {
		if it.Notice != nil {
			out = append(out, it)
		}
	}
	return out
}

// receiver is a business's webhook endpoint: it can be down, and keeps
// every request it answered.
type receiver struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	down bool
	got  []request
}

type request struct {
	event, delivery, signature string
	body                       []byte
	ok                         bool
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		rq := request{event: req.Header.Get(notify.HeaderEvent), delivery: req.Header.Get(notify.HeaderDelivery),
			signature: req.Header.Get(notify.HeaderSignature), body: body, ok: !r.down}
		r.got = append(r.got, rq)
		if r.down {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setDown(down bool) { r.mu.Lock(); r.down = down; r.mu.Unlock() }

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

// verify is the README's recipe for a receiver: split the header, compute
// HMAC-SHA256 of "t.body" with the secret, compare in constant time.
func verify(secret, header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	return hmac.Equal([]byte(hex.EncodeToString(m.Sum(nil))), []byte(sig))
}

// TestCardsAndWebhooksOfAConversation: the owner gets a card when Ana
// consented and described the job and when her quote waits for approval,
// with buttons and a link to the lead; the webhook gets every event, with
// a body that names the lead and its quote.
func TestCardsAndWebhooksOfAConversation(t *testing.T) {
	f := newFixture(t, engine.Config{QuoteApproval: engine.ApprovalRule{Always: true}}, &core.Template{Name: "allmyleads_alert", Language: "en"})
	f.converse()
	f.say(bob, "Hi")
	f.say(bob, "AGENT")
	f.say(bob, "Are you there?")

	var b strings.Builder
	for _, it := range f.pending("whatsapp") {
		fmt.Fprintf(&b, "to %s (%s) window %s\n%s\n", it.Contact, it.Kind, it.WindowUntil.Format(time.RFC3339), it.Text)
		for _, o := range it.Options {
			fmt.Fprintf(&b, "  [%s] %s\n", o.Title, o.ID)
		}
		if it.Template != nil {
			fmt.Fprintf(&b, "  template %s %q\n", it.Template.Name, it.Template.Params)
		}
		b.WriteString("\n")
	}
	golden.Check(t, "testdata/cards.golden", []byte(f.leadNames(b.String())))

	var types []string
	for _, it := range f.pending(core.WebhookChannel) {
		types = append(types, it.Notice.Event)
		if it.Notice.Event == core.EventQuoteAwaiting {
			var body map[string]any
			if err := json.Unmarshal([]byte(it.Notice.Body), &body); err != nil {
				t.Fatal(err)
			}
			pretty, _ := json.MarshalIndent(body, "", "  ")
			golden.Check(t, "testdata/quote.awaiting_approval.golden", []byte(f.leadNames(string(pretty)+"\n")))
		}
	}
	want := "lead.created message.received message.received message.received message.received quote.awaiting_approval lead.handoff"
	if got := strings.Join(types, " "); got != want {
		t.Fatalf("webhook events:\n got %s\nwant %s", got, want)
	}
}

// TestOwnerCommands: the owner's Approve & send press sends the held quote
// to Ana and is answered once, even when WhatsApp delivers it twice; a
// typed message from the owner gets the help and never reaches a flow;
// Take over and Hand back work from the cards.
func TestOwnerCommands(t *testing.T) {
	f := newFixture(t, engine.Config{QuoteApproval: engine.ApprovalRule{Always: true}}, nil)
	f.converse()
	cmds, next := f.commands()
	var approve string
	for _, it := range f.pending("whatsapp") {
		for _, o := range it.Options {
			if strings.HasPrefix(o.ID, "amlo:approve:") {
				approve = o.ID
			}
		}
	}
	if approve == "" {
		t.Fatal("no Approve & send button on the owner's cards")
	}
	press := core.Inbound{Channel: "whatsapp", Contact: "447700900999", ID: "wamid.owner1", Time: f.h.Clock.Now(), Kind: core.InButton, ReplyID: approve, ReplyTitle: "Approve & send"}
	for range 2 {
		if err := <-cmds.Submit(context.Background(), press); err != nil {
			t.Fatal(err)
		}
	}
	if s := f.h.Session(ana); s.Quote.Status != core.QuoteSent {
		t.Fatalf("quote %s after the owner approved, want sent", s.Quote.Status)
	}
	answers := f.answers()
	if len(answers) != 1 || !strings.Contains(answers[0], "Quote sent to Ana Lima") {
		t.Fatalf("answers to the owner: %q", answers)
	}
	hello := core.Inbound{Channel: "whatsapp", Contact: owner, ID: "wamid.owner2", Time: f.h.Clock.Now(), Kind: core.InText, Text: "yes"}
	if err := <-cmds.Submit(context.Background(), hello); err != nil {
		t.Fatal(err)
	}
	if len(next.got) != 0 {
		t.Fatalf("an owner's message reached the engine: %+v", next.got)
	}
	if a := f.answers(); len(a) != 2 || !strings.Contains(a[1], "alert line") {
		t.Fatalf("answers: %q", a)
	}
	lead := f.h.Store.LeadID(ana)
	for i, action := range []string{notify.ActionTakeOver, notify.ActionRelease} {
		in := core.Inbound{Channel: "whatsapp", Contact: owner, ID: fmt.Sprintf("wamid.owner%d", 3+i), Time: f.h.Clock.Now(), Kind: core.InButton, ReplyID: notify.ButtonID(action, lead, "")}
		if err := <-cmds.Submit(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		if got, want := f.h.Session(ana).Handoff, action == notify.ActionTakeOver; got != want {
			t.Fatalf("after %s: handoff %v", action, got)
		}
	}
	// A customer's message goes on to the engine.
	cust := f.h.Message(ana, "accept")
	cust.Channel = "whatsapp"
	<-cmds.Submit(context.Background(), cust)
	if len(next.got) != 1 {
		t.Fatalf("a customer's message did not reach the engine")
	}
	// The owner wrote: their window is open, so the next card goes as a card.
	last, _ := f.h.Store.LastInbound(context.Background(), owner)
	if last.IsZero() {
		t.Fatal("the owner's message did not open their window")
	}
}

// nextDispatcher records what Commands hands on.
type nextDispatcher struct{ got []core.Inbound }

func (d *nextDispatcher) Submit(_ context.Context, in core.Inbound) <-chan error {
	d.got = append(d.got, in)
	ch := make(chan error, 1)
	ch <- nil
	return ch
}

func (f *fixture) commands() (*notify.Commands, *nextDispatcher) {
	f.t.Helper()
	next := &nextDispatcher{}
	c, err := notify.NewCommands(notify.CommandOptions{
		Owners: []string{owner}, Next: next, Engine: f.h.Engine, Records: f.h.Store, Store: f.h.Store,
		Links: f.n.LeadURL, Clock: f.h.Clock.Now,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c, next
}

// answers are the messages to the owner that are not cards.
func (f *fixture) answers() []string {
	items, err := f.h.Store.PendingOutbound(context.Background(), "whatsapp", 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		if it.Contact == owner && it.Notice == nil {
			out = append(out, it.Text)
		}
	}
	return out
}

// TestReceiverDownForAnHourLosesNothing: while the receiver answers 503
// for an hour the deliveries wait, retried with growing waits and the same
// delivery id; once it is back every event arrives, in order, signed as
// the README says, and nothing is marked failed.
func TestReceiverDownForAnHourLosesNothing(t *testing.T) {
	f := newFixture(t, engine.Config{}, nil)
	f.rx.setDown(true)
	f.converse()
	f.say(ana, "accept")
	queued := f.pending(core.WebhookChannel)
	if len(queued) < 5 {
		t.Fatalf("%d deliveries queued", len(queued))
	}
	d := notify.NewDeliverer(notify.DelivererOptions{Outbox: f.h.Store, Webhooks: []notify.Webhook{{URL: f.rx.srv.URL + "/hooks/allmyleads?token=x", Secret: crm}}, Clock: f.h.Clock.Now})
	ctx := context.Background()
	for end := f.h.Clock.Now().Add(time.Hour); f.h.Clock.Now().Before(end); f.h.Clock.Advance(time.Minute) {
		d.Deliver(ctx)
	}
	down := f.rx.requests()
	if len(down) < 5 {
		t.Fatalf("%d attempts in an hour down, want retries", len(down))
	}
	for _, r := range down {
		if r.delivery != queued[0].Notice.DeliveryID {
			t.Fatalf("a later delivery was tried before the first: %s", r.event)
		}
	}
	f.rx.setDown(false)
	var delivered []request
	for i := 0; i < 120 && len(delivered) < len(queued); i++ {
		f.h.Clock.Advance(time.Minute)
		d.Deliver(ctx)
		delivered = delivered[:0]
		for _, r := range f.rx.requests() {
			if r.ok {
				delivered = append(delivered, r)
			}
		}
	}
	if n := len(f.pending(core.WebhookChannel)); n > 0 {
		t.Fatalf("%d deliveries still queued after the receiver came back", n)
	}
	if len(delivered) != len(queued) {
		t.Fatalf("%d delivered, %d queued", len(delivered), len(queued))
	}
	for i, r := range delivered {
		if r.delivery != queued[i].Notice.DeliveryID || r.event != queued[i].Notice.Event {
			t.Fatalf("delivery %d: %s %s, want %s %s (in order)", i, r.event, r.delivery, queued[i].Notice.Event, queued[i].Notice.DeliveryID)
		}
		if !verify(crm, r.signature, r.body) {
			t.Fatalf("delivery %d: signature %q does not verify", i, r.signature)
		}
		if err := notify.Verify(crm, r.signature, r.body, f.h.Clock.Now(), 0); err != nil {
			t.Fatal(err)
		}
		var body notify.Body
		if err := json.Unmarshal(r.body, &body); err != nil || body.Type != r.event || body.ID == "" || body.Data.Lead.ID == "" {
			t.Fatalf("body %s: %v", r.body, err)
		}
	}
	if verify("another secret", delivered[0].signature, delivered[0].body) {
		t.Fatal("a wrong secret verifies")
	}
	if failed, _ := f.h.Store.FailedNotices(ctx, 10); len(failed) != 0 {
		t.Fatalf("failed notices: %+v", failed)
	}
}

// TestDeliveryGivenUpAfterADay: a receiver that never answers gets each
// delivery for 24 hours, then it is marked failed (without the body) and
// the next one is tried.
func TestDeliveryGivenUpAfterADay(t *testing.T) {
	f := newFixture(t, engine.Config{}, nil)
	f.rx.setDown(true)
	f.converse()
	queued := f.pending(core.WebhookChannel)
	d := notify.NewDeliverer(notify.DelivererOptions{Outbox: f.h.Store, Webhooks: []notify.Webhook{{URL: f.rx.srv.URL + "/hooks/allmyleads?token=x", Secret: crm}}, Clock: f.h.Clock.Now})
	ctx := context.Background()
	for range 25 * 6 {
		d.Deliver(ctx)
		f.h.Clock.Advance(10 * time.Minute)
	}
	failed, err := f.h.Store.FailedNotices(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) == 0 || len(failed) > len(queued) {
		t.Fatalf("%d failed notices of %d queued", len(failed), len(queued))
	}
	last := failed[len(failed)-1] // the oldest: the first queued
	if last.Event != queued[0].Notice.Event || last.Delivery != queued[0].Notice.DeliveryID || strings.Contains(last.Target, "token") ||
		!strings.Contains(last.Error, "503") || last.Failed.Sub(last.Queued) < 24*time.Hour {
		t.Fatalf("failed notice %+v", last)
	}
	if err := f.h.Store.DismissNotice(ctx, last.ID, "owner"); err != nil {
		t.Fatal(err)
	}
}

// TestSignature checks Sign and Verify against a fixed vector.
func TestSignature(t *testing.T) {
	at := time.Unix(1764000000, 0)
	body := []byte(`{"id":"evt_1","type":"lead.created"}`)
	sig := notify.Sign("whsec", at, body)
	if want := "t=1764000000,v1=" + hexMAC("whsec", "1764000000."+string(body)); sig != want {
		t.Fatalf("Sign = %s, want %s", sig, want)
	}
	if err := notify.Verify("whsec", sig, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"wrong secret": notify.Verify("other", sig, body, at, 0),
		"changed body": notify.Verify("whsec", sig, append(body, ' '), at, 0),
		"too old":      notify.Verify("whsec", sig, body, at.Add(time.Hour), 5*time.Minute),
		"no header":    notify.Verify("whsec", "", body, at, 0),
	} {
		if err == nil {
			t.Errorf("%s verifies", name)
		}
	}
}

func hexMAC(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// TestButtonIDs round-trips the owner's button ids and refuses others.
func TestButtonIDs(t *testing.T) {
	id := notify.ButtonID(notify.ActionApprove, "lead1", "q_2")
	if a, l, q, ok := notify.ParseButton(id); !ok || a != notify.ActionApprove || l != "lead1" || q != "q_2" {
		t.Fatalf("ParseButton(%q) = %s %s %s %v", id, a, l, q, ok)
	}
	for _, bad := range []string{"", "yes", "amlo:", "amlo:approve:lead1", "amlo:drop:lead1", "amlo:takeover:", "amlo:takeover:a:b:c"} {
		if _, _, _, ok := notify.ParseButton(bad); ok {
			t.Errorf("ParseButton(%q) accepted", bad)
		}
	}
}
