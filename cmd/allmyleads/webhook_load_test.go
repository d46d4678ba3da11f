package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/allmyleads/allmyleads/channels/whatsapp"
	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
	"github.com/allmyleads/allmyleads/engine/store"
	"github.com/allmyleads/allmyleads/engine/store/seal"
)

// benchOptions size a webhook benchmark.
type benchOptions struct {
	messages, contacts, conns int
	rate                      float64
	// postgres, when set, is a database URL: servers processes (at least
	// one) share schema on it instead of one server on a bbolt file.
	postgres, schema string
	servers          int
}

// benchResult is what a webhook benchmark measured.
type benchResult struct {
	opts      benchOptions
	sendTime  time.Duration   // first POST to last 200
	drainTime time.Duration   // first POST to an empty inbox
	latencies []time.Duration // of each 200, sorted
	failed    int             // answers other than 200
	replies   int             // Graph API sends made by the end
	commits   int64           // store write transactions (each one fsync)
	writes    int64           // store writes they carried
}

func (r *benchResult) perSecond() float64 {
	return float64(r.opts.messages) / r.sendTime.Seconds()
}

func (r *benchResult) handledPerSecond() float64 {
	return float64(r.opts.messages) / r.drainTime.Seconds()
}

func (r *benchResult) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(p * float64(len(r.latencies)-1))
	return r.latencies[i]
}

func (r *benchResult) print(w io.Writer) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Fprintf(w, "webhooks:  %d in %.2fs = %.0f msgs/s (signed, stored durably, answered 200)\n", r.opts.messages, r.sendTime.Seconds(), r.perSecond())
	fmt.Fprintf(w, "latency:   p50 %s  p90 %s  p99 %s  max %s\n", ms(r.percentile(0.50)), ms(r.percentile(0.90)), ms(r.percentile(0.99)), ms(r.percentile(1)))
	fmt.Fprintf(w, "handled:   all %d by the engine after %.2fs = %.0f msgs/s\n", r.opts.messages, r.drainTime.Seconds(), r.handledPerSecond())
	fmt.Fprintf(w, "replies:   %d sent to the Graph API double by then (sender limit %.0f/s)\n", r.replies, r.opts.rate)
	if r.commits > 0 {
		fmt.Fprintf(w, "store:     %d writes in %d fsynced commits (%.1f writes per commit)\n", r.writes, r.commits, float64(r.writes)/float64(r.commits))
	}
	if r.failed > 0 {
		fmt.Fprintf(w, "failures:  %d webhooks not answered 200\n", r.failed)
	}
}

// benchScript is what each bench customer types, in order: the start of
// the shipped quote conversation.
var benchScript = []string{
	"Hi", "1", "Ana Lima", "ana@example.com", "1", "skip", "12 High Street, Bristol BS1 4DJ", "1",
	"Some tiles slipped in the storm and the gutter leaks.", "how long will it take?",
}

// benchWebhook starts a server on 127.0.0.1 with a temporary database and
// the Graph API double, posts signed webhooks and measures them.
func benchWebhook(ctx context.Context, env *cliEnv, o benchOptions) (*benchResult, error) {
	dir, err := os.MkdirTemp("", "allmyleads-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	g := graphtest.Start()
	defer g.Close()
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	cfg := DefaultConfig()
	cfg.Store.Path = filepath.Join(dir, "bench.db")
	cfg.WhatsApp = WhatsAppConfig{
		Token: g.Token(), PhoneNumberID: g.PhoneNumberID, AppSecret: hex.EncodeToString(secret), VerifyToken: "bench",
		APIBase: g.BaseURL(), RatePerSecond: o.rate, TemplateLanguage: "en_US",
	}
	getenv := func(string) string { return "" }
	servers := 1
	if o.postgres != "" {
		servers = max(1, o.servers)
		key, err := seal.GenerateKey()
		if err != nil {
			return nil, err
		}
		getenv = func(name string) string {
			if name == seal.EnvKey {
				return seal.EncodeKey(key)
			}
			return ""
		}
		cfg.Store.Driver, cfg.Store.URL, cfg.Store.Schema = driverPostgres, o.postgres, o.schema
		cfg.Engine.Workers = 64 / servers
		cfg.Web.Enabled = false
	}
	quiet := &cliEnv{stdin: env.stdin, stdout: io.Discard, stderr: io.Discard, getenv: getenv}
	var srvs []*server
	var urls []string
	for range servers {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		srv, err := startServer(ctx, cfg, quiet, serverOptions{listener: ln, quiet: true, noRetention: o.postgres != ""})
		if err != nil {
			return nil, err
		}
		runCtx, stop := context.WithCancel(ctx)
		served := make(chan error, 1)
		go func() { served <- srv.wait(runCtx) }()
		defer func() { stop(); <-served }()
		srvs = append(srvs, srv)
		urls = append(urls, "http://"+ln.Addr().String()+whatsapp.WebhookPath)
	}
	srv := srvs[0]

	bodies := benchBodies(o)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: o.conns, MaxIdleConnsPerHost: o.conns, MaxConnsPerHost: o.conns}}
	defer client.CloseIdleConnections()
	res := &benchResult{opts: o, latencies: make([]time.Duration, len(bodies))}
	var failed atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range o.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if !postSigned(ctx, client, urls[i%len(urls)], cfg.WhatsApp.AppSecret, bodies[i]) {
					failed.Add(1)
				}
				res.latencies[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	res.sendTime = time.Since(start)
	res.failed = int(failed.Load())
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := waitInboxEmpty(ctx, srv); err != nil {
		return nil, err
	}
	res.drainTime = time.Since(start)
	res.replies = len(g.Sent())
	if bst, ok := srv.rt.store.(*store.Store); ok {
		ws := bst.WriteStats()
		res.commits, res.writes = ws.Commits, ws.Writes
	}
	slices.Sort(res.latencies)
	return res, nil
}

// benchBodies builds the webhooks: message k of every contact before
// message k+1 of any, so each contact's messages arrive in order.
func benchBodies(o benchOptions) [][]byte {
	bodies := make([][]byte, 0, o.messages)
	for k := 0; len(bodies) < o.messages; k++ {
		for c := 0; c < o.contacts && len(bodies) < o.messages; c++ {
			from := fmt.Sprintf("4477009%05d", c)
			body, _ := json.Marshal(map[string]any{
				"object": "whatsapp_business_account",
				"entry": []any{map[string]any{"id": "987654321098765", "changes": []any{map[string]any{"field": "messages", "value": map[string]any{
					"messaging_product": "whatsapp",
					"metadata":          map[string]any{"display_phone_number": "15550001111", "phone_number_id": graphtest.DefaultPhoneNumberID},
					"contacts":          []any{map[string]any{"profile": map[string]any{"name": "Bench Customer"}, "wa_id": from}},
					"messages": []any{map[string]any{"from": from, "id": fmt.Sprintf("wamid.bench.%05d.%04d", c, k),
						"timestamp": fmt.Sprint(time.Now().Unix()), "type": "text",
						"text": map[string]any{"body": benchScript[k%len(benchScript)]}}},
				}}}}},
			})
			bodies = append(bodies, body)
		}
	}
	return bodies
}

func postSigned(ctx context.Context, client *http.Client, url, secret string, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.SignatureHeaderValue(secret, body))
	res, err := client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// waitInboxEmpty waits until the server has handled every stored webhook.
func waitInboxEmpty(ctx context.Context, srv *server) error {
	deadline := time.Now().Add(5 * time.Minute)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		d, err := srv.rt.store.Depths(ctx) // counts every process's payloads, claims nothing
		if err != nil {
			return err
		}
		if d.Inbox == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("the inbox did not drain within 5 minutes")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
