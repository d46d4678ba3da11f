package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
)

// movingClock is a clock a test moves forward.
type movingClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *movingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *movingClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// TestServeSendsReminders: serve's scheduler fires a due reminder through
// the engine and the WhatsApp sender delivers it, once.
func TestServeSendsReminders(t *testing.T) {
	g := graphtest.New(t)
	clock := &movingClock{}
	h := startHarness(t, g, e2eConfig(g, t.TempDir()), serverOptions{clock: clock.Now, noRetention: true})
	body, _ := h.message("text", map[string]any{"body": "Hi"})
	h.mustPost(body)
	h.settle()
	texts := func() []string {
		var out []string
		for _, r := range g.Sent() {
			if m, ok := r.Body["text"].(map[string]any); ok {
				out = append(out, m["body"].(string))
			}
		}
		return out
	}
	reminders := func() int {
		n := 0
		for _, s := range texts() {
			if strings.HasPrefix(s, "Still there?") {
				n++
			}
		}
		return n
	}
	if reminders() != 0 {
		t.Fatalf("a reminder before its time: %q", texts())
	}
	clock.advance(3 * time.Hour)
	eventually(t, "the reminder", func() bool { return reminders() == 1 })
	h.settle()
	clock.advance(3 * time.Hour)
	h.settle()
	if n := reminders(); n != 1 {
		t.Errorf("%d reminders sent, want 1: %q", n, texts())
	}
}
