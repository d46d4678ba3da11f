package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// benchSession is a realistic session record half way through the quote
// flow: lead details, project answers, photos and a quote.
func benchSession() *core.Session {
	at := time.Date(2025, 12, 6, 10, 0, 0, 0, time.UTC)
	return &core.Session{
		Contact: testPhone, Flow: "quote", Step: "confirm", Waiting: true,
		Vars: map[string]any{
			"contact": map[string]any{"name": testName},
			"lead":    map[string]any{"name": testName, "email": testEmail, "company": "Quixotic Roofs Ltd", "address": "12 Marigold Lane, Springfield"},
			"project": map[string]any{
				"service": "roofing", "description": testText, "area_m2": 42.5, "storeys": 2, "material": "slate",
				"photos": []any{
					map[string]any{"id": "3f1c7e2a9b8d4c6e5f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70", "mime": "image/jpeg"},
					map[string]any{"id": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b", "mime": "image/jpeg"},
				},
			},
			"consent": map[string]any{"quote": map[string]any{"id": "c1", "granted": true, "time": "2025-12-06T10:00:00Z"}},
		},
		ProjectID: "p-20251206-0001",
		Quote: &core.QuoteRecord{ID: "q-20251206-0001", Contact: testPhone, Status: core.QuoteSent, Currency: "EUR",
			Items: []core.QuoteItem{
				{Description: "Slate tiles", Quantity: 42.5, Unit: "m2", UnitPrice: 4500, Total: 191250},
				{Description: "Labour", Quantity: 16, Unit: "h", UnitPrice: 5500, Total: 88000},
				{Description: "Scaffolding", Quantity: 1, UnitPrice: 60000, Total: 60000},
			},
			Subtotal: 339250, Tax: 71243, Total: 410493, TaxRate: 0.21, Plugin: "pricing.lua.roof", SourceHash: "sha256:5e6f7a8b", Created: at, Updated: at, Revision: 1},
		Started: at, Updated: at, LastInbound: at,
	}
}

func benchKeyset(b *testing.B, noSeal bool) *keyset {
	ks, err := newTestKeyset(testKey(7), nil, noSeal)
	if err != nil {
		b.Fatal(err)
	}
	return ks
}

// BenchmarkSeal encodes and seals a realistic session record.
func BenchmarkSeal(b *testing.B) {
	ks := benchKeyset(b, false)
	sess := benchSession()
	key := []byte(ks.contactKey(testPhone))
	size, _ := json.Marshal(sess)
	b.ReportAllocs()
	for b.Loop() {
		body, err := json.Marshal(sess)
		if err != nil {
			b.Fatal(err)
		}
		ks.seal(string(bSessions), key, body)
	}
	b.ReportMetric(float64(len(size)), "record-bytes")
}

// BenchmarkOpen opens and decodes a realistic session record.
func BenchmarkOpen(b *testing.B) {
	ks := benchKeyset(b, false)
	key := []byte(ks.contactKey(testPhone))
	body, _ := json.Marshal(benchSession())
	sealed := ks.seal(string(bSessions), key, body)
	b.ReportAllocs()
	for b.Loop() {
		var s core.Session
		if err := ks.decode(string(bSessions), key, sealed, &s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealOnly isolates AES-256-GCM from JSON: seal and open of the
// encoded session.
func BenchmarkSealOnly(b *testing.B) {
	ks := benchKeyset(b, false)
	key := []byte(ks.contactKey(testPhone))
	body, _ := json.Marshal(benchSession())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ks.open(string(bSessions), key, ks.seal(string(bSessions), key, body)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommitParallel commits turns of many contacts concurrently,
// sealed and unsealed, and reports messages per second (one inbound message
// per turn) and how many shared each fsync. The fsync runs are what a
// server sees; the nofsync runs take the disk away and show the CPU cost
// of sealing.
func BenchmarkCommitParallel(b *testing.B) {
	for _, mode := range []struct {
		name           string
		noSeal, noSync bool
	}{{"sealed", false, false}, {"unsealed", true, false}, {"sealed-nofsync", false, true}, {"unsealed-nofsync", true, true}} {
		b.Run(mode.name, func(b *testing.B) {
			st, err := Open(Options{Path: filepath.Join(b.TempDir(), "bench.db"), Key: testKey(7), NoSeal: mode.noSeal, NoSync: mode.noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			ctx := context.Background()
			var next atomic.Int64
			b.SetParallelism(64) // many contacts waiting on a shared fsync, as the router runs them
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				worker := next.Add(1)
				phone := phoneN(int(worker))
				n := 0
				for pb.Next() {
					n++
					sess := benchSession()
					sess.Contact = phone
					turn := &core.Turn{
						Inbound:  &core.Inbound{Channel: "whatsapp", Contact: phone, ID: fmt.Sprintf("wamid.%d.%d", worker, n), Time: time.Now(), Kind: core.InText, Text: testText},
						Session:  sess,
						Outbound: []core.Outbound{{Kind: core.OutText, Text: "Thanks! Here is your quote: 4,104.93 EUR. Shall we book it?"}},
					}
					if err := st.Commit(ctx, turn); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			if ws := st.WriteStats(); ws.Commits > 0 {
				b.ReportMetric(float64(ws.Writes)/float64(ws.Commits), "msgs/fsync")
			}
		})
	}
}
