package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/engine/store/postgres/pgtest"
)

// BenchmarkWebhook posts b.N signed webhooks from b.N/10 contacts (at
// least one) to a server in this process and reports the webhook
// throughput, the engine's, and the 99th percentile of the 200s.
func BenchmarkWebhook(b *testing.B) {
	b.ReportAllocs()
	env := &cliEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	o := benchOptions{messages: b.N, contacts: max(1, b.N/10), conns: 32, rate: 80}
	b.ResetTimer()
	res, err := benchWebhook(context.Background(), env, o)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if res.failed > 0 {
		b.Fatalf("%d webhooks not answered 200", res.failed)
	}
	b.ReportMetric(res.perSecond(), "msgs/s")
	b.ReportMetric(res.handledPerSecond(), "handled/s")
	b.ReportMetric(float64(res.percentile(0.99).Microseconds())/1000, "p99-ms")
}

// BenchmarkWebhookPostgres is BenchmarkWebhook on Postgres, with one
// server and with two sharing the database (each its own store, workers
// and sender in this process; the webhooks alternate between them):
//
//	ALLMYLEADS_TEST_POSTGRES=$(.ci/postgres) go test -run '^$' -bench WebhookPostgres -benchtime 5000x ./cmd/allmyleads/
func BenchmarkWebhookPostgres(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			url, schema := pgtest.URL(b), pgtest.Schema(b)
			env := &cliEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
			o := benchOptions{messages: b.N, contacts: max(1, b.N/10), conns: 32, rate: 1000, postgres: url, schema: schema, servers: n}
			b.ResetTimer()
			res, err := benchWebhook(context.Background(), env, o)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if res.failed > 0 {
				b.Fatalf("%d webhooks not answered 200", res.failed)
			}
			b.ReportMetric(res.perSecond(), "msgs/s")
			b.ReportMetric(res.handledPerSecond(), "handled/s")
			b.ReportMetric(float64(res.percentile(0.99).Microseconds())/1000, "p99-ms")
		})
	}
}

// TestWebhookLoad runs the load generator behind BenchmarkWebhook on a
// few messages: every webhook is answered 200 and every message handled.
func TestWebhookLoad(t *testing.T) {
	env := &cliEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	res, err := benchWebhook(context.Background(), env, benchOptions{messages: 40, contacts: 8, conns: 4, rate: 80})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res.print(&out)
	for _, want := range []string{"webhooks:  40 in", "msgs/s", "p99", "handled:   all 40"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
