package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
)

// killedOutbox is the outbox of a process killed right after its sends
// reached Meta: nothing it sends is ever recorded.
type killedOutbox struct{ *memOutbox }

func (k killedOutbox) MarkSent(context.Context, string, string, time.Time) error {
	return errors.New("killed")
}

// crashFixture: 4 contacts × 3 messages; process A sends each contact's
// first message and dies before recording any; Meta's status webhooks are
// held (late), duplicated or lost as the case says; process B starts.
type crashFixture struct {
	g     *graphtest.Server
	ob    *memOutbox
	inbox *memInbox
	clock *fakeClock
	b     *Sender
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newCrashFixture(t *testing.T, reports graphtest.StatusReports) *crashFixture {
	f := &crashFixture{g: graphtest.New(t), ob: newMemOutbox(), inbox: newMemInbox(), clock: &fakeClock{now: time.Now()}}
	reports.Post = func(body []byte) {
		if _, err := f.inbox.AddInbox(context.Background(), ChannelName, body, time.Now()); err != nil {
			t.Errorf("status webhook: %v", err)
		}
	}
	f.g.ReportStatuses(&reports)
	for i := range 3 {
		for c := range 4 {
			f.ob.add(text(fmt.Sprintf("+44770090010%d", c), fmt.Sprintf("m%d", i)))
		}
	}
	// Process A: sends, then dies before any record.
	a := NewSender(SenderOptions{Outbox: killedOutbox{f.ob}, Client: newTestClient(f.g), Rate: 1000, Clock: f.clock.Now})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	eventually(t, "process A's four sends", func() bool { return len(f.g.Sent()) == 4 })
	cancel()
	<-done
	f.ob.mu.Lock()
	inFlight := 0
	for _, it := range f.ob.items {
		if !it.InFlight.IsZero() {
			inFlight++
		}
	}
	f.ob.mu.Unlock()
	if f.ob.pending() != 12 || inFlight != 4 {
		t.Fatalf("after the crash: %d pending, %d in flight; want 12 and 4", f.ob.pending(), inFlight)
	}
	// Process B: a new sender and processor over the same outbox.
	f.b = NewSender(SenderOptions{Outbox: f.ob, Client: newTestClient(f.g), Rate: 1000, Clock: f.clock.Now, InFlightWait: time.Hour})
	newTestProcessor(t, f.inbox, &recDispatcher{inbox: f.inbox}, func(o *ProcessorOptions) { o.Outbox = f.ob; o.Poll = time.Millisecond })
	return f
}

// flush lets process B send all it may now.
func (f *crashFixture) flush(t *testing.T) {
	t.Helper()
	if err := f.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func sendsPerBody(g *graphtest.Server) map[string]int {
	n := map[string]int{}
	for to, bodies := range sentTexts(g) {
		for _, b := range bodies {
			n[to+" "+b]++
		}
	}
	return n
}

// TestCrashBetweenSendAndRecord: the sends a killed process made are
// recorded from Meta's late (and duplicated) status webhooks before the
// next process sends anything of those contacts: nothing goes out twice.
func TestCrashBetweenSendAndRecord(t *testing.T) {
	for _, dup := range []bool{false, true} {
		t.Run(fmt.Sprintf("duplicated=%v", dup), func(t *testing.T) {
			f := newCrashFixture(t, graphtest.StatusReports{Hold: true, Duplicate: dup})
			f.flush(t)
			if n := len(f.g.Sent()); n != 4 {
				t.Fatalf("process B sent before the statuses came: %d sends", n)
			}
			f.g.ReleaseStatuses()
			eventually(t, "the in-flight sends recorded", func() bool { return f.ob.pending() == 8 })
			f.flush(t)
			if f.ob.pending() != 0 {
				t.Fatalf("%d messages left", f.ob.pending())
			}
			for k, n := range sendsPerBody(f.g) {
				if n != 1 {
					t.Errorf("%s sent %d times", k, n)
				}
			}
			if len(f.g.Sent()) != 12 {
				t.Errorf("%d sends for 12 messages", len(f.g.Sent()))
			}
		})
	}
}

// TestCrashWithLostStatuses: when no status ever comes, process B sends
// the maybe-sent messages again only after InFlightWait (the trade-off:
// at least once rather than never).
func TestCrashWithLostStatuses(t *testing.T) {
	f := newCrashFixture(t, graphtest.StatusReports{Drop: true})
	f.flush(t)
	if n := len(f.g.Sent()); n != 4 {
		t.Fatalf("sent again before InFlightWait: %d sends", n)
	}
	f.clock.advance(time.Hour + time.Second)
	f.flush(t)
	if f.ob.pending() != 0 || len(f.g.Sent()) != 16 {
		t.Fatalf("after InFlightWait: %d pending, %d sends; want 0 and 16 (the four maybe-sent again)", f.ob.pending(), len(f.g.Sent()))
	}
}
