// Package stripetest is a test double of the Stripe API for the parts
// AllMyLeads uses, speaking Stripe's wire format: POST
// /v1/checkout/sessions (form-encoded, bearer key, Idempotency-Key) answers
// a checkout.session object; the double then makes the signed events
// Stripe would send (checkout.session.completed, .expired) and posts them
// to a webhook. It can be told to fail, and records what it was asked.
package stripetest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
)

// Key is the secret key the double accepts.
const Key = "sk_test_allmyleads"

// Session is a Checkout Session the double made, with the form it was
// made from.
type Session struct {
	ID       string
	Form     map[string]string // the request's form fields, as Stripe receives them
	Amount   int64
	Currency string
	Metadata map[string]string
	Locale   string
	URL      string
	Expires  int64
}

// Server is the double.
type Server struct {
	*httptest.Server
	t     testing.TB
	clock func() time.Time

	mu       sync.Mutex
	sessions []*Session
	byKey    map[string]*Session // Idempotency-Key -> the session it made
	fail     int                 // answer the next creates with this status
}

// New starts the double; it is closed when the test ends. clock stamps
// sessions and events (nil: time.Now).
func New(t testing.TB, clock func() time.Time) *Server {
	if clock == nil {
		clock = time.Now
	}
	s := &Server{t: t, clock: clock, byKey: map[string]*Session{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Fail makes the next checkout creations answer status (402, 500...) with
// Stripe's error body; 0 stops failing.
func (s *Server) Fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = status
}

// Sessions returns the sessions made so far.
func (s *Server) Sessions() []*Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Session(nil), s.sessions...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_"+randomID(8))
	if r.Header.Get("Authorization") != "Bearer "+Key {
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "Invalid API Key provided")
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/checkout/sessions" {
		writeError(w, http.StatusNotFound, "invalid_request_error", "Unrecognized request URL ("+r.Method+": "+r.URL.Path+")")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "Invalid content type "+ct)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != 0 {
		writeError(w, s.fail, "api_error", "the double was told to fail")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if cs := s.byKey[key]; key != "" && cs != nil {
		json.NewEncoder(w).Encode(s.object(cs, "open", "unpaid"))
		return
	}
	form := map[string]string{}
	for k, v := range r.PostForm {
		form[k] = v[0]
	}
	amount, err := strconv.ParseInt(form["line_items[0][price_data][unit_amount]"], 10, 64)
	if err != nil || form["mode"] != "payment" || form["line_items[0][price_data][currency]"] == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "Missing required param: line_items[0][price_data]")
		return
	}
	qty, _ := strconv.ParseInt(form["line_items[0][quantity]"], 10, 64)
	cs := &Session{ID: "cs_test_" + randomID(24), Form: form, Amount: amount * max(qty, 1), Currency: form["line_items[0][price_data][currency]"],
		Metadata: map[string]string{}, Locale: form["locale"]}
	for k, v := range form {
		if name, ok := strings.CutPrefix(k, "metadata["); ok {
			cs.Metadata[strings.TrimSuffix(name, "]")] = v
		}
	}
	cs.URL = s.URL + "/c/pay/" + cs.ID
	cs.Expires, _ = strconv.ParseInt(form["expires_at"], 10, 64)
	s.sessions = append(s.sessions, cs)
	if key != "" {
		s.byKey[key] = cs
	}
	json.NewEncoder(w).Encode(s.object(cs, "open", "unpaid"))
}

// object is the checkout.session JSON of a session.
func (s *Server) object(cs *Session, status, paymentStatus string) map[string]any {
	o := map[string]any{
		"id": cs.ID, "object": "checkout.session", "mode": "payment", "status": status, "payment_status": paymentStatus,
		"amount_total": cs.Amount, "amount_subtotal": cs.Amount, "currency": cs.Currency, "metadata": cs.Metadata,
		"client_reference_id": cs.Form["client_reference_id"], "locale": cs.Locale, "url": cs.URL,
		"expires_at": cs.Expires, "created": s.clock().Unix(), "livemode": false, "payment_intent": nil,
	}
	if paymentStatus == "paid" {
		o["payment_intent"] = "pi_test_" + strings.TrimPrefix(cs.ID, "cs_test_")[:16]
		o["url"] = nil
		o["status"] = "complete"
	}
	return o
}

// Event returns the JSON of an event of typ ("checkout.session.completed",
// "checkout.session.expired") about the session, as Stripe sends it.
func (s *Server) Event(typ string, cs *Session) []byte {
	status, pay := "complete", "paid"
	if typ == "checkout.session.expired" {
		status, pay = "expired", "unpaid"
	}
	obj := s.object(cs, status, pay)
	ev := map[string]any{
		"id": "evt_test_" + randomID(24), "object": "event", "api_version": stripe.APIVersion, "created": s.clock().Unix(),
		"livemode": false, "pending_webhooks": 1, "type": typ, "request": map[string]any{"id": nil, "idempotency_key": nil},
		"data": map[string]any{"object": obj},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		s.t.Fatal(err)
	}
	return b
}

// Sign returns the Stripe-Signature header of payload signed with secret
// at t, as Stripe computes it (t=...,v1=HMAC-SHA256 of "t.payload").
func Sign(payload []byte, secret string, t time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: t}).Header
}

// Deliver posts payload to url with a Stripe-Signature header (signature;
// "" sends none) and returns the status.
func Deliver(t testing.TB, url string, payload []byte, signature string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"type":%q,"message":%q}}`, typ, msg)
}

func randomID(n int) string {
	b := make([]byte, n/2+1)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}
