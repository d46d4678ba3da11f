package engine_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

// BenchmarkHandleParallel handles messages from 1,000 contacts at once
// through the router, with a real bbolt file and fsync on, with encryption
// at rest (sealed) and without (plain) to show what encryption costs.
// Every message is a full turn: session load, step, commit with outbox.
func BenchmarkHandleParallel(b *testing.B) {
	b.Run("sealed", func(b *testing.B) { benchHandleParallel(b, false) })
	b.Run("plain", func(b *testing.B) { benchHandleParallel(b, true) })
}

func benchHandleParallel(b *testing.B, noSeal bool) {
	h := enginetest.New(b, enginetest.Options{FlowsDir: askFlows, NoSeal: noSeal})
	r := engine.NewRouter(h.Engine, 256)
	defer r.Close()
	const contacts = 1000
	phones := make([]string, contacts)
	for i := range phones {
		phones[i] = fmt.Sprintf("+3161%07d", i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	results := make([]<-chan error, 0, b.N)
	for i := 0; i < b.N; i++ {
		in := engine.Inbound{Channel: "bench", Contact: phones[i%contacts], ID: fmt.Sprintf("b%09d", i), Time: h.Clock.Now(), Kind: engine.InText, Text: "Ana Lima"}
		results = append(results, r.Submit(ctx, in))
	}
	for _, ch := range results {
		if err := <-ch; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkConversation runs one contact's whole shipped quote conversation
// (greeting to accepted quote) per iteration, fsync on.
func BenchmarkConversation(b *testing.B) {
	script, err := os.ReadFile("testdata/shipped/script.txt")
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(script)), "\n")
	h := enginetest.New(b, enginetest.Options{})
	b.ReportAllocs()
	b.ResetTimer()
	msgs := 0
	for i := 0; i < b.N; i++ {
		phone := fmt.Sprintf("+3162%07d", i)
		for _, line := range lines {
			text, ok := strings.CutPrefix(line, "you: ")
			if !ok {
				continue
			}
			h.Say(phone, text)
			msgs++
		}
	}
	b.ReportMetric(float64(msgs)/float64(b.N), "msgs/conversation")
}
