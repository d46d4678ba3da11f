package main

import (
	"context"
	"io"
	"strings"
	"testing"
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
