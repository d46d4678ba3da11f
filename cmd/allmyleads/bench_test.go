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

func TestBenchWebhookCommand(t *testing.T) {
	var out, errs strings.Builder
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errs, getenv: func(string) string { return "" }}
	if code := run(context.Background(), env, []string{"bench", "webhook", "--n", "40", "--contacts", "8", "--conns", "4"}); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errs.String())
	}
	for _, want := range []string{"webhooks:  40 in", "msgs/s", "p99", "handled:   all 40"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, args := range [][]string{{"bench"}, {"bench", "nothing"}, {"bench", "webhook", "--n", "0"}} {
		if code := run(context.Background(), env, args); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
