package channeltest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Recorder stands in for the engine and the store: it is the core.Dispatcher
// a channel hands messages to, and an in-memory core.Store, core.Inbox and
// core.Outbox, so a channel can be tested without a database. It records
// the inbound messages and delivery statuses the kit checks.
type Recorder struct {
	mu       sync.Mutex
	changed  chan struct{}
	inbound  []Message
	statuses []Status
	inbox    []core.InboxItem
	done     map[string]bool
	next     int
}

var (
	_ core.Dispatcher = (*Recorder)(nil)
	_ core.Store      = (*Recorder)(nil)
	_ core.Inbox      = (*Recorder)(nil)
	_ core.Outbox     = (*Recorder)(nil)
)

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{changed: make(chan struct{}), done: map[string]bool{}}
}

func (r *Recorder) signal() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Submit records a message as the engine would receive it.
func (r *Recorder) Submit(_ context.Context, in core.Inbound) <-chan error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inbound = append(r.inbound, Message{Contact: in.Contact, Kind: string(in.Kind), Text: in.Text, ReplyID: in.ReplyID, Media: len(in.Media), Name: in.ProfileName})
	r.signal()
	done := make(chan error, 1)
	done <- nil
	return done
}

// Handle is Submit for channels that wait for the turn (the terminal).
func (r *Recorder) Handle(ctx context.Context, in core.Inbound) error {
	return <-r.Submit(ctx, in)
}

// Session returns no session: every contact is new.
func (r *Recorder) Session(context.Context, string) (*core.Session, error) { return nil, nil }

// Commit accepts a turn (a channel queues templates this way).
func (r *Recorder) Commit(context.Context, *core.Turn) error { return nil }

// Media finds nothing.
func (r *Recorder) Media(context.Context, string) (*core.Media, error) { return nil, core.ErrNotFound }

// Seen says no id was handled before.
func (r *Recorder) Seen(context.Context, string, string) (bool, error) { return false, nil }

// AddInbox keeps a raw payload.
func (r *Recorder) AddInbox(_ context.Context, channel string, body []byte, at time.Time) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	id := fmt.Sprintf("%020d", r.next)
	r.inbox = append(r.inbox, core.InboxItem{ID: id, Channel: channel, Body: bytes.Clone(body), Received: at})
	return id, nil
}

// PendingInbox returns the payloads not yet done.
func (r *Recorder) PendingInbox(_ context.Context, limit int) ([]core.InboxItem, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []core.InboxItem
	for _, it := range r.inbox {
		if !r.done[it.ID] && len(out) < limit {
			out = append(out, it)
		}
	}
	return out, nil
}

// DoneInbox marks a payload handled.
func (r *Recorder) DoneInbox(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done[id] = true
	r.signal()
	return nil
}

// BeginInbox counts nothing: the recorder never crashes.
func (r *Recorder) BeginInbox(context.Context, string) (int, error) { return 1, nil }

// PendingOutbound has nothing to send.
func (r *Recorder) PendingOutbound(context.Context, string, int) ([]core.OutboxItem, error) {
	return nil, nil
}

// MarkSent accepts.
func (r *Recorder) MarkSent(context.Context, string, string, time.Time) error { return nil }

// MarkInFlight accepts.
func (r *Recorder) MarkInFlight(context.Context, string, time.Time) error { return nil }

// MarkRetry accepts.
func (r *Recorder) MarkRetry(context.Context, string, time.Time, string) error { return nil }

// MarkFailed accepts.
func (r *Recorder) MarkFailed(context.Context, string, int, string, bool) error { return nil }

// UpdateDelivery records a delivery status.
func (r *Recorder) UpdateDelivery(_ context.Context, providerID string, d core.Delivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(r.statuses, Status{ProviderID: providerID, Status: d.Status})
	r.signal()
	return nil
}

// settled reports whether every stored payload has been handled.
func (r *Recorder) settled() bool {
	for _, it := range r.inbox {
		if !r.done[it.ID] {
			return false
		}
	}
	return true
}

// wait waits until cond holds (checked under the lock) and every stored
// payload was handled, or fails the test after a generous deadline.
func (r *Recorder) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond() && r.settled()
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("channeltest: gave up waiting for %s", what)
		}
	}
}

func (r *Recorder) waitInbound(t *testing.T, n int) []Message {
	t.Helper()
	r.wait(t, fmt.Sprintf("%d inbound messages", n), func() bool { return len(r.inbound) >= n })
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.inbound...)
}

func (r *Recorder) waitStatuses(t *testing.T, n int) []Status {
	t.Helper()
	r.wait(t, fmt.Sprintf("%d statuses", n), func() bool { return len(r.statuses) >= n })
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Status(nil), r.statuses...)
}
