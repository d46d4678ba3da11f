package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/channels/channeltest"
)

// FuzzToken: any string is a visitor only when it is a token we signed.
func FuzzToken(f *testing.F) {
	tk := tokens{secret: []byte(kitSecret)}
	f.Add(kitVisitorToken)
	f.Add(kitAnaToken)
	f.Add("ana.")
	f.Add(".x")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		contact, err := tk.contact(s)
		if err != nil {
			return
		}
		id := strings.TrimPrefix(contact, "web:")
		if tk.sign(id) != s {
			t.Fatalf("%q was taken for %s, whose token is %q", s, contact, tk.sign(id))
		}
	})
}

// FuzzMessage: whatever a page posts, the answer is a handled message or
// a 4xx refusal, never a 500 or a panic.
func FuzzMessage(f *testing.F) {
	for _, s := range []string{`{"text":"hi"}`, `{"reply_id":"yes","reply_title":"Yes"}`, `{"text":""}`, `[]`, `{"text":"\ud800"}`, `{"id":"../../x","text":"a"}`, `{"list":true}`} {
		f.Add([]byte(s))
	}
	rec := channeltest.NewRecorder()
	ch, err := New(Options{Secret: []byte(kitSecret), Dispatcher: rec, Outbox: rec, Store: rec,
		Limits: Limits{PerIP: 1e9, PerIPBurst: 1e9, PerContact: 1e9, PerContactBurst: 1e9}})
	if err != nil {
		f.Fatal(err)
	}
	h := ch.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/chat/api/messages", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+kitVisitorToken)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK && (w.Code < 400 || w.Code >= 500) {
			t.Fatalf("%q answered %d %s", body, w.Code, w.Body.String())
		}
	})
}
