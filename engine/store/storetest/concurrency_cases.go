package storetest

import (
	"fmt"
	"sync"
	"testing"
)

// testConcurrentCommits: 64 goroutines, one per contact, commit turns and
// add webhook payloads at once: every commit is kept, each contact reads
// its own writes, no outbox id is handed out twice and each contact's
// replies stay in order.
func testConcurrentCommits(t *testing.T, h Harness) {
	const writers, turns = 64, 3
	e := open(t, h)
	at := e.now()
	var wg sync.WaitGroup
	errs := make(chan error, writers*(turns+1))
	inboxIDs := make([]string, writers)
	ready := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cust(100 + w)
			<-ready
			for n := range turns {
				turn := c.turn(fmt.Sprintf("wamid.c%d.%d", w, n), at)
				turn.Session.Step = fmt.Sprintf("step_%d", n)
				turn.Outbound[0].Text = fmt.Sprintf("reply %d", n)
				if err := e.b.Commit(e.ctx, turn); err != nil {
					errs <- fmt.Errorf("writer %d turn %d: %w", w, n, err)
					return
				}
				// A contact's next turn reads the session this one saved.
				sess, err := e.b.Session(e.ctx, c.URN)
				if err != nil || sess == nil || sess.Step != turn.Session.Step {
					errs <- fmt.Errorf("writer %d after turn %d: session %+v, %v", w, n, sess, err)
					return
				}
			}
			id, err := e.b.AddInbox(e.ctx, "whatsapp", webhook(c), at)
			if err != nil {
				errs <- fmt.Errorf("writer %d: add inbox: %w", w, err)
				return
			}
			inboxIDs[w] = id
		}()
	}
	close(ready)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	items := e.pending("whatsapp")
	if len(items) != writers*turns {
		t.Errorf("outbox holds %d items, want %d", len(items), writers*turns)
	}
	ids := map[string]bool{}
	for _, it := range items {
		if ids[it.ID] {
			t.Errorf("outbox id %s handed out twice", it.ID)
		}
		ids[it.ID] = true
	}
	for w := range writers {
		c := cust(100 + w)
		if got := texts(ofContact(items, c.URN)); got != "reply 0,reply 1,reply 2" {
			t.Errorf("writer %d's replies = %q, want them in order", w, got)
		}
		if sess := e.session(c.URN); sess == nil || sess.Step != fmt.Sprintf("step_%d", turns-1) {
			t.Errorf("writer %d's session = %+v, want the last turn's", w, sess)
		}
		for n := range turns {
			if !e.seen("whatsapp", fmt.Sprintf("wamid.c%d.%d", w, n)) {
				t.Errorf("writer %d turn %d not seen", w, n)
			}
		}
	}
	pending := e.pendingInbox()
	got := map[string]bool{}
	for _, it := range pending {
		got[it.ID] = true
	}
	for w, id := range inboxIDs {
		if !got[id] {
			t.Errorf("writer %d's webhook payload %s is not pending", w, id)
		}
	}
	if len(pending) != writers {
		t.Errorf("%d pending payloads, want %d", len(pending), writers)
	}
	// The same after a restart: every commit returned was durable.
	e.reopen()
	if n := len(e.pending("whatsapp")); n != writers*turns {
		t.Errorf("after a restart the outbox holds %d items, want %d", n, writers*turns)
	}
}
