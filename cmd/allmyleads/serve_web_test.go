package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/web"
	"github.com/allmyleads/allmyleads/channels/whatsapp"
	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
)

// visitor is a browser's side of the web chat, spoken as HTTP.
type visitor struct {
	t     *testing.T
	base  string // http://host/chat/
	token string
}

// botMessage is a message the page receives.
type botMessage struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Text    string `json:"text"`
	Options []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"options"`
}

// openPage loads /chat/ as a new visitor and keeps the token it is given.
func openPage(t *testing.T, url string) *visitor {
	t.Helper()
	res, err := http.Get(url + "/chat/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`data-token="([^"]+)"`).FindSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET /chat/: %d\n%s", res.StatusCode, body)
	}
	return &visitor{t: t, base: url + "/chat/", token: string(m[1])}
}

// call makes an API request and returns the status and body.
func (v *visitor) call(method, path, contentType string, body []byte, header map[string]string) (int, string) {
	v.t.Helper()
	req, _ := http.NewRequest(method, v.base+"api/"+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+v.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, val := range header {
		req.Header.Set(k, val)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (v *visitor) post(path string, payload any) {
	v.t.Helper()
	body, _ := json.Marshal(payload)
	if code, resp := v.call(http.MethodPost, path, "application/json", body, nil); code != http.StatusOK && code != http.StatusNoContent {
		v.t.Fatalf("POST %s: %d %s", path, code, resp)
	}
}

// stream is an open live connection: its messages arrive on msgs.
type stream struct {
	msgs   chan botMessage
	cancel context.CancelFunc
	done   chan struct{}
}

// listen opens the live connection as the page does.
func (v *visitor) listen() *stream {
	v.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, v.base+"api/events", nil)
	req.Header.Set("Authorization", "Bearer "+v.token)
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		cancel()
		v.t.Fatalf("open the live connection: %v %v", err, res)
	}
	s := &stream{msgs: make(chan botMessage, 64), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m botMessage
				if json.Unmarshal([]byte(data), &m) == nil {
					s.msgs <- m
				}
			}
		}
	}()
	return s
}

func (s *stream) close() {
	s.cancel()
	<-s.done
}

// next waits for the next message.
func (s *stream) next(t *testing.T) botMessage {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(15 * time.Second):
		t.Fatal("no message came over the live connection")
		return botMessage{}
	}
}

// until reads messages until one contains text, acknowledging each as
// the page does unless ack is false.
func (v *visitor) until(s *stream, text string, ack bool) botMessage {
	v.t.Helper()
	for {
		m := s.next(v.t)
		if ack {
			v.post("ack", map[string]any{"ids": []string{m.ID}})
		}
		if strings.Contains(m.Text, text) {
			return m
		}
	}
}

// scrape reads /metrics with the token.
func scrapeMetrics(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func seriesValue(page, series string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	if m := re.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

// TestServeWebChat talks to serve's web chat as a browser would: the
// welcome over the live connection, a pressed button and a typed answer;
// a reply for a visitor with no page open waits and comes when the page
// reconnects; an unacknowledged message comes again and an acknowledged
// one does not; refusals answer JSON; /metrics (behind its token) counts
// all of it; and the server stops at once with a page still connected.
func TestServeWebChat(t *testing.T) {
	g := graphtest.New(t)
	cfg := e2eConfig(g, t.TempDir())
	cfg.Web.AllowedOrigins = []string{"https://www.brightside.example"}
	cfg.Metrics.Token = "metrics-token"
	h := startHarness(t, g, cfg, serverOptions{})

	v := openPage(t, h.url)
	s := v.listen()
	v.post("start", nil)
	consent := v.until(s, "is that OK with you?", true)
	if consent.Kind != "buttons" || len(consent.Options) != 2 || strings.Contains(consent.Text, "WhatsApp") {
		t.Fatalf("consent question: %+v", consent)
	}
	v.post("messages", map[string]any{"id": "b1", "reply_id": consent.Options[0].ID, "reply_title": consent.Options[0].Title})
	v.until(s, "What's your full name?", true)

	// The page goes away; the answer to the next message waits for it.
	s.close()
	v.post("messages", map[string]any{"id": "t1", "text": "Ana Lima"})
	s = v.listen()
	email := v.until(s, "What's your email address?", false)
	// Not acknowledged (the connection died on the way): it comes again,
	// with the same id, once the page reconnects.
	s.close()
	s = v.listen()
	if again := s.next(t); again.ID != email.ID {
		t.Fatalf("after a reconnect got %q, want the unacknowledged %q again", again.Text, email.Text)
	}
	v.post("ack", map[string]any{"ids": []string{email.ID}})
	v.post("messages", map[string]any{"id": "t2", "text": "ana@example.com"})
	phone := v.until(s, "Which number should we call?", true)
	if phone.ID == email.ID {
		t.Fatal("an acknowledged message came again")
	}

	// Refusals, each a clear JSON answer.
	big := bytes.Repeat([]byte("x"), 5<<20+1)
	for _, c := range []struct {
		path, contentType string
		body              []byte
		header            map[string]string
		status            int
		code              string
	}{
		{"photos", "image/jpeg", big, nil, http.StatusRequestEntityTooLarge, "too_large"},
		{"photos", "image/jpeg", []byte("not a photo at all"), nil, http.StatusBadRequest, "unsupported_media"},
		{"messages", "application/json", []byte(`{"text":"hi"}`), map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, "forbidden_origin"},
	} {
		code, body := v.call(http.MethodPost, c.path, c.contentType, c.body, c.header)
		var e struct{ Error, Message string }
		if code != c.status || json.Unmarshal([]byte(body), &e) != nil || e.Error != c.code || e.Message == "" {
			t.Errorf("POST %s: %d %s, want %d %s", c.path, code, body, c.status, c.code)
		}
	}
	code, body := v.call(http.MethodPost, "messages", "application/json", []byte(`{"id":"o1","text":"+44 7700 900123"}`), map[string]string{"Origin": "https://www.brightside.example"})
	if code != http.StatusOK {
		t.Errorf("a message from an allowed site: %d %s", code, body)
	}
	v.until(s, "Is the job for a company?", true)

	// Another visitor cannot read this one's messages.
	other := openPage(t, h.url)
	if other.token == v.token {
		t.Fatal("two visitors share a token")
	}

	// WhatsApp's webhook still answers beside the chat, and counts a bad signature.
	req, _ := http.NewRequest(http.MethodPost, h.url+whatsapp.WebhookPath, strings.NewReader(`{}`))
	req.Header.Set(whatsapp.SignatureHeader, "sha256=00")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned webhook: %v %v", err, res)
	} else {
		res.Body.Close()
	}

	if code, _ := scrapeMetrics(t, h.url, ""); code != http.StatusUnauthorized {
		t.Errorf("/metrics without its token: %d", code)
	}
	code, page := scrapeMetrics(t, h.url, cfg.Metrics.Token)
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for series, want := range map[string]string{
		`allmyleads_messages_in_total{channel="web",kind="button"}`:          "1",
		`allmyleads_messages_in_total{channel="web",kind="text"}`:            "4", // Hi, name, email, phone; the refused ones never reached the engine
		`allmyleads_web_rejected_total{code="too_large"}`:                    "1",
		`allmyleads_web_rejected_total{code="unsupported_media"}`:            "1",
		`allmyleads_web_rejected_total{code="forbidden_origin"}`:             "1",
		`allmyleads_webhook_signature_failures_total{channel="whatsapp"}`:    "1",
		`allmyleads_web_connections`:                                         "1",
		`allmyleads_leads{status="details"}`:                                 "1",
		`allmyleads_handle_duration_seconds_count{channel="web"}`:            "5",
		`allmyleads_outbox_depth{channel="web"}`:                             "0",
		`allmyleads_inbox_depth`:                                             "0",
		`allmyleads_messages_duplicate_total{channel="web"}`:                 "",
		`allmyleads_send_failures_total{channel="whatsapp",code="131026"}`:   "",
		`allmyleads_plugin_duration_seconds_count{plugin="pricing.quote"}`:   "",
		`allmyleads_extractor_duration_seconds_count{extractor="offline"}`:   "",
		`allmyleads_handle_duration_seconds_bucket{channel="web",le="+Inf"}`: "5",
	} {
		if got := seriesValue(page, series); got != want {
			t.Errorf("%s = %q, want %q", series, got, want)
		}
	}
	if d := seriesValue(page, "allmyleads_web_delivered_total"); d == "" || d == "0" {
		t.Errorf("web_delivered_total = %q", d)
	}
	// The server stops with the page still connected (no wait for it):
	// the harness's cleanup fails the test if the shutdown does.
	h.stop()
	<-s.done
}

// TestServeWebChatOff: with web.enabled false there is no /chat/, and
// /metrics is open without a token.
func TestServeWebChatOff(t *testing.T) {
	g := graphtest.New(t)
	cfg := e2eConfig(g, t.TempDir())
	cfg.Web.Enabled = false
	h := startHarness(t, g, cfg, serverOptions{})
	res, err := http.Get(h.url + "/chat/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("/chat/ with the web chat off: %d", res.StatusCode)
	}
	if code, page := scrapeMetrics(t, h.url, ""); code != http.StatusOK || !strings.Contains(page, "allmyleads_inbox_depth 0") {
		t.Errorf("/metrics: %d\n%s", code, page)
	}
	if _, ok := h.srv.rt.channels.Get(web.ChannelName); ok {
		t.Error("the web channel is registered while off")
	}
}

// TestServeWebSecretKept: the web chat's key is made once beside the
// database and read again, so a visitor's token outlives a restart; a
// bad allowed origin stops serve with the setting named.
func TestServeWebSecretKept(t *testing.T) {
	dir := t.TempDir()
	g := graphtest.New(t)
	cfg := e2eConfig(g, dir)
	h := startHarness(t, g, cfg, serverOptions{})
	v := openPage(t, h.url)
	h.stop()
	h = startHarness(t, g, cfg, serverOptions{})
	v.base = h.url + "/chat/"
	if code, body := v.call(http.MethodPost, "start", "", nil, nil); code != http.StatusOK {
		t.Fatalf("the token of before the restart: %d %s", code, body)
	}
	if st, err := os.Stat(filepath.Join(dir, "allmyleads.db.chat-secret")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the chat's key beside the database: %v", err)
	}
	h.stop()

	cfg.Web.AllowedOrigins = []string{"https://www.example.com/shop"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	env := &cliEnv{stdin: strings.NewReader(""), stdout: logs, stderr: logs, getenv: func(string) string { return "" }}
	if _, err := startServer(context.Background(), cfg, env, serverOptions{listener: ln, quiet: true}); err == nil || !strings.Contains(err.Error(), "web.allowed_origins") {
		t.Errorf("a path in allowed_origins: %v", err)
	}
}
