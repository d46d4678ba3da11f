package whatsapp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/allmyleads/allmyleads/channels/channeltest"
	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
	"github.com/allmyleads/allmyleads/engine/core"
)

// kitSubject is the WhatsApp channel wired to the kit's recorder and the
// Graph API double, with its processor running.
type kitSubject struct{ ch *Channel }

func (s kitSubject) Channel() core.Channel { return s.ch }

func (s kitSubject) Do(t *testing.T, r channeltest.Request) channeltest.Response {
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	path := r.Path
	if path == "" {
		path = WebhookPath
	}
	req := httptest.NewRequest(method, path, bytes.NewReader([]byte(r.Body)))
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	if r.Sign {
		req.Header.Set(SignatureHeader, SignatureHeaderValue(testSecret, []byte(r.Body)))
	}
	rec := httptest.NewRecorder()
	s.ch.Handler().ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return channeltest.Response{Status: rec.Code, Body: string(body)}
}

// TestChannelKit runs the channel kit's contract and the WhatsApp cases of
// testdata/kit: signed webhooks in, messages and statuses out.
func TestChannelKit(t *testing.T) {
	channeltest.Run(t, channeltest.Harness{New: func(t *testing.T, rec *channeltest.Recorder) channeltest.Subject {
		g := graphtest.New(t)
		ch := NewChannel(ChannelOptions{
			Settings: Settings{Token: g.Token(), PhoneNumberID: g.PhoneNumberID, AppSecret: testSecret, VerifyToken: "verify-me", APIBase: g.BaseURL()},
			Backend:  rec, Dispatcher: rec,
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = ch.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		return kitSubject{ch}
	}}, channeltest.LoadCases(t, "testdata/kit"))
}
