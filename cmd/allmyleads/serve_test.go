package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/whatsapp"
	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
)

const (
	e2eSecret  = "e2e-app-secret"
	e2eVerify  = "e2e-verify-token"
	e2eContact = "447700900123"
)

// lockedBuffer collects a server's stderr while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a serve running in the test process against the Graph API
// double, on a loopback port, with its database in a temp folder.
type harness struct {
	t      *testing.T
	g      *graphtest.Server
	cfg    Config
	srv    *server
	url    string
	logs   *lockedBuffer
	cancel context.CancelFunc
	done   chan error
	next   int // inbound message counter
}

// e2eConfig is the configuration of a test server: WhatsApp pointed at the
// double, the database in dir.
func e2eConfig(g *graphtest.Server, dir string) Config {
	cfg := DefaultConfig()
	cfg.Store.Path = filepath.Join(dir, "allmyleads.db")
	cfg.WhatsApp.Token = g.Token()
	cfg.WhatsApp.PhoneNumberID = g.PhoneNumberID
	cfg.WhatsApp.AppSecret = e2eSecret
	cfg.WhatsApp.VerifyToken = e2eVerify
	cfg.WhatsApp.APIBase = g.BaseURL()
	cfg.WhatsApp.RatePerSecond = 1000
	return cfg
}

// fastWorkers shortens the workers' waits so retries happen within a test.
func fastWorkers(co *whatsapp.ChannelOptions) {
	co.Sender = func(o *whatsapp.SenderOptions) {
		o.Backoff, o.MaxBackoff, o.TokenPause, o.Poll = time.Millisecond, 10*time.Millisecond, 10*time.Millisecond, 10*time.Millisecond
	}
	co.Processor = func(o *whatsapp.ProcessorOptions) { o.Backoff, o.MediaBackoff = time.Millisecond, time.Millisecond }
}

func startHarness(t *testing.T, g *graphtest.Server, cfg Config, so serverOptions) *harness {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	so.listener, so.quiet = ln, true
	if so.tune == nil {
		so.tune = fastWorkers
	}
	logs := &lockedBuffer{}
	env := &cliEnv{stdin: strings.NewReader(""), stdout: logs, stderr: logs, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := startServer(ctx, cfg, env, so)
	if err != nil {
		cancel()
		t.Fatalf("start server: %v", err)
	}
	h := &harness{t: t, g: g, cfg: cfg, srv: srv, url: "http://" + ln.Addr().String(), logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- srv.wait(ctx) }()
	t.Cleanup(h.stop)
	return h
}

// stop shuts the server down as SIGTERM would.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	if err := <-h.done; err != nil {
		h.t.Errorf("shutdown: %v\n%s", err, h.logs.String())
	}
}

// post sends a webhook body signed with the app secret.
func (h *harness) post(body []byte) int {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+whatsapp.WebhookPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.SignatureHeaderValue(e2eSecret, body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("post webhook: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

func (h *harness) mustPost(body []byte) {
	h.t.Helper()
	if code := h.post(body); code != http.StatusOK {
		h.t.Fatalf("webhook answered %d", code)
	}
}

// settle waits until every stored webhook is processed and every due
// reply sent.
func (h *harness) settle() {
	h.t.Helper()
	ctx := context.Background()
	eventually(h.t, "inbox and outbox empty", func() bool {
		in, err := h.srv.rt.store.PendingInbox(ctx, 1)
		if err != nil || len(in) > 0 {
			return false
		}
		out, err := h.srv.rt.store.PendingOutbound(ctx, whatsapp.ChannelName, 1)
		return err == nil && len(out) == 0
	})
}

// eventually waits until cond holds, failing the test after a deadline.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// envelope wraps messages or statuses in Meta's webhook shape.
func envelope(value map[string]any) []byte {
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]any{"display_phone_number": "15550001111", "phone_number_id": graphtest.DefaultPhoneNumberID}
	body, _ := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry":  []any{map[string]any{"id": "987654321098765", "changes": []any{map[string]any{"field": "messages", "value": value}}}},
	})
	return body
}

// message is one inbound message of contact e2eContact.
func (h *harness) message(typ string, content any) ([]byte, string) {
	h.next++
	id := fmt.Sprintf("wamid.in.%03d", h.next)
	return envelope(map[string]any{
		"contacts": []any{map[string]any{"profile": map[string]any{"name": "Ana Lima"}, "wa_id": e2eContact}},
		"messages": []any{map[string]any{"from": e2eContact, "id": id, "timestamp": fmt.Sprint(time.Now().Unix()), "type": typ, typ: content}},
	}), id
}

func statusPayload(statuses ...map[string]any) []byte {
	list := make([]any, len(statuses))
	for i, s := range statuses {
		list[i] = s
	}
	return envelope(map[string]any{"statuses": list})
}

// reply finds the option with that title in the bot's last interactive
// message and returns the interactive reply Meta would send for it.
func reply(sent []graphtest.Request, title string) (map[string]any, error) {
	for i := len(sent) - 1; i >= 0; i-- {
		in, ok := sent[i].Body["interactive"].(map[string]any)
		if !ok {
			continue
		}
		action := in["action"].(map[string]any)
		var options []map[string]any
		if buttons, ok := action["buttons"].([]any); ok {
			for _, b := range buttons {
				options = append(options, b.(map[string]any)["reply"].(map[string]any))
			}
		}
		if sections, ok := action["sections"].([]any); ok {
			for _, s := range sections {
				for _, r := range s.(map[string]any)["rows"].([]any) {
					options = append(options, r.(map[string]any))
				}
			}
		}
		for _, o := range options {
			if o["title"] == title {
				kind := in["type"].(string) + "_reply"
				return map[string]any{"type": kind, kind: map[string]any{"id": o["id"], "title": o["title"]}}, nil
			}
		}
		return nil, fmt.Errorf("no option %q in the last interactive message", title)
	}
	return nil, fmt.Errorf("no interactive message to answer %q", title)
}

var validUntil = regexp.MustCompile(`Valid until \d{1,2} [A-Z][a-z]{2} \d{4}`)

// requestLine is one Graph API request as the golden file shows it; the
// quote's validity date depends on today and is replaced.
// fixtureTime is a message or status time in a webhook fixture.
var fixtureTime = regexp.MustCompile(`"timestamp":\s*"\d+"`)

// requestLine writes a request as a golden line. Outbox ids (sent as
// biz_opaque_callback_data) depend on the order in which different
// contacts' turns commit, so they read OUTBOX-ID.
func requestLine(r graphtest.Request) string {
	if _, ok := r.Body["biz_opaque_callback_data"]; ok {
		r.Body = maps.Clone(r.Body)
		r.Body["biz_opaque_callback_data"] = "OUTBOX-ID"
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r.Body)
	return r.Method + " " + r.Path + " " + validUntil.ReplaceAllString(strings.TrimSpace(b.String()), "Valid until DATE")
}

// TestServeQuoteConversation drives the shipped quote conversation through
// signed webhooks and checks every Graph API request the server made.
func TestServeQuoteConversation(t *testing.T) {
	g := graphtest.New(t)
	h := startHarness(t, g, e2eConfig(g, t.TempDir()), serverOptions{})
	photo := graphtest.JPEG("JPEG of a roof")
	sum := sha256.Sum256(photo)

	f, err := os.Open("testdata/serve/quote.script")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	seen := 0
	var inbound []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, arg, _ := strings.Cut(line, ": ")
		var body []byte
		var id string
		switch kind {
		case "text":
			body, id = h.message("text", map[string]any{"body": arg})
		case "button":
			r, err := reply(g.Sent(), arg)
			if err != nil {
				t.Fatal(err)
			}
			body, id = h.message("interactive", r)
		case "photo":
			g.AddMedia("media-roof-1", "image/jpeg", photo)
			body, id = h.message("image", map[string]any{"id": "media-roof-1", "mime_type": "image/jpeg",
				"sha256": base64.StdEncoding.EncodeToString(sum[:]), "caption": arg})
		default:
			t.Fatalf("script: unknown line %q", line)
		}
		inbound = append(inbound, id)
		h.mustPost(body)
		h.settle()
		fmt.Fprintf(&out, ">>> %s\n", line)
		sent := g.Sent()
		for _, r := range sent[seen:] {
			out.WriteString(requestLine(r) + "\n")
		}
		seen = len(sent)
	}
	golden(t, "testdata/serve/quote.golden", []byte(out.String()))

	ctx := context.Background()
	quotes, err := h.srv.rt.store.Quotes(ctx, store.QuoteFilter{Contact: "+" + e2eContact})
	if err != nil || len(quotes) != 1 || quotes[0].Status != core.QuoteAccepted {
		t.Fatalf("quotes %+v, %v; want one accepted", quotes, err)
	}
	exp, err := h.srv.rt.store.Export(ctx, "+"+e2eContact)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Media) != 1 || exp.Media[0].Size != len(photo) {
		t.Errorf("stored media %+v, want the photo's bytes", exp.Media)
	}
	if exp.Contact == nil || exp.Contact.ProfileName != "Ana Lima" {
		t.Errorf("contact %+v, want the WhatsApp profile name kept", exp.Contact)
	}
	eventually(t, "a read receipt for every message", func() bool { return len(g.Reads()) == len(inbound) })
	for _, r := range g.Reads() {
		if !strings.HasPrefix(r.Body["message_id"].(string), "wamid.in.") {
			t.Errorf("read receipt for %v", r.Body["message_id"])
		}
	}

	// Delivery statuses arrive out of order: read first, then delivered
	// and sent; the message stays read.
	wamids := sentIDs(g)
	lastID := wamids[len(wamids)-1]
	h.mustPost(statusPayload(
		map[string]any{"id": lastID, "status": "read", "timestamp": "1764000300", "recipient_id": e2eContact},
		map[string]any{"id": lastID, "status": "delivered", "timestamp": "1764000200", "recipient_id": e2eContact},
	))
	h.mustPost(statusPayload(map[string]any{"id": lastID, "status": "sent", "timestamp": "1764000100", "recipient_id": e2eContact}))
	h.settle()
	exp, err = h.srv.rt.store.Export(ctx, "+"+e2eContact)
	if err != nil {
		t.Fatal(err)
	}
	var status string
	for _, m := range exp.Messages {
		if m.ProviderID == lastID {
			status = m.Status
		}
	}
	if status != "read" {
		t.Errorf("status of %s is %q, want read", lastID, status)
	}
}

// sentIDs are the wamids the double gave, in order: wamid.1, wamid.2...
func sentIDs(g *graphtest.Server) []string {
	var ids []string
	for i := range g.Sent() {
		ids = append(ids, fmt.Sprintf("wamid.%d", i+1))
	}
	return ids
}

// TestServeEveryMessageType posts every webhook fixture of the channel
// (each message type, batches, statuses) and checks that each is processed
// and answered the way the golden file says, per contact.
func TestServeEveryMessageType(t *testing.T) {
	g := graphtest.New(t)
	g.AddMedia("1003383421387001", "image/jpeg", []byte("not the hashed bytes"))
	h := startHarness(t, g, e2eConfig(g, t.TempDir()), serverOptions{})
	files, _ := filepath.Glob("../../channels/whatsapp/testdata/webhooks/*.json")
	if len(files) < 20 {
		t.Fatalf("only %d fixtures", len(files))
	}
	// The opt-out last, so the other types are answered, and after it the
	// owner's echoes from the WhatsApp Business app (which hand the
	// customer to a person: the bot answers nothing more).
	last := func(f string) int {
		return boolInt(strings.Contains(f, "unsubscribe")) + 2*boolInt(strings.Contains(filepath.Base(f), "echo-"))
	}
	slices.SortStableFunc(files, func(a, b string) int { return last(a) - last(b) })
	var out strings.Builder
	seen := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Sent now: a message older than WhatsApp's 24-hour window is
		// stored but not answered.
		body = fixtureTime.ReplaceAll(body, []byte(fmt.Sprintf(`"timestamp": "%d"`, time.Now().Unix())))
		h.mustPost(body)
		h.settle()
		fmt.Fprintf(&out, ">>> %s\n", filepath.Base(f))
		// One contact's replies are in order; two contacts of one
		// payload are answered in parallel, so they are listed apart.
		sent := g.Sent()[seen:]
		seen += len(sent)
		slices.SortStableFunc(sent, func(a, b graphtest.Request) int {
			return strings.Compare(addressee(a), addressee(b))
		})
		for _, r := range sent {
			out.WriteString(requestLine(r) + "\n")
		}
	}
	golden(t, "testdata/serve/every-type.golden", []byte(out.String()))
}

// TestServeDuplicateBurst sends one message twenty times at once: the
// customer gets one answer.
func TestServeDuplicateBurst(t *testing.T) {
	g := graphtest.New(t)
	h := startHarness(t, g, e2eConfig(g, t.TempDir()), serverOptions{})
	body, _ := h.message("text", map[string]any{"body": "Hi"})
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = h.post(body) }()
	}
	wg.Wait()
	for _, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("answers %v", codes)
		}
	}
	h.settle()
	once := len(g.Sent())
	if once == 0 {
		t.Fatal("no answer")
	}
	// The same burst again, later: nothing more.
	for range 5 {
		h.mustPost(body)
	}
	h.settle()
	if got := len(g.Sent()); got != once {
		t.Errorf("%d messages sent after the duplicates, want %d", got, once)
	}
	g2 := graphtest.New(t)
	single := startHarness(t, g2, e2eConfig(g2, t.TempDir()), serverOptions{})
	single.mustPost(body)
	single.settle()
	if n := len(single.g.Sent()); n != once {
		t.Errorf("a single delivery got %d messages, the burst %d", n, once)
	}
}

// TestServeCrashAfterAccept stores webhooks without processing them (as
// if the process died right after answering 200), then restarts on the
// same database: the inbox is drained and the customer answered.
func TestServeCrashAfterAccept(t *testing.T) {
	g := graphtest.New(t)
	cfg := e2eConfig(g, t.TempDir())
	h := startHarness(t, g, cfg, serverOptions{noWorkers: true})
	first, _ := h.message("text", map[string]any{"body": "Hi"})
	h.mustPost(first)
	h.stop()
	if n := len(g.Requests()); n != 0 {
		t.Fatalf("%d Graph requests before the restart", n)
	}
	h2 := startHarness(t, g, cfg, serverOptions{})
	h2.settle()
	if len(g.Sent()) == 0 {
		t.Fatal("the stored webhook was not processed after the restart")
	}
	if reads := g.Reads(); len(reads) != 1 || reads[0].Body["message_id"] != "wamid.in.001" {
		t.Errorf("reads %v", reads)
	}
}

// TestServeGraphFailures: a media download that fails, rate limits that
// delay replies, and an expired token that pauses sending until renewed.
func TestServeGraphFailures(t *testing.T) {
	g := graphtest.New(t)
	cfg := e2eConfig(g, t.TempDir())
	h := startHarness(t, g, cfg, serverOptions{})
	walk := []string{"Hi", "Yes, that's fine", "Ana Lima", "ana@example.com", "Yes, call this one", "skip", "1 Main St, Bristol", "Roofing", "Leaking roof"}
	for _, step := range walk {
		var body []byte
		if r, err := reply(g.Sent(), step); err == nil {
			body, _ = h.message("interactive", r)
		} else {
			body, _ = h.message("text", map[string]any{"body": step})
		}
		h.mustPost(body)
		h.settle()
	}
	// The photo's download fails: the bot says so and still waits for photos.
	before := len(g.Sent())
	g.FailNextMedia(3, http.StatusInternalServerError, 131000)
	g.AddMedia("media-x", "image/jpeg", []byte("jpeg"))
	body, _ := h.message("image", map[string]any{"id": "media-x", "mime_type": "image/jpeg"})
	h.mustPost(body)
	h.settle()
	sent := g.Sent()[before:]
	if len(sent) != 1 || sent[0].Body["type"] != "text" {
		t.Fatalf("after a failed download: %v", sent)
	}
	if !strings.Contains(h.logs.String(), "image not downloaded") {
		t.Error("the failed download was not logged")
	}

	// Rate limits: the reply goes out after retries.
	before = len(g.Sent())
	g.RateLimit(2)
	g.FailNext(1, http.StatusBadRequest, 131056)
	body, _ = h.message("text", map[string]any{"body": "done"})
	h.mustPost(body)
	eventually(t, "the reply after the rate limits", func() bool { return len(g.Sent()) > before })
	h.settle()

	// Token expired: nothing is sent, nothing is lost.
	before = len(g.Sent())
	g.ExpireToken()
	body, _ = h.message("text", map[string]any{"body": "hello?"})
	h.mustPost(body)
	eventually(t, "sending paused", h.srv.ch.Sender.Paused)
	if !strings.Contains(h.logs.String(), "WHATSAPP ACCESS TOKEN EXPIRED") {
		t.Errorf("token expiry not logged loudly:\n%s", h.logs.String())
	}
	if len(g.Sent()) != before {
		t.Fatal("sent with an expired token")
	}
	g.RenewToken()
	h.settle()
	if len(g.Sent()) == before {
		t.Error("nothing sent after the token was renewed")
	}
}

// TestServeWindowTemplate: a failed status with 131047 sends the
// configured template.
func TestServeWindowTemplate(t *testing.T) {
	g := graphtest.New(t)
	cfg := e2eConfig(g, t.TempDir())
	cfg.WhatsApp.WindowTemplate = "reopen_conversation"
	h := startHarness(t, g, cfg, serverOptions{})
	body, _ := h.message("text", map[string]any{"body": "Hi"})
	h.mustPost(body)
	h.settle()
	before := len(g.Sent())
	h.mustPost(mustReadFile(t, "../../channels/whatsapp/testdata/webhooks/status-failed-131047.json"))
	h.mustPost(statusPayload(map[string]any{"id": "wamid.1", "status": "failed", "timestamp": "1764090000", "recipient_id": e2eContact,
		"errors": []any{map[string]any{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
			"error_data": map[string]any{"details": "more than 24 hours"}}}}))
	h.settle()
	sent := g.Sent()[before:]
	var names []string
	for _, r := range sent {
		names = append(names, fmt.Sprint(r.Body["to"], " ", r.Body["template"]))
	}
	want := []string{
		"447700900123 map[language:map[code:en_US] name:reopen_conversation]",
	}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("templates %v, want one per contact: %v", names, want)
	}
}

// TestServeNotConfigured: without WhatsApp settings the server starts,
// says what is missing, and answers the webhook 503.
func TestServeNotConfigured(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logs := &lockedBuffer{}
	env := &cliEnv{stdin: strings.NewReader(""), stdout: logs, stderr: logs, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, env, []string{"serve", "--addr", addr, "--db", filepath.Join(dir, "x.db")}) }()
	eventually(t, "listening", func() bool { return strings.Contains(logs.String(), "serving the WhatsApp webhook") })
	for _, want := range []string{"WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "answered 503"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("startup message does not mention %s:\n%s", want, logs.String())
		}
	}
	res, err := http.Post("http://"+addr+whatsapp.WebhookPath, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("webhook answered %d, want 503", res.StatusCode)
	}
	res, err = http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("healthz %d", res.StatusCode)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d:\n%s", code, logs.String())
	}
	if !strings.Contains(logs.String(), "closing the database") {
		t.Errorf("no graceful shutdown:\n%s", logs.String())
	}
}

func TestServeUsage(t *testing.T) {
	var out bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &out, getenv: func(string) string { return "" }}
	if code := run(context.Background(), env, []string{"serve", "-h"}); code != exitOK || !strings.Contains(out.String(), "--addr") {
		t.Errorf("-h: exit %d\n%s", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), env, []string{"serve", "extra"}); code != exitUsage {
		t.Errorf("extra argument: exit %d", code)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	db := filepath.Join(t.TempDir(), "x.db")
	out.Reset()
	if code := run(context.Background(), env, []string{"serve", "--addr", busy.Addr().String(), "--db", db}); code != exitRuntime || !strings.Contains(out.String(), "listen on") {
		t.Errorf("busy port: exit %d\n%s", code, out.String())
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("the database was created although the server could not listen")
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestServeRunsRetention checks serve applies the retention policy when it
// starts (and then daily): the audit log records the run.
func TestServeRunsRetention(t *testing.T) {
	g := graphtest.New(t)
	h := startHarness(t, g, e2eConfig(g, t.TempDir()), serverOptions{})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		log, err := h.srv.rt.store.AuditLog(context.Background(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range log {
			if a.Action == "retention" && a.Actor == "serve" {
				return
			}
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
	t.Fatal("no retention run by serve in the audit log")
}

// TestRecordCommandsWhileServing runs record commands while serve holds the
// database: they reach the server through its admin socket.
func TestRecordCommandsWhileServing(t *testing.T) {
	g := graphtest.New(t)
	cfg := e2eConfig(g, t.TempDir())
	startHarness(t, g, cfg, serverOptions{noRetention: true})
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run(context.Background(), env, []string{"leads", "--db", cfg.Store.Path, "--format", "json"}); code != exitOK {
		t.Fatalf("leads while serving: exit %d\n%s", code, errb.String())
	}
	backup := filepath.Join(t.TempDir(), "copy.db")
	if code := run(context.Background(), env, []string{"backup", backup, "--db", cfg.Store.Path}); code != exitOK {
		t.Fatalf("backup while serving: exit %d\n%s", code, errb.String())
	}
	if _, err := os.Stat(backup); err != nil {
		t.Fatalf("backup file: %v", err)
	}
}

// TestHandoffReleaseWhileServing hands a contact who asked for a person back
// to the bot through the running server.
func TestHandoffReleaseWhileServing(t *testing.T) {
	g := graphtest.New(t)
	cfg := e2eConfig(g, t.TempDir())
	h := startHarness(t, g, cfg, serverOptions{noRetention: true})
	ctx := context.Background()
	in := core.Inbound{Channel: "whatsapp", Contact: "+447700900123", ID: "wamid.release-1", Time: time.Now(), Kind: core.InText, Text: "AGENT"}
	if err := h.srv.rt.router.Handle(ctx, in); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run(ctx, env, []string{"handoff", "release", "--contact", "447700900123", "--db", cfg.Store.Path}); code != exitOK {
		t.Fatalf("handoff release: exit %d\n%s", code, errb.String())
	}
	s, err := h.srv.rt.store.Session(ctx, "+447700900123")
	if err != nil || s == nil || s.Handoff {
		t.Fatalf("session still in handoff: %+v (%v)", s, err)
	}
	if code := run(ctx, env, []string{"handoff", "release", "--contact", "447700900123", "--db", cfg.Store.Path}); code != exitInput {
		t.Fatalf("second release: exit %d, want %d\n%s", code, exitInput, errb.String())
	}
}

// addressee is whom a send request names: "to" a number or "recipient" a
// business-scoped user id.
func addressee(r graphtest.Request) string {
	if to, ok := r.Body["to"].(string); ok {
		return to
	}
	s, _ := r.Body["recipient"].(string)
	return s
}

// TestServeMetaExamples posts every payload Meta publishes (kept in
// ../shared/whatsapp-examples) to a running server, as sent now: every
// customer message in them is answered; notices (system, reaction), group
// changes and a message id seen before (Meta's examples reuse one id four
// times: exactly once means one reply) are stored but not answered.
func TestServeMetaExamples(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/whatsapp-examples/*.json")
	if len(files) == 0 {
		t.Skip("Meta's examples are not beside the repository")
	}
	// The button example is an opt-out ("Unsubscribe"): last, so the
	// others are answered.
	slices.SortStableFunc(files, func(a, b string) int {
		return boolInt(strings.Contains(a, "message-button")) - boolInt(strings.Contains(b, "message-button"))
	})
	g := graphtest.New(t)
	h := startHarness(t, g, e2eConfig(g, t.TempDir()), serverOptions{})
	seenIDs := map[string]bool{}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(f)
		quiet := strings.HasPrefix(base, "group_") || strings.Contains(base, "system") || strings.Contains(base, "reaction")
		if b, err := whatsapp.ParseWebhook(body); err == nil {
			fresh := false
			for _, m := range b.Messages {
				fresh = fresh || !seenIDs[m.ID]
				seenIDs[m.ID] = true
			}
			quiet = quiet || !fresh
		}
		before := len(g.Sent())
		h.mustPost(fixtureTime.ReplaceAll(body, []byte(fmt.Sprintf(`"timestamp": "%d"`, time.Now().Unix()))))
		h.settle()
		if got := len(g.Sent()) - before; quiet && got != 0 {
			t.Errorf("%s: %d replies to a notice", base, got)
		} else if !quiet && got == 0 {
			t.Errorf("%s: no reply", base)
		}
	}
}
