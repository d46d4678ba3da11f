package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/whatsapp"
	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
	"github.com/allmyleads/allmyleads/engine/store"
)

// deliver posts a signed webhook to whichever server process runs now, as
// Meta does: a post that finds no server, or no 200, is posted again.
func deliver(t *testing.T, addr *atomic.Value, body []byte, deadline time.Time) {
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr.Load().(string)+whatsapp.WebhookPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(whatsapp.SignatureHeader, whatsapp.SignatureHeaderValue(e2eSecret, body))
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond) // Meta's retry after a refused delivery
	}
	t.Errorf("a webhook was never delivered")
}

// TestKillUnderLoad kills a serve process with SIGKILL twice while signed
// webhooks of 40 customers arrive and replies go out, restarting it each
// time, with Meta's status webhooks (which carry each send's outbox id)
// delivered to whichever process runs: every message is handled (0 lost)
// and every reply reaches the Graph API exactly once (0 sent twice).
func TestKillUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	g := graphtest.New(t)
	db := filepath.Join(t.TempDir(), "allmyleads.db")
	var addr atomic.Value
	deadline := time.Now().Add(2 * time.Minute)
	g.ReportStatuses(&graphtest.StatusReports{Post: func(body []byte) { deliver(t, &addr, body, deadline) }})
	c := startChild(t, g, db)
	addr.Store(c.addr)

	const contacts = 40
	lines := []string{"hi", "yes", "Ana Lima"}
	var wg sync.WaitGroup
	for i := range contacts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := fmt.Sprintf("4477009%05d", i)
			for k, text := range lines {
				deliver(t, &addr, textFrom(from, fmt.Sprintf("wamid.kill.%d.%d", i, k), text), deadline)
			}
		}()
	}
	// Two kills, each once a third more of the replies went out.
	want := contacts * 4 // welcome, consent, the name question, the email question
	for kill := 1; kill <= 2; kill++ {
		if !g.WaitFor(time.Minute, func(reqs []graphtest.Request) bool { return sends(reqs) >= kill*want/3 }) {
			t.Fatalf("kill %d: only %d sends", kill, sends(g.Requests()))
		}
		c.cmd.Process.Kill()
		c.cmd.Wait()
		c = startChild(t, g, db)
		addr.Store(c.addr)
	}
	wg.Wait()
	if !g.WaitFor(time.Minute, func(reqs []graphtest.Request) bool { return sends(reqs) >= want }) {
		t.Fatalf("after the kills: %d sends, want %d", sends(g.Requests()), want)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()

	// Each outbox id went to Meta once.
	seen, twice := sentOnce(t, g)
	// Every customer's three messages were handled: each waits at the email question.
	key, err := store.ReadKeyFile(db + ".key")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Path: db, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lost := 0
	for i := range contacts {
		s, err := st.Session(context.Background(), fmt.Sprintf("whatsapp:4477009%05d", i))
		if err != nil || s == nil || s.Step != "ask_email" {
			lost++
			t.Errorf("customer %d: session %+v, %v; want it waiting at ask_email", i, s, err)
		}
	}
	t.Logf("2 kills, %d customers: %d replies, %d sent twice, %d conversations behind", contacts, len(seen), twice, lost)
}

// sends counts the accepted message sends among the requests.
func sends(reqs []graphtest.Request) int {
	n := 0
	for _, r := range reqs {
		if r.IsSend() && r.Status == http.StatusOK {
			n++
		}
	}
	return n
}

// sentOnce counts the replies the Graph API double accepted by outbox id
// (biz_opaque_callback_data), failing the test for each sent more than
// once; it returns the counts and how many were doubled.
func sentOnce(t *testing.T, g *graphtest.Server) (map[string]int, int) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range g.Sent() {
		if id, _ := r.Body["biz_opaque_callback_data"].(string); id != "" && r.Status == http.StatusOK {
			seen[id]++
		}
	}
	twice := 0
	for id, n := range seen {
		if n > 1 {
			twice++
			t.Errorf("outbox item %s sent %d times", id, n)
		}
	}
	return seen, twice
}
