package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/owner"
	"github.com/allmyleads/allmyleads/owner/notify"
)

const (
	e2eOwner      = "447700900999"
	e2eHookSecret = "whsec-e2e-0123456789abcdef"
)

// hookReceiver is the business's CRM endpoint: it can be down (503), and
// keeps what it accepted.
type hookReceiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	down     bool
	attempts int
	got      []hookRequest
}

type hookRequest struct {
	event, delivery, signature string
	body                       []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.attempts++
		if r.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		r.got = append(r.got, hookRequest{req.Header.Get(notify.HeaderEvent), req.Header.Get(notify.HeaderDelivery), req.Header.Get(notify.HeaderSignature), body})
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) set(down bool) { r.mu.Lock(); r.down = down; r.mu.Unlock() }

func (r *hookReceiver) received() ([]hookRequest, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got), r.attempts
}

// verifySignature is the README's Go recipe.
func verifySignature(secret, header string, body []byte) bool {
	var ts, sig string
	for _, kv := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	return hmac.Equal([]byte(sig), []byte(hex.EncodeToString(mac.Sum(nil))))
}

// ownerMessage is a webhook from the owner's number.
func (h *harness) ownerMessage(typ string, content any) []byte {
	h.next++
	return envelope(map[string]any{
		"contacts": []any{map[string]any{"profile": map[string]any{"name": "Sam (owner)"}, "wa_id": e2eOwner}},
		"messages": []any{map[string]any{"from": e2eOwner, "id": fmt.Sprintf("wamid.owner.%03d", h.next), "timestamp": fmt.Sprint(time.Now().Unix()), "type": typ, typ: content}},
	})
}

// echo is a smb_message_echoes webhook: the owner wrote to the customer in
// the WhatsApp Business app.
func (h *harness) echo(text string) []byte {
	h.next++
	body, _ := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry": []any{map[string]any{"id": "987654321098765", "changes": []any{map[string]any{"field": "smb_message_echoes", "value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          map[string]any{"display_phone_number": "15550001111", "phone_number_id": graphtest.DefaultPhoneNumberID},
			"message_echoes": []any{map[string]any{"from": "15550001111", "to": e2eContact, "id": fmt.Sprintf("wamid.echo.%03d", h.next),
				"timestamp": fmt.Sprint(time.Now().Unix()), "type": "text", "text": map[string]any{"body": text}}},
		}}}}},
	})
	return body
}

// toOwner are the Graph API sends to the owner's number.
func toOwner(g *graphtest.Server) []graphtest.Request {
	var out []graphtest.Request
	for _, r := range g.Sent() {
		if r.Body["to"] == e2eOwner {
			out = append(out, r)
		}
	}
	return out
}

// TestServeAlertsEndToEnd: a signed webhook conversation that needs the
// owner's approval. The owner's phone gets the cards at the Graph API
// double and approves the quote with a button; the owner's reply from the
// WhatsApp Business app (an echo) hands the customer to them; the CRM's
// webhook, down the whole time, gets every event in order once it is
// back, each signed as the README says; the funnel counts the steps.
func TestServeAlertsEndToEnd(t *testing.T) {
	g := graphtest.New(t)
	rx := newHookReceiver(t)
	rx.set(true)
	cfg := e2eConfig(g, t.TempDir())
	cfg.Business.QuoteApproval = QuoteApproval{Always: true}
	cfg.Owner = OwnerConfig{WhatsApp: []string{"+" + e2eOwner}, Template: OwnerTemplate{Name: "allmyleads_alert"}}
	cfg.Console.PublicURL = "https://leads.example.com"
	cfg.Webhooks = []WebhookConfig{{URL: rx.srv.URL + "/allmyleads", Secret: e2eHookSecret}}
	h := startHarness(t, g, cfg, serverOptions{webhooks: func(o *notify.DelivererOptions) {
		o.Backoff, o.MaxBackoff, o.Poll = time.Millisecond, 5*time.Millisecond, 5*time.Millisecond
	}})

	// The owner says hello: the help answers, and their window opens.
	h.mustPost(h.ownerMessage("text", map[string]any{"body": "hi"}))
	h.settle()
	if o := toOwner(g); len(o) != 1 || !strings.Contains(fmt.Sprint(o[0].Body), "alert line") {
		t.Fatalf("owner's hello: %v", o)
	}

	photo := graphtest.JPEG("JPEG of a roof")
	sum := sha256.Sum256(photo)
	g.AddMedia("media-roof-1", "image/jpeg", photo)
	for _, step := range []string{"text: Hi", "button: Yes, that's fine", "text: Ana Lima", "text: ana@example.com", "button: Yes, call this one",
		"text: skip", "text: 12 High Street, Bristol BS1 4DJ", "button: Roofing", "text: Some tiles slipped in the storm.",
		"photo: front of the roof, about 40 m2", "text: done", "button: Yes"} {
		kind, arg, _ := strings.Cut(step, ": ")
		var body []byte
		switch kind {
		case "text":
			body, _ = h.message("text", map[string]any{"body": arg})
		case "button":
			r, err := reply(customerSends(g), arg)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = h.message("interactive", r)
		case "photo":
			body, _ = h.message("image", map[string]any{"id": "media-roof-1", "mime_type": "image/jpeg", "sha256": base64.StdEncoding.EncodeToString(sum[:]), "caption": arg})
		}
		h.mustPost(body)
		h.settle()
	}
	cards := toOwner(g)[1:]
	var summaries []string
	for _, c := range cards {
		in, _ := c.Body["interactive"].(map[string]any)
		if in == nil {
			t.Fatalf("a card is not interactive though the owner's window is open: %v", c.Body)
		}
		summaries = append(summaries, strings.SplitN(in["body"].(map[string]any)["text"].(string), "\n", 2)[0])
	}
	if want := []string{"*New lead: Ana Lima, Roofing*", "*Quote to approve: Ana Lima, Roofing: €3,327.50*"}; !slices.Equal(summaries, want) {
		t.Fatalf("cards %q, want %q", summaries, want)
	}
	if !strings.Contains(fmt.Sprint(cards[1].Body), "https://leads.example.com/console/leads/"+h.srv.rt.store.LeadID("whatsapp:"+e2eContact)) {
		t.Fatalf("the card does not link to the lead: %v", cards[1].Body)
	}

	// The owner taps Approve & send: the quote goes to Ana.
	approve, err := reply(cards, "Approve & send")
	if err != nil {
		t.Fatal(err)
	}
	h.mustPost(h.ownerMessage("interactive", approve))
	h.settle()
	if o := toOwner(g); !strings.Contains(fmt.Sprint(o[len(o)-1].Body), "Quote sent to Ana Lima") {
		t.Fatalf("owner's answer: %v", o[len(o)-1].Body)
	}
	accept, err := reply(customerSends(g), "Accept quote")
	if err != nil {
		t.Fatalf("the approved quote did not reach the customer: %v", err)
	}
	body, _ := h.message("interactive", accept)
	h.mustPost(body)
	h.settle()

	// The owner answers from the WhatsApp Business app: the customer is in
	// their hands, and the bot stays quiet when she writes.
	before := len(customerSends(g))
	h.mustPost(h.echo("Thanks Ana! I'll come by on Thursday to measure."))
	h.settle()
	body, _ = h.message("text", map[string]any{"body": "Great, see you then"})
	h.mustPost(body)
	h.settle()
	if n := len(customerSends(g)); n != before {
		t.Fatalf("the bot talked over the owner: %d new messages", n-before)
	}
	lead, err := h.srv.rt.store.Lead(context.Background(), h.srv.rt.store.LeadID("whatsapp:"+e2eContact))
	if err != nil {
		t.Fatal(err)
	}
	if lead.Lead.Stage != core.StageWaitingPerson || !slices.ContainsFunc(lead.Messages, func(m core.MessageRecord) bool { return m.Author == core.AuthorOwnerApp }) {
		t.Fatalf("after the echo: stage %s, messages %+v", lead.Lead.Stage, lead.Messages)
	}
	eventually(t, "the owner's cards for the acceptance and Ana's message", func() bool {
		o := toOwner(g)
		return len(o) >= 6 && strings.Contains(fmt.Sprint(o[len(o)-1].Body), "Ana Lima wrote")
	})

	// The CRM comes back: every event arrives, in order, signed.
	got, attempts := rx.received()
	if len(got) != 0 || attempts == 0 {
		t.Fatalf("while down: %d delivered, %d attempts", len(got), attempts)
	}
	rx.set(false)
	// Turn by turn: the description, the photo, "done", "Yes" (which
	// priced the quote, held for approval), the owner's approval, Ana's
	// acceptance, the owner's echo, Ana's message to the owner.
	want := []string{core.EventLeadCreated, core.EventMessageReceived, core.EventMessageReceived, core.EventMessageReceived,
		core.EventMessageReceived, core.EventQuoteAwaiting, core.EventQuoteSent, core.EventMessageReceived, core.EventQuoteAccepted, core.EventLeadHandoff, core.EventMessageReceived}
	eventually(t, "every webhook delivered", func() bool { got, _ = rx.received(); return len(got) >= len(want) })
	var types []string
	for _, r := range got {
		types = append(types, r.event)
		if !verifySignature(e2eHookSecret, r.signature, r.body) {
			t.Fatalf("%s: signature %q does not verify", r.event, r.signature)
		}
		var b notify.Body
		if err := json.Unmarshal(r.body, &b); err != nil || b.Type != r.event || b.Data.Lead.Name != "Ana Lima" {
			t.Fatalf("%s: body %s (%v)", r.event, r.body, err)
		}
	}
	if !slices.Equal(types, want) {
		t.Fatalf("webhook events\n got %v\nwant %v", types, want)
	}

	// The funnel: Ana reached and answered every question up to the quote.
	secret := owner.NewTokenSecret()
	if err := h.srv.rt.store.CreateToken(context.Background(), core.Token{Name: "e2e", Hash: owner.HashToken(secret), ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, h.url+"/api/v1/analytics/funnel", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var rep owner.FunnelReport
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil || rep.Conversations != 1 {
		t.Fatalf("funnel: %+v %v", rep, err)
	}
	steps := map[string]owner.FunnelRow{}
	for _, s := range rep.Steps {
		steps[s.Flow+"/"+s.Step] = s
	}
	for _, k := range []string{"consent/ask_consent", "collect_details/ask_name", "confirm_quote/show_quote"} {
		if s := steps[k]; s.Reached != 1 || s.Answered != 1 {
			t.Errorf("funnel %s: %+v, want reached and answered once", k, s)
		}
	}
	// Nothing for the owner's own number: their messages never entered a flow.
	if _, err := h.srv.rt.store.Session(context.Background(), "whatsapp:"+e2eOwner); err != nil {
		t.Fatal(err)
	} else if s, _ := h.srv.rt.store.Session(context.Background(), "whatsapp:"+e2eOwner); s != nil {
		t.Fatalf("the owner has a conversation: %+v", s)
	}
}

// customerSends are the Graph API sends to the customer.
func customerSends(g *graphtest.Server) []graphtest.Request {
	var out []graphtest.Request
	for _, r := range g.Sent() {
		if r.Body["to"] == e2eContact {
			out = append(out, r)
		}
	}
	return out
}

// TestWebhooksTestCommand: `allmyleads webhooks test URL` posts a signed
// sample the receiver can verify; a refusing receiver is a runtime failure.
func TestWebhooksTestCommand(t *testing.T) {
	rx := newHookReceiver(t)
	var out, errs strings.Builder
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errs, getenv: func(string) string { return "" }}
	cfgFile := writeFile(t, "allmyleads.yaml", []byte("webhooks:\n  - url: "+rx.srv.URL+"/hook\n    secret: "+e2eHookSecret+"\n"))
	if code := run(context.Background(), env, []string{"webhooks", "test", rx.srv.URL + "/hook", "--config", cfgFile}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	got, _ := rx.received()
	if len(got) != 1 || got[0].event != core.EventLeadCreated || !verifySignature(e2eHookSecret, got[0].signature, got[0].body) || !strings.Contains(string(got[0].body), `"test":true`) {
		t.Fatalf("received %+v", got)
	}
	rx.set(true)
	if code := run(context.Background(), env, []string{"webhooks", "test", rx.srv.URL + "/other", "--secret", "0123456789abcdef0"}); code != exitRuntime {
		t.Fatalf("a refused sample: exit %d", code)
	}
	if code := run(context.Background(), env, []string{"webhooks", "test", rx.srv.URL + "/other", "--config", cfgFile}); code != exitInput {
		t.Fatalf("an unknown URL without --secret: exit %d", code)
	}
}
