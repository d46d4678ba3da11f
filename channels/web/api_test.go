package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/web"
)

// browser is a visitor's page spoken as HTTP.
type browser struct {
	t     *testing.T
	s     *chatServer
	token string
}

func newBrowser(t *testing.T, s *chatServer) *browser {
	t.Helper()
	res, err := http.Get(s.url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`data-token="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no token on the page:\n%s", body)
	}
	return &browser{t: t, s: s, token: string(m[1])}
}

// do sends an API request; it returns the status, the decoded error code
// (if any) and the response.
func (b *browser) do(method, path string, body []byte, header map[string]string) (int, string, *http.Response) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.s.url+"api/"+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+b.token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var e struct{ Error, Message string }
	if res.StatusCode >= 400 {
		if err := json.Unmarshal(raw, &e); err != nil || e.Message == "" || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			b.t.Errorf("%s %s: %d answered %q, not a JSON error with a message", method, path, res.StatusCode, raw)
		}
	}
	return res.StatusCode, e.Error, res
}

func (b *browser) say(id, text string) (int, string) {
	b.t.Helper()
	body, _ := json.Marshal(map[string]string{"id": id, "text": text})
	code, errCode, _ := b.do(http.MethodPost, "messages", body, nil)
	return code, errCode
}

// events opens the live connection and delivers its messages' ids and texts.
func (b *browser) events(ctx context.Context) <-chan [2]string {
	b.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.s.url+"api/events", nil)
	req.Header.Set("Authorization", "Bearer "+b.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		b.t.Fatalf("events: %v %v", err, res)
	}
	out := make(chan [2]string, 64)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m struct{ ID, Text string }
				_ = json.Unmarshal([]byte(data), &m)
				out <- [2]string{m.ID, m.Text}
			}
		}
	}()
	return out
}

func next(t *testing.T, ch <-chan [2]string) [2]string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(15 * time.Second):
		t.Fatal("no message over the live connection")
		return [2]string{}
	}
}

// TestRateLimits: past its burst a visitor is answered 429 with
// Retry-After and a JSON reason, and the message reaches no engine; its
// address has its own, larger allowance.
func TestRateLimits(t *testing.T) {
	s := startChatServerWith(t, web.Options{Limits: web.Limits{PerContact: 1, PerContactBurst: 2, PerIP: 1, PerIPBurst: 5, ConnectPerIP: 100, ConnectPerIPBurst: 100}})
	a := newBrowser(t, s)
	for i, want := range []int{200, 200, 429} {
		code, errCode := a.say("a"+string(rune('0'+i)), "hello")
		if code != want || (want == 429 && errCode != "rate_limited") {
			t.Fatalf("message %d: %d %s, want %d", i+1, code, errCode, want)
		}
	}
	_, _, res := a.do(http.MethodPost, "messages", []byte(`{"text":"again"}`), nil)
	if res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	b := newBrowser(t, s) // the same address: every try counted, one more, then the address is refused
	if code, _ := b.say("b0", "hi"); code != 200 {
		t.Fatalf("a second visitor's first message: %d", code)
	}
	if code, errCode := b.say("b1", "hi"); code != 429 || errCode != "rate_limited" {
		t.Fatalf("past the address's burst: %d %s", code, errCode)
	}
	if sess := s.h.Session("web:visitor1"); sess == nil {
		t.Fatal("the first visitor's messages were not handled")
	}
}

// TestPhotos: JPEG, PNG and WebP are taken by their bytes, up to 5 MiB;
// past it 413, anything else 400; nothing refused reaches the engine.
func TestPhotos(t *testing.T) {
	s := startChatServer(t)
	v := newBrowser(t, s)
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	webp := append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), make([]byte, 32)...)
	jpegCap := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 5<<20-11)...)
	for _, c := range []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"png", pngBytes.Bytes(), 200, ""},
		{"webp", webp, 200, ""},
		{"jpeg of exactly 5 MiB", jpegCap, 200, ""},
		{"one byte more", append(jpegCap, 0), 413, "too_large"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"), 400, "unsupported_media"},
		{"html named a photo", []byte("<html><script>alert(1)</script>"), 400, "unsupported_media"},
		{"nothing", nil, 400, "empty"},
	} {
		code, errCode, _ := v.do(http.MethodPost, "photos?id="+strings.ReplaceAll(c.name, " ", "-"), c.body, map[string]string{"Content-Type": "image/jpeg"})
		if code != c.status || errCode != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, code, errCode, c.status, c.code)
		}
	}
	sess := s.h.Session("web:visitor1")
	if sess == nil {
		t.Fatal("no conversation")
	}
}

// TestVisitorsReadOnlyTheirOwn: a visitor's live connection carries its
// own messages only, and acknowledging another's message changes nothing.
func TestVisitorsReadOnlyTheirOwn(t *testing.T) {
	s := startChatServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := newBrowser(t, s), newBrowser(t, s)
	aEvents, bEvents := a.events(ctx), b.events(ctx)
	if code, _, _ := a.do(http.MethodPost, "start", nil, nil); code != 200 {
		t.Fatalf("start: %d", code)
	}
	welcome := next(t, aEvents)
	if !strings.Contains(welcome[1], "Welcome") {
		t.Fatalf("first message %q", welcome[1])
	}
	body, _ := json.Marshal(map[string][]string{"ids": {welcome[0]}})
	if code, _, _ := b.do(http.MethodPost, "ack", body, nil); code != http.StatusNoContent {
		t.Fatalf("ack: %d", code)
	}
	pending, err := s.h.Store.PendingOutbound(context.Background(), web.ChannelName, 10)
	if err != nil || len(pending) == 0 || pending[0].ID != welcome[0] {
		t.Fatalf("another visitor's ack removed the message: %v %v", pending, err)
	}
	if code, _, _ := b.do(http.MethodPost, "start", nil, nil); code != 200 {
		t.Fatal("b's start")
	}
	if m := next(t, bEvents); m[0] == welcome[0] || !strings.Contains(m[1], "Welcome") {
		t.Fatalf("b received %v", m)
	}
	if code, _, _ := a.do(http.MethodPost, "ack", body, nil); code != http.StatusNoContent {
		t.Fatal("a's ack")
	}
	if pending, _ := s.h.Store.PendingOutbound(context.Background(), web.ChannelName, 10); len(pending) > 0 && pending[0].Contact == "web:visitor1" && pending[0].ID == welcome[0] {
		t.Error("the visitor's own ack did not count")
	}
}

// TestPageHeaders: the page may be framed by its own origin and the
// allowed sites only, runs only its own script, and a new visitor gets a
// cookie limited to the chat.
func TestPageHeaders(t *testing.T) {
	s := startChatServerWith(t, web.Options{AllowedOrigins: []string{"https://www.brightside.example/"}})
	res, err := http.Get(s.url + "?embed=1")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'self' https://www.brightside.example", "script-src 'self'", "default-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	ck := res.Cookies()
	if len(ck) != 1 || ck[0].Name != web.CookieName || ck[0].Path != "/chat/" || !ck[0].HttpOnly {
		t.Errorf("cookies %v", ck)
	}
	for _, want := range []string{`class="embed"`, `aria-live="polite"`, `<label for="text"`, `aria-label="Send a photo"`, `aria-label="Close the chat"`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("the embedded page lacks %s", want)
		}
	}
	if bytes.Contains(body, []byte("http://")) || bytes.Contains(body, []byte("https://")) {
		t.Error("the page loads something from another site")
	}
}

// TestAbsentVisitor: a reply for a visitor with no page open waits for
// them; a week on it is recorded as failed instead of waiting for ever.
func TestAbsentVisitor(t *testing.T) {
	failed := make(chan string, 4)
	s := startChatServerWith(t, web.Options{Hooks: web.Hooks{Failed: func(code string) { failed <- code }}})
	v := newBrowser(t, s)
	if code, _ := v.say("m1", "Hi"); code != http.StatusOK {
		t.Fatalf("say: %d", code)
	}
	waiting := func() int { // due or parked
		d, err := s.h.Store.Depths(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return d.Outbox[web.ChannelName]
	}
	s.h.Clock.Advance(24 * time.Hour)
	if waiting() == 0 {
		t.Fatal("the reply for the absent visitor is gone")
	}
	s.h.Clock.Advance(7 * 24 * time.Hour)
	s.ch.Wake()
	for range 2 { // the welcome and the consent question
		select {
		case code := <-failed:
			if code != "visitor_gone" {
				t.Fatalf("failed with %q", code)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the week-old replies are still waiting")
		}
	}
	if n := waiting(); n != 0 {
		t.Errorf("%d replies still wait for a visitor gone a week", n)
	}
}
