package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/channeltest"
	"github.com/allmyleads/allmyleads/engine/core"
)

// kitSecret signs the visitors of the kit's cases: the tokens in
// testdata/kit were made with it (see TestKitTokens).
const kitSecret = "kit-secret-0123456789abcdef"

// kitVisitor is the visitor a case with "sign": true is: the subject adds
// its cookie, as the browser would.
const kitVisitor = "kitvisitor"

// kitSubject is the web chat wired to the kit's recorder, with its sender
// running.
type kitSubject struct{ ch *Channel }

func (s kitSubject) Channel() core.Channel { return s.ch }

func (s kitSubject) Do(t *testing.T, r channeltest.Request) channeltest.Response {
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	req := httptest.NewRequest(method, r.Path, bytes.NewReader([]byte(r.Body)))
	req.RemoteAddr = "192.0.2.10:5555"
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	if r.Sign {
		req.AddCookie(&http.Cookie{Name: CookieName, Value: s.ch.tokens.sign(kitVisitor)})
	}
	rec := httptest.NewRecorder()
	s.ch.Handler().ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return channeltest.Response{Status: rec.Code, Body: string(body)}
}

func newKitChannel(t *testing.T, rec *channeltest.Recorder) *Channel {
	t.Helper()
	n := 0
	ch, err := New(Options{
		Business: "Brightside Roofing & Painting", Secret: []byte(kitSecret),
		Dispatcher: rec, Outbox: rec, Store: rec,
		AllowedOrigins: []string{"https://brightside.example"},
		NewContactID:   func() string { n++; return "kitnew" + string(rune('0'+n)) },
		Clock:          func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// TestChannelKit runs the channel kit's contract and the web chat's cases
// of testdata/kit: a browser's requests in, messages out, every refusal
// with its status and nothing handed to the engine.
func TestChannelKit(t *testing.T) {
	channeltest.Run(t, channeltest.Harness{New: func(t *testing.T, rec *channeltest.Recorder) channeltest.Subject {
		ch := newKitChannel(t, rec)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = ch.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		return kitSubject{ch}
	}}, channeltest.LoadCases(t, "testdata/kit"))
}

// TestKitTokens keeps the tokens written in testdata/kit true to kitSecret.
func TestKitTokens(t *testing.T) {
	tk := tokens{secret: []byte(kitSecret)}
	for id, want := range map[string]string{
		"kitvisitor": kitVisitorToken,
		"ana":        kitAnaToken,
	} {
		if got := tk.sign(id); got != want {
			t.Errorf("token of %s = %s; testdata/kit has %s", id, got, want)
		}
	}
}

const (
	kitVisitorToken = "kitvisitor.gOlxL7_CZyUHJSB4HqHBi9tCB-rbJ8_5hntxAYA2fKo"
	kitAnaToken     = "ana.WNW52chRomSAUns3aDSfaGt7o6Mfskx7lOtUiWCVQZU"
)
