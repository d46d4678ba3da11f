package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
	"github.com/allmyleads/allmyleads/payments/stripetest"
)

// playScript plays a conversation script of testdata/serve (see
// quote.script) against the server, settling after each line.
func (h *harness) playScript(path string) {
	h.t.Helper()
	photo := graphtest.JPEG("JPEG of a roof")
	sum := sha256.Sum256(photo)
	f, err := os.Open(path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, arg, _ := strings.Cut(line, ": ")
		var body []byte
		switch kind {
		case "text":
			body, _ = h.message("text", map[string]any{"body": arg})
		case "button":
			r, err := reply(h.g.Sent(), arg)
			if err != nil {
				h.t.Fatal(err)
			}
			body, _ = h.message("interactive", r)
		case "photo":
			h.g.AddMedia("media-roof-1", "image/jpeg", photo)
			body, _ = h.message("image", map[string]any{"id": "media-roof-1", "mime_type": "image/jpeg",
				"sha256": base64.StdEncoding.EncodeToString(sum[:]), "caption": arg})
		}
		h.mustPost(body)
		h.settle()
	}
}

// sentTexts returns the texts sent to WhatsApp from the n-th request on.
func sentTexts(g *graphtest.Server, from int) string {
	var b strings.Builder
	for _, r := range g.Sent()[from:] {
		if text, ok := r.Body["text"].(map[string]any); ok {
			b.WriteString(text["body"].(string) + "\n")
		}
	}
	return b.String()
}

// TestServePayments: acceptance → a Stripe Checkout link (the double) for
// the 30% deposit → the signed completion webhook → the quote is
// deposit_paid with its payment record, and the customer is thanked; a
// replayed event and a badly signed one change nothing; the checkout's
// expiry is told once; an erasure keeps the payment without the customer.
func TestServePayments(t *testing.T) {
	g := graphtest.New(t)
	d := stripetest.New(t, nil)
	cfg := e2eConfig(g, t.TempDir())
	cfg.Payments.Deposit = "30%"
	cfg.Payments.StripeSecretKey, cfg.Payments.StripeAPIBase, cfg.Payments.StripeWebhookSecret = stripetest.Key, d.URL, "whsec_e2e"
	h := startHarness(t, g, cfg, serverOptions{})
	ctx := context.Background()

	h.playScript("testdata/serve/quote.script")
	sessions := d.Sessions()
	if len(sessions) != 1 {
		t.Fatalf("%d checkout sessions after the acceptance, want 1", len(sessions))
	}
	cs := sessions[0]
	quotes, err := h.srv.rt.store.Quotes(ctx, store.QuoteFilter{Contact: "+" + e2eContact})
	if err != nil || len(quotes) != 1 {
		t.Fatalf("quotes %+v %v", quotes, err)
	}
	q := quotes[0]
	if cs.Amount != (q.Total*30+50)/100 || cs.Currency != "eur" || cs.Metadata["quote_id"] != q.ID || cs.Metadata["kind"] != "deposit" || cs.Locale != "en" {
		t.Errorf("checkout session %+v for quote %s of %d", cs, q.ID, q.Total)
	}
	for k, v := range cs.Form {
		if strings.Contains(v, "Ana") || strings.Contains(v, e2eContact) || strings.Contains(v, "High Street") {
			t.Errorf("Stripe was sent personal data: %s=%s", k, v)
		}
	}
	if all := sentTexts(g, 0); !strings.Contains(all, "deposit of €998.25 securely here: "+cs.URL) {
		t.Fatalf("the customer got no payment link:\n%s", all)
	}

	hook := h.url + "/webhooks/stripe"
	event := d.Event("checkout.session.completed", cs)
	before := len(g.Sent())
	if code := stripetest.Deliver(t, hook, event, stripetest.Sign(event, "whsec_other", time.Now())); code != http.StatusBadRequest {
		t.Fatalf("a badly signed event: %d, want 400", code)
	}
	if p, _ := h.srv.rt.store.Payments(ctx, q.ID); len(p) != 0 {
		t.Fatalf("a badly signed event recorded %+v", p)
	}
	if code := stripetest.Deliver(t, hook, event, stripetest.Sign(event, "whsec_e2e", time.Now())); code != http.StatusOK {
		t.Fatalf("the completion: %d", code)
	}
	h.settle()
	if got := sentTexts(g, before); !strings.Contains(got, "We received your deposit of €998.25") {
		t.Errorf("the customer was not thanked: %q", got)
	}
	pays, err := h.srv.rt.store.Payments(ctx, q.ID)
	if err != nil || len(pays) != 1 {
		t.Fatalf("payments %+v %v", pays, err)
	}
	p := pays[0]
	if p.ID != "stripe:"+cs.ID || p.Amount != cs.Amount || p.Currency != "EUR" || p.Kind != "deposit" || p.Contact != "whatsapp:"+e2eContact ||
		p.ProviderIDs["checkout_session"] != cs.ID || !strings.HasPrefix(p.ProviderIDs["payment_intent"], "pi_test_") || p.ProviderIDs["event"] == "" {
		t.Errorf("payment record %+v", p)
	}
	stored, _, _ := h.srv.rt.store.Quote(ctx, q.ID)
	if stored.Status != core.QuoteDepositPaid || stored.PaymentRef != p.ID {
		t.Errorf("the quote after the payment: %s %q", stored.Status, stored.PaymentRef)
	}

	// Stripe delivers the event again: nothing changes, nothing is sent.
	before = len(g.Sent())
	if code := stripetest.Deliver(t, hook, event, stripetest.Sign(event, "whsec_e2e", time.Now())); code != http.StatusOK {
		t.Fatalf("the replay: %d", code)
	}
	h.settle()
	if pays, _ := h.srv.rt.store.Payments(ctx, q.ID); len(pays) != 1 || len(g.Sent()) != before {
		t.Errorf("the replay recorded %d payments and sent %d messages", len(pays), len(g.Sent())-before)
	}

	// An expired checkout is told once.
	expired := d.Event("checkout.session.expired", cs)
	for range 2 {
		if code := stripetest.Deliver(t, hook, expired, stripetest.Sign(expired, "whsec_e2e", time.Now())); code != http.StatusOK {
			t.Fatalf("expired: %d", code)
		}
		h.settle()
	}
	if n := strings.Count(sentTexts(g, before), "payment link for your quote has expired"); n != 1 {
		t.Errorf("the expiry was told %d times, want once", n)
	}

	// The owner sends the link for the balance; its payment settles the quote.
	if err := h.srv.rt.engine.SendPaymentLink(ctx, "whatsapp:"+e2eContact, q.ID, "owner"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	balance := d.Sessions()[1]
	if balance.Amount != q.Total-cs.Amount || balance.Metadata["kind"] != "full" {
		t.Errorf("the balance's checkout: %d (%s), want %d", balance.Amount, balance.Metadata["kind"], q.Total-cs.Amount)
	}
	before = len(g.Sent())
	event = d.Event("checkout.session.completed", balance)
	if code := stripetest.Deliver(t, hook, event, stripetest.Sign(event, "whsec_e2e", time.Now())); code != http.StatusOK {
		t.Fatalf("the balance: %d", code)
	}
	h.settle()
	if got := sentTexts(g, before); !strings.Contains(got, "We received your payment of €2,329.25") {
		t.Errorf("the balance was not thanked: %q", got)
	}
	if stored, _, _ := h.srv.rt.store.Quote(ctx, q.ID); stored.Status != core.QuotePaid {
		t.Errorf("after the balance the quote is %s", stored.Status)
	}

	// An erasure keeps the payment records, without the customer.
	if _, err := h.srv.rt.store.Erase(ctx, "+"+e2eContact, "owner"); err != nil {
		t.Fatal(err)
	}
	pays, _ = h.srv.rt.store.Payments(ctx, q.ID)
	if len(pays) != 2 || pays[0].Contact != "" || pays[1].Contact != "" || pays[0].Amount+pays[1].Amount != q.Total {
		t.Errorf("the payments after the erasure: %+v", pays)
	}
}

// TestPaymentLinkTemplate: without Stripe, a business's own payment page
// is linked for the whole quote.
func TestPaymentLinkTemplate(t *testing.T) {
	g := graphtest.New(t)
	cfg := e2eConfig(g, t.TempDir())
	cfg.Payments.LinkTemplate = "https://pay.brightside.example/{{ quote.id }}"
	h := startHarness(t, g, cfg, serverOptions{})
	h.playScript("testdata/serve/quote.script")
	quotes, _ := h.srv.rt.store.Quotes(context.Background(), store.QuoteFilter{Contact: "+" + e2eContact})
	if len(quotes) != 1 {
		t.Fatal("no quote")
	}
	if all := sentTexts(g, 0); !strings.Contains(all, "You can pay €3,327.50 securely here: https://pay.brightside.example/"+quotes[0].ID) {
		t.Errorf("no templated payment link:\n%s", all)
	}
}
