package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/whatsapp"
	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
	"github.com/allmyleads/allmyleads/engine/store/postgres"
	"github.com/allmyleads/allmyleads/engine/store/postgres/pgtest"
	"github.com/allmyleads/allmyleads/engine/store/seal"
)

// twoServerScript is what every customer of the two-server test types:
// the start of the shipped quote conversation, whose answers only make
// sense in order (a name, then an email...).
var twoServerScript = benchScript[:8]

// TestPostgresTwoServers runs two serve processes' runtimes (each its own
// store, HTTP server, inbox worker and sender) on one Postgres database,
// sends each customer's signed webhooks to both in turn (the next as soon
// as the last was answered 200, not when it was handled), and checks that
// every message is answered exactly once and in order: each customer's
// replies are the replies one server on bbolt gives the same script.
func TestPostgresTwoServers(t *testing.T) {
	url := pgtest.URL(t)
	schema := pgtest.Schema(t)
	const contacts = 40

	want := referenceReplies(t)
	t.Logf("the script gets %d replies from one server", len(want))

	g := graphtest.Start()
	defer g.Close()
	key, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	getenv := func(name string) string {
		if name == seal.EnvKey {
			return seal.EncodeKey(key)
		}
		return ""
	}
	var servers []*harness
	for range 2 {
		cfg := e2eConfig(g, t.TempDir())
		cfg.Store.Driver, cfg.Store.URL, cfg.Store.Schema, cfg.Store.MaxConns = driverPostgres, url, schema, 8
		cfg.Engine.Workers = 16
		cfg.Web.Enabled = false
		servers = append(servers, startHarnessEnv(t, g, cfg, serverOptions{noRetention: true}, getenv))
	}

	var wg sync.WaitGroup
	errs := make(chan error, contacts)
	for c := range contacts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := fmt.Sprintf("4477008%05d", c)
			for k, text := range twoServerScript {
				h := servers[(c+k)%len(servers)]
				body := textWebhook(from, fmt.Sprintf("wamid.two.%05d.%02d", c, k), text)
				if code := h.post(body); code != 200 {
					errs <- fmt.Errorf("contact %d message %d: answered %d", c, k, code)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	total := contacts * len(want)
	if !g.WaitFor(2*time.Minute, func(sent []graphtest.Request) bool { return len(sendsOf(sent)) >= total }) {
		t.Fatalf("the servers sent %d replies, want %d", len(sendsOf(g.Sent())), total)
	}
	// Let the claims settle: every payload done, every message sent.
	waitEmpty(t, servers[0])

	byContact := map[string][]string{}
	for _, r := range g.Sent() {
		to, _ := r.Body["to"].(string)
		byContact[to] = append(byContact[to], replyText(r))
	}
	for c := range contacts {
		from := fmt.Sprintf("4477008%05d", c)
		got := byContact[from]
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("customer %d got %d replies, want %d in this order:\n got %q\nwant %q", c, len(got), len(want), got, want)
		}
	}
	if len(byContact) != contacts {
		t.Errorf("replies went to %d customers, want %d", len(byContact), contacts)
	}
}

// referenceReplies runs the script for one customer on one server on
// bbolt and returns the replies it sends.
func referenceReplies(t *testing.T) []string {
	t.Helper()
	g := graphtest.Start()
	defer g.Close()
	cfg := e2eConfig(g, t.TempDir())
	cfg.Store.Path = filepath.Join(t.TempDir(), "reference.db")
	cfg.Web.Enabled = false
	h := startHarness(t, g, cfg, serverOptions{noRetention: true})
	defer h.stop()
	from := "447700799999"
	for k, text := range twoServerScript {
		before := len(sendsOf(g.Sent()))
		h.mustPost(textWebhook(from, fmt.Sprintf("wamid.ref.%02d", k), text))
		// One message at a time: the reference is the one-process order.
		if !g.WaitFor(time.Minute, func(sent []graphtest.Request) bool { return len(sendsOf(sent)) > before }) {
			t.Fatalf("reference: no reply to %q", text)
		}
		waitEmpty(t, h)
	}
	var out []string
	for _, r := range g.Sent() {
		out = append(out, replyText(r))
	}
	return out
}

// waitEmpty waits until the server's store has no pending payload and no
// queued message left.
func waitEmpty(t *testing.T, h *harness) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := waitInboxEmpty(ctx, h.srv); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := h.srv.rt.store.Depths(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, v := range d.Outbox {
			n += v
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still queued after a minute", n)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func sendsOf(rs []graphtest.Request) []graphtest.Request { return rs }

// replyText is what a reply says: its text, or its interactive body.
func replyText(r graphtest.Request) string {
	if tx, ok := r.Body["text"].(map[string]any); ok {
		s, _ := tx["body"].(string)
		return s
	}
	if in, ok := r.Body["interactive"].(map[string]any); ok {
		b, _ := json.Marshal(in["body"])
		return string(b)
	}
	t, _ := r.Body["type"].(string)
	return "[" + t + "]"
}

// textWebhook is a WhatsApp webhook with one text message.
func textWebhook(from, id, text string) []byte {
	body, _ := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry": []any{map[string]any{"id": "987654321098765", "changes": []any{map[string]any{"field": "messages", "value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          map[string]any{"display_phone_number": "15550001111", "phone_number_id": graphtest.DefaultPhoneNumberID},
			"contacts":          []any{map[string]any{"profile": map[string]any{"name": "Two Servers"}, "wa_id": from}},
			"messages": []any{map[string]any{"from": from, "id": id, "timestamp": fmt.Sprint(time.Now().Unix()), "type": "text",
				"text": map[string]any{"body": text}}},
		}}}}},
	})
	return body
}

// TestPostgresRecordCommands runs the record commands against a Postgres
// store that a server is using at the same time: they reach the database
// themselves (no admin socket), erase takes the contact's lock across
// processes, and after the erasure no table holds the customer's data.
func TestPostgresRecordCommands(t *testing.T) {
	url := pgtest.URL(t)
	schema := pgtest.Schema(t)
	key, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{seal.EnvKey: seal.EncodeKey(key), "ALLMYLEADS_DATABASE_URL": url}
	getenv := func(name string) string { return vars[name] }
	g := graphtest.Start()
	defer g.Close()
	cfg := e2eConfig(g, t.TempDir())
	cfg.Store.URL, cfg.Store.Schema = url, schema
	cfg.Web.Enabled = false
	h := startHarnessEnv(t, g, cfg, serverOptions{noRetention: true}, getenv)
	from := "447700812345"
	for k, text := range twoServerScript[:4] {
		h.mustPost(textWebhook(from, fmt.Sprintf("wamid.rec.%02d", k), text))
	}
	waitEmpty(t, h)

	conf := filepath.Join(t.TempDir(), "allmyleads.yaml")
	if err := os.WriteFile(conf, []byte("store:\n  schema: "+schema+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runCmd := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		e := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: getenv}
		code := run(context.Background(), e, append(args, "--config", conf))
		return code, out.String(), errb.String()
	}
	code, out, errOut := runCmd("leads", "--format", "csv")
	if code != exitOK || !strings.Contains(out, "+"+from) || !strings.Contains(out, "Ana Lima") {
		t.Fatalf("leads: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmd("export", "--contact", "+"+from)
	if code != exitOK || !strings.Contains(out, "ana@example.com") {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runCmd("backup", "/tmp/never.db")
	if code != exitInput || !strings.Contains(errOut, "pg_dump") {
		t.Errorf("backup on Postgres: exit %d: %s", code, errOut)
	}
	code, out, errOut = runCmd("erase", "--contact", "+"+from, "--yes")
	if code != exitOK {
		t.Fatalf("erase: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmd("export", "--contact", "+"+from)
	if code != exitOK || strings.Contains(out, "Ana Lima") || !strings.Contains(errOut, "nothing is held") {
		t.Errorf("export after the erasure: exit %d\n%s%s", code, out, errOut)
	}
	h.stop()
	dump := pgtest.Dump(t, url, schema)
	for _, s := range []string{"Ana Lima", "ana@example.com", from} {
		if bytes.Contains(dump, []byte(s)) {
			t.Errorf("after the erasure the database holds %q in the clear", s)
		}
	}
}

// deliverTo posts a signed webhook to one of the running server
// processes, starting with the first address and trying the next when a
// process does not answer 200 (it was killed), as a load balancer and
// Meta's retries do.
func deliverTo(t *testing.T, addrs []*atomic.Value, first int, body []byte, deadline time.Time) {
	for i := first; time.Now().Before(deadline); i++ {
		addr := addrs[i%len(addrs)]
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
		if i%len(addrs) == len(addrs)-1 {
			time.Sleep(20 * time.Millisecond) // Meta's retry after every process refused
		}
	}
	t.Errorf("a webhook was never delivered")
}

// TestPostgresKillUnderLoad runs two serve processes on one Postgres
// database while signed webhooks of 40 customers arrive at both in turn,
// and kills one with SIGKILL twice (restarting it each time): its claimed
// payloads and messages go to the other when its lease ends, every
// message is handled (0 lost), and every reply reaches the Graph API
// exactly once (0 sent twice), Meta's status webhooks resolving the sends
// the killed process had begun.
func TestPostgresKillUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	url, schema := pgtest.URL(t), pgtest.Schema(t)
	g := graphtest.New(t)
	key, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	childEnv := []string{"CHILD_PG_URL=" + url, "CHILD_PG_SCHEMA=" + schema, "CHILD_KEY=" + seal.EncodeKey(key)}
	addrs := []*atomic.Value{{}, {}}
	children := make([]*child, 2)
	start := func(i int) {
		children[i] = startChild(t, g, filepath.Join(t.TempDir(), "unused.db"), childEnv...)
		addrs[i].Store(children[i].addr)
	}
	start(0)
	start(1)
	deadline := time.Now().Add(3 * time.Minute)
	var statuses atomic.Int64
	g.ReportStatuses(&graphtest.StatusReports{Post: func(body []byte) {
		deliverTo(t, addrs, int(statuses.Add(1)), body, deadline)
	}})

	const contacts = 40
	lines := []string{"hi", "yes", "Ana Lima"}
	var wg sync.WaitGroup
	for i := range contacts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := fmt.Sprintf("4477007%05d", i)
			for k, text := range lines {
				deliverTo(t, addrs, i+k, textFrom(from, fmt.Sprintf("wamid.pgkill.%d.%d", i, k), text), deadline)
			}
		}()
	}
	want := contacts * 4 // welcome, consent, the name question, the email question
	for kill := 1; kill <= 2; kill++ {
		if !g.WaitFor(time.Minute, func(reqs []graphtest.Request) bool { return sends(reqs) >= kill*want/3 }) {
			t.Fatalf("kill %d: only %d sends", kill, sends(g.Requests()))
		}
		victim := kill % 2
		children[victim].cmd.Process.Kill()
		children[victim].cmd.Wait()
		start(victim)
	}
	wg.Wait()
	if !g.WaitFor(2*time.Minute, func(reqs []graphtest.Request) bool { return sends(reqs) >= want }) {
		t.Fatalf("after the kills: %d sends, want %d", sends(g.Requests()), want)
	}
	for _, c := range children {
		c.cmd.Process.Signal(syscall.SIGTERM)
		c.cmd.Wait()
	}

	seen, twice := sentOnce(t, g)
	st, err := postgres.Open(context.Background(), postgres.Options{URL: url, Schema: schema, Key: key, MaxConns: 2, TurnConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lost := 0
	for i := range contacts {
		s, err := st.Session(context.Background(), fmt.Sprintf("whatsapp:4477007%05d", i))
		if err != nil || s == nil || s.Step != "ask_email" {
			lost++
			t.Errorf("customer %d: session %+v, %v; want it waiting at ask_email", i, s, err)
		}
	}
	t.Logf("2 processes, 2 kills, %d customers: %d replies, %d sent twice, %d conversations behind", contacts, len(seen), twice, lost)
}
