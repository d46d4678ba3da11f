package whatsapp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/internal/golden"
)

// eventually waits until cond holds, failing the test after a deadline.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// recDispatcher records what it is given and answers with fn (nil: ok).
// It marks handled ids seen in the inbox, as the engine's commit would.
type recDispatcher struct {
	mu    sync.Mutex
	got   []core.Inbound
	inbox *memInbox
	fn    func(core.Inbound) error
}

func (d *recDispatcher) Submit(_ context.Context, in core.Inbound) <-chan error {
	d.mu.Lock()
	d.got = append(d.got, in)
	fn := d.fn
	d.mu.Unlock()
	ch := make(chan error, 1)
	go func() {
		var err error
		if fn != nil {
			err = fn(in)
		}
		if err == nil && d.inbox != nil {
			d.inbox.mu.Lock()
			d.inbox.seen[in.Channel+"/"+in.ID] = true
			d.inbox.mu.Unlock()
		}
		ch <- err
	}()
	return ch
}

func (d *recDispatcher) inbound() []core.Inbound {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.got)
}

func (d *recDispatcher) ids() []string {
	var ids []string
	for _, in := range d.inbound() {
		ids = append(ids, in.ID)
	}
	return ids
}

func newTestProcessor(t *testing.T, inbox *memInbox, d *recDispatcher, mod func(*ProcessorOptions)) (*Processor, func()) {
	t.Helper()
	o := ProcessorOptions{Inbox: inbox, Dispatcher: d, Backoff: time.Millisecond, MediaBackoff: time.Millisecond, Poll: time.Hour}
	if mod != nil {
		mod(&o)
	}
	p := NewProcessor(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			stop()
		}
	})
	return p, stop
}

func addFixture(t *testing.T, inbox *memInbox, name string) {
	t.Helper()
	if _, err := inbox.AddInbox(context.Background(), ChannelName, mustRead(t, "testdata/webhooks/"+name+".json"), time.Now()); err != nil {
		t.Fatal(err)
	}
}

// textPayload is a webhook with one text message.
func textPayload(from, id, body string) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"123456789012345"},
		"contacts":[{"profile":{"name":"T"},"wa_id":%q}],
		"messages":[{"from":%q,"id":%q,"timestamp":"1764000000","type":"text","text":{"body":%q}}]}}]}]}`, from, from, id, body)
}

func imagePayload(from, id, mediaID, sha string) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"phone_number_id":"123456789012345"},
		"messages":[{"from":%q,"id":%q,"timestamp":"1764000000","type":"image","image":{"id":%q,"mime_type":"image/jpeg","sha256":%q}}]}}]}]}`, from, id, mediaID, sha)
}

func TestProcessorDrainsInboxAtStart(t *testing.T) {
	inbox := newMemInbox()
	addFixture(t, inbox, "batch-entries")
	addFixture(t, inbox, "text")
	d := &recDispatcher{inbox: inbox}
	var mu sync.Mutex
	var reads []string
	newTestProcessor(t, inbox, d, func(o *ProcessorOptions) {
		o.MarkRead = func(id string) { mu.Lock(); reads = append(reads, id); mu.Unlock() }
	})
	eventually(t, "inbox drained", func() bool { return inbox.pending() == 0 })
	got := d.ids()
	if len(got) != 6 {
		t.Fatalf("submitted %v", got)
	}
	// Per contact, the order of the payloads and of the messages in them.
	var a, b []string
	for _, in := range d.inbound() {
		switch in.Contact {
		case "whatsapp:447700900123":
			a = append(a, in.ID[len(in.ID)-3:])
		case "whatsapp:31612345678":
			b = append(b, in.ID[len(in.ID)-3:])
		}
	}
	if fmt.Sprint(a) != "[021 022 025 001]" || fmt.Sprint(b) != "[023 024]" {
		t.Errorf("order per contact: %v %v", a, b)
	}
	// Read receipts follow the removal from the inbox.
	eventually(t, "six read receipts", func() bool { mu.Lock(); defer mu.Unlock(); return len(reads) == 6 })
}

func TestProcessorSkipsSeenMessages(t *testing.T) {
	inbox := newMemInbox()
	inbox.seen[ChannelName+"/wamid.dup"] = true
	inbox.AddInbox(context.Background(), ChannelName, imagePayload("447700900123", "wamid.dup", "m1", ""), time.Now())
	inbox.AddInbox(context.Background(), ChannelName, textPayload("447700900123", "wamid.new", "hi"), time.Now())
	g := graphtest.New(t)
	d := &recDispatcher{inbox: inbox}
	var reads []string
	var mu sync.Mutex
	newTestProcessor(t, inbox, d, func(o *ProcessorOptions) {
		o.Media = newTestClient(g)
		o.MarkRead = func(id string) { mu.Lock(); reads = append(reads, id); mu.Unlock() }
	})
	eventually(t, "inbox drained", func() bool { return inbox.pending() == 0 })
	if got := d.ids(); fmt.Sprint(got) != "[wamid.new]" {
		t.Errorf("submitted %v", got)
	}
	if n := len(g.Requests()); n != 0 {
		t.Errorf("%d media requests for a duplicate", n)
	}
	eventually(t, "the read receipt", func() bool { mu.Lock(); defer mu.Unlock(); return len(reads) == 1 })
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(reads) != "[wamid.new]" {
		t.Errorf("reads %v", reads)
	}
}

// TestProcessorOrderWhileMediaIsSlow holds one contact's image download
// and checks that another contact goes ahead while the first contact's
// next message waits for its turn.
func TestProcessorOrderWhileMediaIsSlow(t *testing.T) {
	photo := graphtest.JPEG("jpeg bytes")
	g := graphtest.New(t)
	g.AddMedia("m1", "image/jpeg", photo)
	g.Hang(true)
	inbox := newMemInbox()
	ctx := context.Background()
	inbox.AddInbox(ctx, ChannelName, imagePayload("447700900123", "wamid.a1", "m1", ""), time.Now())
	inbox.AddInbox(ctx, ChannelName, textPayload("447700900123", "wamid.a2", "second"), time.Now())
	inbox.AddInbox(ctx, ChannelName, textPayload("31612345678", "wamid.b1", "other contact"), time.Now())
	d := &recDispatcher{inbox: inbox}
	newTestProcessor(t, inbox, d, func(o *ProcessorOptions) { o.Media = newTestClient(g) })
	eventually(t, "the other contact's message", func() bool { return slices.Contains(d.ids(), "wamid.b1") })
	if slices.Contains(d.ids(), "wamid.a2") {
		t.Fatal("a contact's second message overtook the first")
	}
	g.Hang(false)
	eventually(t, "inbox drained", func() bool { return inbox.pending() == 0 })
	got := d.inbound()
	ia := slices.IndexFunc(got, func(in core.Inbound) bool { return in.ID == "wamid.a1" })
	ib := slices.IndexFunc(got, func(in core.Inbound) bool { return in.ID == "wamid.a2" })
	if ia < 0 || ib < ia {
		t.Fatalf("order %v", d.ids())
	}
	if m := got[ia].Media[0]; string(m.Data) != string(photo) || m.Size != len(photo) {
		t.Errorf("image handed on without its bytes: %+v", m)
	}
}

func TestProcessorMedia(t *testing.T) {
	photo := graphtest.JPEG("photo of a roof")
	sum := sha256.Sum256(photo)
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	cases := []struct {
		name     string
		webhook  string // the hash the webhook gives
		setup    func(g *graphtest.Server)
		wantData bool
		requests int
	}{
		{"downloaded", b64, func(g *graphtest.Server) { g.AddMedia("m1", "image/jpeg", photo) }, true, 2},
		{"transient failures retried", b64, func(g *graphtest.Server) {
			g.AddMedia("m1", "image/jpeg", photo)
			g.FailNextMedia(2, http.StatusInternalServerError, 131000)
		}, true, 4},
		{"server keeps failing", b64, func(g *graphtest.Server) {
			g.AddMedia("m1", "image/jpeg", photo)
			g.FailNextMedia(3, http.StatusServiceUnavailable, 131016)
		}, false, 3},
		{"unknown media id", b64, func(g *graphtest.Server) {}, false, 1},
		{"too large", b64, func(g *graphtest.Server) { g.AddMediaWith("m1", "image/jpeg", photo, "", "9000000") }, false, 1},
		{"html labelled image/jpeg", "", func(g *graphtest.Server) {
			g.AddMedia("m1", "image/jpeg", []byte("<html><body>not a photo</body></html>"))
		}, false, 2},
		{"png labelled image/jpeg", "", func(g *graphtest.Server) { g.AddMedia("m1", "image/jpeg", pngBytes()) }, false, 2},
		{"webhook hash differs", base64.StdEncoding.EncodeToString(make([]byte, 32)), func(g *graphtest.Server) { g.AddMedia("m1", "image/jpeg", photo) }, false, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(t)
			tc.setup(g)
			inbox := newMemInbox()
			inbox.AddInbox(context.Background(), ChannelName, imagePayload("447700900123", "wamid.img", "m1", tc.webhook), time.Now())
			d := &recDispatcher{inbox: inbox}
			newTestProcessor(t, inbox, d, func(o *ProcessorOptions) {
				o.Media = newTestClient(g)
				o.MaxImageBytes = 1 << 20
			})
			eventually(t, "inbox drained", func() bool { return inbox.pending() == 0 })
			got := d.inbound()
			if len(got) != 1 || got[0].Kind != core.InImage || len(got[0].Media) != 1 {
				t.Fatalf("got %+v, want the image message handed on", got)
			}
			m := got[0].Media[0]
			if (len(m.Data) > 0) != tc.wantData {
				t.Fatalf("data %q, want data=%v", m.Data, tc.wantData)
			}
			if tc.wantData && m.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("sha256 %q, want the hex hash of the bytes", m.SHA256)
			}
			if !tc.wantData && m.ID != "m1" {
				t.Errorf("media id %q lost", m.ID)
			}
			if n := len(g.Requests()); n != tc.requests {
				t.Errorf("%d media requests, want %d", n, tc.requests)
			}
		})
	}
}

func TestProcessorStatuses(t *testing.T) {
	inbox := newMemInbox()
	addFixture(t, inbox, "statuses-odd-order")
	addFixture(t, inbox, "status-failed-131047")
	addFixture(t, inbox, "status-failed-131026")
	ob := newMemOutbox()
	for _, id := range []string{"001", "003", "004"} {
		ob.known["wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSQkFEQ0FGRTIw"+id+"A="] = true
	}
	var mu sync.Mutex
	var templates []string
	d := &recDispatcher{inbox: inbox}
	newTestProcessor(t, inbox, d, func(o *ProcessorOptions) {
		o.MaxInFlight = 1 // one payload after the other, so the golden order is fixed
		o.Outbox = ob
		o.NeedsTemplate = func(_ context.Context, contact string) error {
			mu.Lock()
			templates = append(templates, contact)
			mu.Unlock()
			return nil
		}
	})
	eventually(t, "inbox drained", func() bool { return inbox.pending() == 0 })
	ob.mu.Lock()
	got := ob.updates
	ob.mu.Unlock()
	golden.Check(t, "testdata/processor/statuses.golden", mustJSON(t, got))
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(templates) != "[whatsapp:447700900123]" {
		t.Errorf("templates queued for %v, want one for the 131047 failure", templates)
	}
}

func TestProcessorRetriesEngineFailures(t *testing.T) {
	inbox := newMemInbox()
	inbox.AddInbox(context.Background(), ChannelName, textPayload("447700900123", "wamid.flaky", "hi"), time.Now())
	inbox.AddInbox(context.Background(), ChannelName, textPayload("31612345678", "wamid.broken", "hi"), time.Now())
	var mu sync.Mutex
	calls := map[string]int{}
	d := &recDispatcher{inbox: inbox, fn: func(in core.Inbound) error {
		mu.Lock()
		defer mu.Unlock()
		calls[in.ID]++
		if in.ID == "wamid.broken" || calls[in.ID] < 3 {
			return errors.New("store unavailable")
		}
		return nil
	}}
	newTestProcessor(t, inbox, d, func(o *ProcessorOptions) { o.MaxAttempts = 4 })
	eventually(t, "inbox drained", func() bool { return inbox.pending() == 0 })
	mu.Lock()
	defer mu.Unlock()
	if calls["wamid.flaky"] != 3 || calls["wamid.broken"] != 4 {
		t.Errorf("calls %v, want 3 for the flaky message and 4 (the limit) for the broken one", calls)
	}
}

func TestProcessorDropsUnreadablePayload(t *testing.T) {
	inbox := newMemInbox()
	inbox.AddInbox(context.Background(), ChannelName, mustRead(t, "testdata/webhooks/invalid/bad-timestamp.json"), time.Now())
	addFixture(t, inbox, "text")
	d := &recDispatcher{inbox: inbox}
	newTestProcessor(t, inbox, d, nil)
	eventually(t, "inbox drained", func() bool { return inbox.pending() == 0 })
	if got := d.ids(); len(got) != 1 {
		t.Errorf("submitted %v", got)
	}
}

// TestProcessorShutdownLeavesUnfinishedWork checks that a payload whose
// turn is not committed when the grace period ends stays in the inbox.
func TestProcessorShutdownLeavesUnfinishedWork(t *testing.T) {
	inbox := newMemInbox()
	inbox.AddInbox(context.Background(), ChannelName, textPayload("447700900123", "wamid.slow", "hi"), time.Now())
	release := make(chan struct{})
	d := &recDispatcher{inbox: inbox, fn: func(core.Inbound) error { <-release; return nil }}
	_, stop := newTestProcessor(t, inbox, d, func(o *ProcessorOptions) { o.Grace = time.Millisecond })
	eventually(t, "the message submitted", func() bool { return len(d.ids()) == 1 })
	stop()
	close(release)
	if inbox.pending() != 1 {
		t.Fatal("an unfinished payload was removed from the inbox")
	}
}

// TestProcessorAdd checks the webhook's fast path: a payload handed over
// with Add is processed without waiting for a scan.
func TestProcessorAdd(t *testing.T) {
	inbox := newMemInbox()
	d := &recDispatcher{inbox: inbox}
	p, _ := newTestProcessor(t, inbox, d, nil)
	eventually(t, "running", p.Running)
	body := textPayload("447700900123", "wamid.fast", "hi")
	id, _ := inbox.AddInbox(context.Background(), ChannelName, body, time.Now())
	p.Add(core.InboxItem{ID: id, Channel: ChannelName, Body: body})
	eventually(t, "inbox drained", func() bool { return inbox.pending() == 0 })
	if got := d.ids(); fmt.Sprint(got) != "[wamid.fast]" {
		t.Errorf("submitted %v", got)
	}
}

// pngBytes is a real 1×1 PNG.
func pngBytes() []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	return b.Bytes()
}
