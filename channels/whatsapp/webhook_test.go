package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// memInbox is an in-memory core.Inbox for handler and processor tests
// that do not need bbolt.
type memInbox struct {
	mu    sync.Mutex
	items []core.InboxItem
	done  map[string]bool
	seen  map[string]bool
	next  int
	fail  error
	// attempts counts BeginInbox per id; it survives a "restart" (a new
	// processor over the same inbox), as the store's count does.
	attempts map[string]int
}

func newMemInbox() *memInbox {
	return &memInbox{done: map[string]bool{}, seen: map[string]bool{}}
}

func (m *memInbox) AddInbox(_ context.Context, channel string, body []byte, at time.Time) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return "", m.fail
	}
	m.next++
	id := time.Unix(int64(m.next), 0).UTC().Format("20060102150405")
	m.items = append(m.items, core.InboxItem{ID: id, Channel: channel, Body: bytes.Clone(body), Received: at})
	return id, nil
}

func (m *memInbox) PendingInbox(_ context.Context, limit int) ([]core.InboxItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []core.InboxItem
	for _, it := range m.items {
		if !m.done[it.ID] && len(out) < limit {
			out = append(out, it)
		}
	}
	return out, nil
}

func (m *memInbox) DoneInbox(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done[id] = true
	return nil
}

func (m *memInbox) Seen(_ context.Context, channel, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen[channel+"/"+id], nil
}

func (m *memInbox) BeginInbox(_ context.Context, id string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.attempts == nil {
		m.attempts = map[string]int{}
	}
	m.attempts[id]++
	return m.attempts[id], nil
}

func (m *memInbox) pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items) - len(m.done)
}

const testSecret = "app-secret-for-tests"

func signedRequest(body []byte, secret string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, WebhookPath, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if secret != "" {
		r.Header.Set(SignatureHeader, SignatureHeaderValue(secret, body))
	}
	return r
}

func TestWebhookVerify(t *testing.T) {
	w := NewWebhook(WebhookOptions{AppSecret: testSecret, VerifyToken: "verify-me", Inbox: newMemInbox()})
	h := w.Handler()
	cases := []struct {
		query  string
		status int
		body   string
	}{
		{"hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", 200, "1158201444"},
		{"hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", 403, "verification failed\n"},
		{"hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1", 403, "verification failed\n"},
		{"hub.challenge=1", 403, "verification failed\n"},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, WebhookPath+"?"+tc.query, nil))
		if rec.Code != tc.status || rec.Body.String() != tc.body {
			t.Errorf("%s: got %d %q, want %d %q", tc.query, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
	}
	unconfigured := NewWebhook(WebhookOptions{}).Handler()
	rec := httptest.NewRecorder()
	unconfigured.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, WebhookPath+"?hub.mode=subscribe&hub.verify_token=&hub.challenge=1", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "WHATSAPP_VERIFY_TOKEN") {
		t.Errorf("unconfigured: got %d %q", rec.Code, rec.Body.String())
	}
}

func TestWebhookReceive(t *testing.T) {
	good := mustRead(t, "testdata/webhooks/text.json")
	cases := []struct {
		name   string
		req    func() *http.Request
		status int
		stored bool
	}{
		{"signed", func() *http.Request { return signedRequest(good, testSecret) }, 200, true},
		{"missing signature", func() *http.Request { return signedRequest(good, "") }, 401, false},
		{"wrong secret", func() *http.Request { return signedRequest(good, "other") }, 401, false},
		{"signature without prefix", func() *http.Request {
			r := signedRequest(good, "")
			r.Header.Set(SignatureHeader, strings.TrimPrefix(SignatureHeaderValue(testSecret, good), "sha256="))
			return r
		}, 401, false},
		{"signature not hex", func() *http.Request {
			r := signedRequest(good, "")
			r.Header.Set(SignatureHeader, "sha256=zz")
			return r
		}, 401, false},
		{"body changed after signing", func() *http.Request {
			r := signedRequest(good, testSecret)
			r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(good, []byte("roof"), []byte("ROOF"), 1)))
			return r
		}, 401, false},
		{"re-encoded body", func() *http.Request {
			r := signedRequest(good, testSecret)
			r.Body = io.NopCloser(bytes.NewReader(bytes.ReplaceAll(good, []byte("\n"), nil)))
			return r
		}, 401, false},
		{"oversized", func() *http.Request {
			big := append([]byte(`{"object":"whatsapp_business_account","entry":[],"pad":"`), bytes.Repeat([]byte("x"), MaxWebhookBytes)...)
			big = append(big, `"}`...)
			return signedRequest(big, testSecret)
		}, 413, false},
		{"malformed JSON", func() *http.Request {
			return signedRequest([]byte(`{"object":"whatsapp_business_account","entry":[`), testSecret)
		}, 400, false},
		{"not an object", func() *http.Request { return signedRequest([]byte(`[1,2]`), testSecret) }, 400, false},
		{"wrong object", func() *http.Request {
			return signedRequest([]byte(`{"object":"page","entry":[]}`), testSecret)
		}, 400, false},
		{"entry not an array", func() *http.Request {
			return signedRequest([]byte(`{"object":"whatsapp_business_account","entry":{}}`), testSecret)
		}, 400, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inbox := newMemInbox()
			var notified, badSig atomic.Int32
			h := NewWebhook(WebhookOptions{AppSecret: testSecret, VerifyToken: "v", Inbox: inbox, Stored: func(core.InboxItem) { notified.Add(1) },
				BadSignature: func() { badSig.Add(1) }}).Handler()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.req())
			if rec.Code != tc.status {
				t.Fatalf("got %d %q, want %d", rec.Code, rec.Body.String(), tc.status)
			}
			if (badSig.Load() == 1) != (tc.status == http.StatusUnauthorized) {
				t.Errorf("BadSignature called %d times for a %d", badSig.Load(), tc.status)
			}
			stored := inbox.pending() == 1
			if stored != tc.stored || (notified.Load() == 1) != tc.stored {
				t.Fatalf("stored=%v notified=%d, want stored=%v", stored, notified.Load(), tc.stored)
			}
			if stored && !bytes.Equal(inbox.items[0].Body, good) {
				t.Error("stored bytes differ from the bytes received")
			}
		})
	}
}

func TestWebhookNotConfiguredOrFailing(t *testing.T) {
	body := mustRead(t, "testdata/webhooks/text.json")
	rec := httptest.NewRecorder()
	NewWebhook(WebhookOptions{Inbox: newMemInbox()}).Handler().ServeHTTP(rec, signedRequest(body, testSecret))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "WHATSAPP_APP_SECRET") {
		t.Errorf("no secret: got %d %q", rec.Code, rec.Body.String())
	}
	inbox := newMemInbox()
	inbox.fail = errors.New("disk full")
	rec = httptest.NewRecorder()
	NewWebhook(WebhookOptions{AppSecret: testSecret, Inbox: inbox}).Handler().ServeHTTP(rec, signedRequest(body, testSecret))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "disk full") {
		t.Errorf("store failure: got %d %q, want 500 without internals", rec.Code, rec.Body.String())
	}
	if got := (Settings{Token: "t"}).Missing(); strings.Join(got, ",") != "WHATSAPP_PHONE_NUMBER_ID,WHATSAPP_APP_SECRET,WHATSAPP_VERIFY_TOKEN" {
		t.Errorf("Missing: %v", got)
	}
}

func TestHealthAndReady(t *testing.T) {
	var notReady error = errors.New("store closed")
	var mu sync.Mutex
	h := NewWebhook(WebhookOptions{Ready: func() error { mu.Lock(); defer mu.Unlock(); return notReady }}).Handler()
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "store closed") {
		t.Errorf("readyz while not ready: %d %q", code, body)
	}
	mu.Lock()
	notReady = nil
	mu.Unlock()
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("readyz when ready: %d", code)
	}
}
