package intent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/intent"
)

// BenchmarkMatch matches the corpus's messages in turn; ns/op is the time
// of one message, cpu-ns/op the CPU time it took (the process's, garbage
// collection included), which a busy shared machine inflates less.
func BenchmarkMatch(b *testing.B) {
	m := newMatcher(b, intent.Options{})
	samples := loadCorpus(b)
	b.ReportAllocs()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		m.Match(samples[i%len(samples)].text)
		i++
	}
	reportCPU(b, cpu)
}

// reportCPU reports the CPU time per op since cpu.
func reportCPU(b *testing.B, cpu time.Duration) {
	if used := cpuTime() - cpu; used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkMatchLong matches a 1,000-character message that asks for
// nothing, the worst a customer's essay costs.
func BenchmarkMatchLong(b *testing.B) {
	m := newMatcher(b, intent.Options{})
	text := strings.Repeat("The tiles slipped in the storm and the gutter leaks, could you please have a look? ", 12)
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		m.Match(text)
	}
	reportCPU(b, cpu)
}

// BenchmarkNew compiles every phrase set, as engine.New does once.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := intent.New(intent.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}
