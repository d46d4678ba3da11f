package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/channels/whatsapp"
	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
	"github.com/allmyleads/allmyleads/engine/core"
)

// poisonChildEnv makes the test binary a serve process whose handling of a
// message containing "CRASH" kills it, as a fatal bug would.
const poisonChildEnv = "ALLMYLEADS_POISON_CHILD"

// crashingDispatcher exits the process on a poison message.
type crashingDispatcher struct{ inner core.Dispatcher }

func (d crashingDispatcher) Submit(ctx context.Context, in core.Inbound) <-chan error {
	if strings.Contains(in.Text, "CRASH") {
		os.Exit(3)
	}
	return d.inner.Submit(ctx, in)
}

// TestPoisonChild is the child serve process of TestPoisonMessageQuarantined
// and TestKillUnderLoad.
func TestPoisonChild(t *testing.T) {
	if os.Getenv(poisonChildEnv) == "" {
		t.Skip("run by TestPoisonMessageQuarantined")
	}
	cfg := DefaultConfig()
	cfg.Store.Path = os.Getenv("CHILD_DB")
	cfg.WhatsApp.Token, cfg.WhatsApp.PhoneNumberID = os.Getenv("CHILD_TOKEN"), os.Getenv("CHILD_PHONE_ID")
	cfg.WhatsApp.AppSecret, cfg.WhatsApp.VerifyToken = e2eSecret, e2eVerify
	cfg.WhatsApp.APIBase, cfg.WhatsApp.RatePerSecond = os.Getenv("CHILD_API"), 1000
	cfg.Server.Addr = "127.0.0.1:0"
	env := &cliEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: os.Stderr, getenv: func(string) string { return "" }}
	srv, err := startServer(context.Background(), cfg, env, serverOptions{quiet: true, tune: func(co *whatsapp.ChannelOptions) {
		fastWorkers(co)
		fast, fastSender := co.Processor, co.Sender
		co.Processor = func(o *whatsapp.ProcessorOptions) {
			fast(o)
			o.Dispatcher = crashingDispatcher{o.Dispatcher}
		}
		co.Sender = func(o *whatsapp.SenderOptions) {
			fastSender(o)
			o.InFlightWait = 15 * time.Second // bounds the kill test when a status is lost for good
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("listening %s\n", srv.ln.Addr())
	_ = srv.wait(context.Background()) // until the parent kills it
}

// child is one serve process of the test.
type child struct {
	cmd  *exec.Cmd
	addr string
}

func startChild(t *testing.T, g *graphtest.Server, db string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPoisonChild$")
	cmd.Env = append(os.Environ(), poisonChildEnv+"=1", "CHILD_DB="+db, "CHILD_TOKEN="+g.Token(),
		"CHILD_PHONE_ID="+g.PhoneNumberID, "CHILD_API="+g.BaseURL())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if addr, ok := strings.CutPrefix(lines.Text(), "listening "); ok {
			go io.Copy(io.Discard, out)
			return &child{cmd: cmd, addr: addr}
		}
	}
	cmd.Wait()
	t.Fatalf("the child server did not start (exit %v)", cmd.ProcessState)
	return nil
}

func (c *child) post(t *testing.T, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+c.addr+whatsapp.WebhookPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.SignatureHeaderValue(e2eSecret, body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("webhook answered %d", res.StatusCode)
	}
}

// exited waits for the child to die and returns its exit code.
func (c *child) exited(t *testing.T) int {
	t.Helper()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		t.Fatal("the child did not die on the poison message")
	}
	return c.cmd.ProcessState.ExitCode()
}

func textFrom(from, id, text string) []byte {
	return envelope(map[string]any{
		"contacts": []any{map[string]any{"profile": map[string]any{"name": "Ana Lima"}, "wa_id": from}},
		"messages": []any{map[string]any{"from": from, "id": id, "timestamp": fmt.Sprint(time.Now().Unix()), "type": "text", "text": map[string]any{"body": text}}},
	})
}

// TestPoisonMessageQuarantined: a message whose handling kills the server
// is tried on three starts (each counted in the store before it is
// handled); the fourth start quarantines it: the customer is told a person
// will follow up, and the server serves everyone else.
func TestPoisonMessageQuarantined(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	g := graphtest.New(t)
	db := filepath.Join(t.TempDir(), "allmyleads.db")
	c := startChild(t, g, db)
	c.post(t, textFrom("447700900111", "wamid.poison", "hello CRASH"))
	for start := 1; ; start++ {
		if code := c.exited(t); code != 3 {
			t.Fatalf("start %d: the child exited %d, want the crash's 3", start, code)
		}
		c = startChild(t, g, db) // the inbox still holds the payload
		if start == 3 {
			break
		}
	}
	defer func() { c.cmd.Process.Kill(); c.cmd.Wait() }()
	c.post(t, textFrom("447700900222", "wamid.other", "hi"))
	sentTo := func(reqs []graphtest.Request, to, part string) bool {
		for _, r := range reqs {
			if r.IsSend() && r.Body["to"] == to && strings.Contains(fmt.Sprint(r.Body), part) {
				return true
			}
		}
		return false
	}
	if !g.WaitFor(30*time.Second, func(reqs []graphtest.Request) bool {
		return sentTo(reqs, "447700900111", "A member of our team will follow up") && sentTo(reqs, "447700900222", "Welcome")
	}) {
		t.Fatalf("after the quarantine: sent %d messages; want the apology to the poison's sender and a welcome to the other customer", len(g.Sent()))
	}
}
