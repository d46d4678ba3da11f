package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
	"github.com/allmyleads/allmyleads/engine/core"
)

// syncBuffer is a log sink tests can read while the sender writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type senderFixture struct {
	g      *graphtest.Server
	ob     *memOutbox
	store  *memStore
	s      *Sender
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

func newSenderFixture(t *testing.T, mod func(*SenderOptions)) *senderFixture {
	t.Helper()
	f := &senderFixture{g: graphtest.New(t), ob: newMemOutbox(), logs: &syncBuffer{}}
	f.store = &memStore{media: map[string]*core.Media{}, outbox: f.ob}
	o := SenderOptions{
		Outbox: f.ob, Store: f.store, Client: newTestClient(f.g),
		Rate: 1000, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		TokenPause: 5 * time.Millisecond, Poll: 5 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(f.logs, nil)),
	}
	if mod != nil {
		mod(&o)
	}
	f.s = NewSender(o)
	return f
}

func (f *senderFixture) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.done = cancel, make(chan error, 1)
	go func() { f.done <- f.s.Run(ctx) }()
	t.Cleanup(f.stop)
}

func (f *senderFixture) stop() {
	if f.cancel != nil {
		f.cancel()
		<-f.done
		f.cancel = nil
	}
}

func text(contact, body string) core.Outbound {
	return core.Outbound{Channel: ChannelName, Contact: contact, Kind: core.OutText, Text: body}
}

// sentTexts lists the bodies the double accepted, per recipient.
func sentTexts(g *graphtest.Server) map[string][]string {
	out := map[string][]string{}
	for _, r := range g.Sent() {
		to := r.Body["to"].(string)
		switch r.Body["type"] {
		case "text":
			out[to] = append(out[to], r.Body["text"].(map[string]any)["body"].(string))
		case "template":
			out[to] = append(out[to], "template:"+r.Body["template"].(map[string]any)["name"].(string))
		default:
			out[to] = append(out[to], r.Body["type"].(string))
		}
	}
	return out
}

func TestSenderInOrderPerContact(t *testing.T) {
	f := newSenderFixture(t, nil)
	contacts := []string{"+447700900123", "+31612345678", "+15551230001"}
	for i := range 5 {
		for _, c := range contacts {
			f.ob.add(text(c, fmt.Sprintf("message %d", i)))
		}
	}
	f.run(t)
	eventually(t, "outbox drained", func() bool { return f.ob.pending() == 0 })
	got := sentTexts(f.g)
	for _, c := range contacts {
		if fmt.Sprint(got[c[1:]]) != "[message 0 message 1 message 2 message 3 message 4]" {
			t.Errorf("%s got %v", c, got[c[1:]])
		}
	}
	f.ob.mu.Lock()
	defer f.ob.mu.Unlock()
	if len(f.ob.sent) != 15 || !strings.HasPrefix(f.ob.sent["out-001"], "wamid.") {
		t.Errorf("recorded %v", f.ob.sent)
	}
}

func TestSenderRetriesRateLimits(t *testing.T) {
	f := newSenderFixture(t, nil)
	f.g.RateLimit(2)
	f.g.FailNext(1, http.StatusBadRequest, 131056)
	f.g.FailNext(1, http.StatusServiceUnavailable, 131016)
	f.ob.add(text("+447700900123", "first"))
	f.ob.add(text("+447700900123", "second"))
	f.run(t)
	eventually(t, "outbox drained", func() bool { return f.ob.pending() == 0 })
	if got := sentTexts(f.g)["447700900123"]; fmt.Sprint(got) != "[first second]" {
		t.Errorf("sent %v", got)
	}
	f.ob.mu.Lock()
	defer f.ob.mu.Unlock()
	if len(f.ob.failed) != 0 || len(f.ob.sent) != 2 || len(f.ob.retry) == 0 {
		t.Errorf("sent %v failed %v retried %v", f.ob.sent, f.ob.failed, f.ob.retry)
	}
	if n := len(f.g.Requests()); n != 6 {
		t.Errorf("%d requests, want 4 refused and 2 accepted", n)
	}
}

func TestSenderPermanentFailures(t *testing.T) {
	var codesMu sync.Mutex
	var codes []string
	f := newSenderFixture(t, func(o *SenderOptions) {
		o.MaxAttempts = 3
		o.Failed = func(code string) { codesMu.Lock(); codes = append(codes, code); codesMu.Unlock() }
	})
	f.g.FailNext(1, http.StatusBadRequest, 131026)
	f.ob.add(text("+447700900123", "undeliverable"))
	f.ob.add(text("+447700900123", "next one"))
	f.run(t)
	eventually(t, "outbox drained", func() bool { return f.ob.pending() == 0 })
	f.g.FailNext(5, http.StatusInternalServerError, 131000)
	f.ob.add(text("+31612345678", "server down"))
	f.s.Wake()
	eventually(t, "outbox drained", func() bool { return f.ob.pending() == 0 })
	f.ob.mu.Lock()
	defer f.ob.mu.Unlock()
	if !strings.HasPrefix(f.ob.failed["out-001"], "131026 held=false") || !strings.HasPrefix(f.ob.failed["out-003"], "131000 held=false") {
		t.Errorf("failed %v", f.ob.failed)
	}
	if _, ok := f.ob.sent["out-002"]; !ok {
		t.Error("the message after a permanent failure was not sent")
	}
	if got := sentTexts(f.g)["31612345678"]; len(got) != 0 {
		t.Errorf("sent %v", got)
	}
	if !strings.Contains(f.logs.String(), "code=131026") {
		t.Error("permanent failure not logged with its code")
	}
	codesMu.Lock()
	defer codesMu.Unlock()
	if strings.Join(codes, ",") != "131026,131000,131000,131000" {
		t.Errorf("failed attempts told: %v", codes)
	}
}

func TestSendErrorMetricCode(t *testing.T) {
	for want, se := range map[string]*SendError{
		"131047":   {HTTPStatus: 400, Code: 131047},
		"http_502": {HTTPStatus: 502},
		"network":  {Err: errors.New("connection refused")},
		"local":    {Message: "media missing"},
	} {
		if got := se.MetricCode(); got != want {
			t.Errorf("%v: MetricCode %q, want %q", se, got, want)
		}
	}
}

func TestSenderPausesOnExpiredToken(t *testing.T) {
	f := newSenderFixture(t, nil)
	f.g.ExpireToken()
	f.ob.add(text("+447700900123", "hello"))
	f.run(t)
	eventually(t, "paused", f.s.Paused)
	eventually(t, "several tries", func() bool { return len(f.g.Requests()) >= 3 })
	if f.ob.pending() != 1 {
		t.Fatal("the message left the outbox while the token was expired")
	}
	f.ob.mu.Lock()
	attempts := f.ob.items[0].Attempts
	f.ob.mu.Unlock()
	if attempts != 0 {
		t.Errorf("%d attempts counted while paused", attempts)
	}
	if !strings.Contains(f.logs.String(), "level=ERROR msg=\"WHATSAPP ACCESS TOKEN EXPIRED") {
		t.Errorf("no loud log: %s", f.logs.String())
	}
	f.g.RenewToken()
	eventually(t, "sent after renewal", func() bool { return f.ob.pending() == 0 })
	if f.s.Paused() {
		t.Error("still paused after a send worked")
	}
	if !strings.Contains(f.logs.String(), "sending resumed") {
		t.Error("resume not logged")
	}
}

func TestSenderWindow(t *testing.T) {
	past := time.Now().Add(-time.Hour)
	t.Run("no template: held", func(t *testing.T) {
		f := newSenderFixture(t, nil)
		out := text("+447700900123", "late")
		out.WindowUntil = past
		f.ob.add(out)
		f.run(t)
		eventually(t, "outbox drained", func() bool { return f.ob.pending() == 0 })
		f.ob.mu.Lock()
		defer f.ob.mu.Unlock()
		if !strings.HasPrefix(f.ob.failed["out-001"], "131047 held=true") || len(f.g.Requests()) != 0 {
			t.Errorf("failed %v, %d requests", f.ob.failed, len(f.g.Requests()))
		}
	})
	t.Run("template sent once instead", func(t *testing.T) {
		f := newSenderFixture(t, func(o *SenderOptions) { o.WindowTemplate, o.TemplateLanguage = "reopen_chat", "en_GB" })
		for _, body := range []string{"late one", "late two"} {
			out := text("+447700900123", body)
			out.WindowUntil = past
			f.ob.add(out)
		}
		inWindow := text("+31612345678", "on time")
		inWindow.WindowUntil = time.Now().Add(time.Hour)
		f.ob.add(inWindow)
		f.run(t)
		eventually(t, "outbox drained", func() bool { return f.ob.pending() == 0 && len(f.g.Sent()) == 2 })
		got := sentTexts(f.g)
		if fmt.Sprint(got["447700900123"]) != "[template:reopen_chat]" || fmt.Sprint(got["31612345678"]) != "[on time]" {
			t.Errorf("sent %v", got)
		}
		tpl := f.g.Sent()[0].Body["template"]
		if tpl == nil {
			tpl = f.g.Sent()[1].Body["template"]
		}
		if fmt.Sprint(tpl) != "map[language:map[code:en_GB] name:reopen_chat]" {
			t.Errorf("template %v", tpl)
		}
		f.ob.mu.Lock()
		defer f.ob.mu.Unlock()
		if !strings.HasPrefix(f.ob.failed["out-001"], "131047 held=true") || !strings.HasPrefix(f.ob.failed["out-002"], "131047 held=true") {
			t.Errorf("held %v", f.ob.failed)
		}
	})
	t.Run("131047 from the API", func(t *testing.T) {
		f := newSenderFixture(t, func(o *SenderOptions) { o.WindowTemplate = "reopen_chat" })
		f.g.FailNext(1, http.StatusBadRequest, 131047)
		f.ob.add(text("+447700900123", "we thought the window was open"))
		f.run(t)
		eventually(t, "template sent", func() bool { return f.ob.pending() == 0 && len(f.g.Sent()) == 1 })
		if got := sentTexts(f.g)["447700900123"]; fmt.Sprint(got) != "[template:reopen_chat]" {
			t.Errorf("sent %v", got)
		}
		if err := f.s.QueueTemplate(context.Background(), "+447700900123"); err != nil {
			t.Fatal(err)
		}
		if f.ob.pending() != 0 {
			t.Error("a second template queued for the same contact the same day")
		}
	})
}

func TestSenderMedia(t *testing.T) {
	f := newSenderFixture(t, nil)
	f.store.media["abc"] = &core.Media{ID: "abc", MIME: "application/pdf", Filename: "quote.pdf", Data: []byte("%PDF-1.4 quote")}
	f.ob.add(core.Outbound{Contact: "+447700900123", Kind: core.OutDocument, Media: &core.Media{ID: "abc", Caption: "Your quote"}})
	f.ob.add(core.Outbound{Contact: "+31612345678", Kind: core.OutImage, Media: &core.Media{ID: "gone"}})
	f.run(t)
	eventually(t, "outbox drained", func() bool { return f.ob.pending() == 0 })
	var upload, doc *graphtest.Request
	for _, r := range f.g.Requests() {
		if strings.HasSuffix(r.Path, "/media") {
			upload = &r
		}
		if r.IsSend() {
			doc = &r
		}
	}
	if upload == nil || fmt.Sprint(upload.Form["file"]) != "map[filename:quote.pdf size:14 type:application/pdf]" {
		t.Fatalf("upload %+v", upload)
	}
	if doc == nil || fmt.Sprint(doc.Body["document"]) != "map[caption:Your quote filename:quote.pdf id:9000000000000001]" {
		t.Fatalf("document %+v", doc)
	}
	f.ob.mu.Lock()
	defer f.ob.mu.Unlock()
	if !strings.Contains(f.ob.failed["out-002"], "not in the store") {
		t.Errorf("missing media: %v", f.ob.failed)
	}
}

func TestSenderFlushAndReads(t *testing.T) {
	f := newSenderFixture(t, nil)
	for i := range 20 {
		f.ob.add(text(fmt.Sprintf("+4477009%05d", i), "bye"))
	}
	if err := f.s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.ob.pending() != 0 || len(f.g.Sent()) != 20 {
		t.Fatalf("after Flush: %d pending, %d sent", f.ob.pending(), len(f.g.Sent()))
	}
	f.run(t)
	f.s.QueueRead("wamid.in1")
	f.s.QueueRead("wamid.in2")
	eventually(t, "read receipts", func() bool { return len(f.g.Reads()) == 2 })
}

// TestSenderStopsWhileGraphHangs checks that a hanging Graph API delays a
// stop by at most SendTimeout, and that the send that timed out stays in
// the outbox for a retry instead of being lost or failed.
func TestSenderStopsWhileGraphHangs(t *testing.T) {
	f := newSenderFixture(t, func(o *SenderOptions) { o.SendTimeout = 20 * time.Millisecond; o.Backoff = time.Hour })
	f.g.Hang(true)
	f.ob.add(text("+447700900123", "stuck"))
	f.run(t)
	eventually(t, "request in flight", func() bool { return f.g.Hanging() == 1 })
	f.stop()
	if f.ob.pending() != 1 {
		t.Fatal("the message left the outbox")
	}
	f.ob.mu.Lock()
	defer f.ob.mu.Unlock()
	if len(f.ob.failed) != 0 || len(f.ob.retry) != 1 {
		t.Errorf("retry %v failed %v, want one retry", f.ob.retry, f.ob.failed)
	}
}

// TestSenderFinishesSendAtStop checks that a send under way when Run is
// stopped completes and is recorded, so it is not sent twice later.
func TestSenderFinishesSendAtStop(t *testing.T) {
	f := newSenderFixture(t, nil)
	f.g.Hang(true)
	f.ob.add(text("+447700900123", "in flight at shutdown"))
	f.run(t)
	eventually(t, "request in flight", func() bool { return f.g.Hanging() == 1 })
	f.cancel() // Run is told to stop while the request hangs...
	f.g.Hang(false)
	if err := <-f.done; err != nil { // ...and returns once the send is done
		t.Fatal(err)
	}
	f.cancel = nil
	for _, r := range f.g.Requests() {
		if r.Status != http.StatusOK {
			t.Errorf("request %s ended with %d: the send was cut short", r.Path, r.Status)
		}
	}
	f.ob.mu.Lock()
	defer f.ob.mu.Unlock()
	if len(f.ob.sent) != 1 {
		t.Errorf("sent %v, want the send recorded", f.ob.sent)
	}
}

// TestSenderNeverSendsTwiceWhenRecordingFails: the send worked but the
// store could not record it; the next round records the same wamid
// instead of sending again.
func TestSenderNeverSendsTwiceWhenRecordingFails(t *testing.T) {
	f := newSenderFixture(t, nil)
	f.ob.failMarkSent = 2
	f.ob.add(text("+447700900123", "once"))
	f.run(t)
	eventually(t, "outbox drained", func() bool { return f.ob.pending() == 0 })
	if n := len(f.g.Sent()); n != 1 {
		t.Errorf("sent %d times, want once", n)
	}
	f.ob.mu.Lock()
	defer f.ob.mu.Unlock()
	if f.ob.sent["out-001"] != "wamid.1" {
		t.Errorf("recorded %v", f.ob.sent)
	}
}

// TestSenderNeverSendsTwice adds messages for many contacts while the
// sender runs, with small reads so outbox snapshots and finishing workers
// overlap: every message goes out exactly once.
func TestSenderNeverSendsTwice(t *testing.T) {
	for run := range 10 {
		f := newSenderFixture(t, func(o *SenderOptions) { o.Batch = 16; o.Workers = 32; o.Rate = 1e6; o.Burst = 1e6 })
		f.run(t)
		const contacts, each = 100, 3
		var wg sync.WaitGroup
		for c := range contacts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					f.ob.add(text(fmt.Sprintf("+4477009%05d", c), fmt.Sprintf("m%d", i)))
					f.s.Wake()
				}
			}()
		}
		wg.Wait()
		eventually(t, "outbox drained", func() bool { return f.ob.pending() == 0 })
		f.stop()
		dup := 0
		for to, bodies := range sentTexts(f.g) {
			seen := map[string]bool{}
			for _, b := range bodies {
				if seen[b] {
					dup++
					t.Errorf("run %d: %s got %q twice", run, to, b)
				}
				seen[b] = true
			}
		}
		if sent := len(f.g.Sent()); sent != contacts*each || dup > 0 {
			t.Fatalf("run %d: %d sends for %d messages, %d doubled", run, sent, contacts*each, dup)
		}
	}
}
