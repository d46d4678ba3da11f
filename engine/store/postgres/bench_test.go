package postgres_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/postgres"
	"github.com/allmyleads/allmyleads/engine/store/postgres/pgtest"
	"github.com/allmyleads/allmyleads/engine/store/seal"
	"github.com/allmyleads/allmyleads/flows"
)

// benchFlow is the engine benchmark's flow (the one BenchmarkHandleParallel
// runs on bbolt): every message is a full turn that answers.
const benchFlow = `flow: greeting
steps:
  - id: ask_name
    ask: "Hi! What's your name?"
    save: lead.name
    validate: "required"
  - id: ask_city
    ask: "Thanks {{ lead.name }}. Which city is the job in?"
    save: lead.city
    validate: "required"
  - id: done
    say: "Great, {{ lead.name }} from {{ lead.city }}."
`

// BenchmarkEngine handles messages from 1,000 contacts at once through the
// engine's router on the Postgres store (sealed; the database fsyncs each
// commit as configured, on by default), as one process and as two: two
// stores, each with its own engine and router of 64 workers, sharing the
// database from this test process. Message i goes to process i mod n, so
// both processes take turns of the same contacts, as behind a load
// balancer: the contact locks are taken across them. Every message is a
// full turn: contact lock, seen check, session load, step, commit with
// its reply in the outbox.
//
//	ALLMYLEADS_TEST_POSTGRES=$(.ci/postgres) go test -run '^$' -bench Engine -benchtime 5000x ./engine/store/postgres/
func BenchmarkEngine(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("processes=%d", n), func(b *testing.B) { benchEngine(b, n) })
	}
}

// benchWorkers are the engine workers of all processes together, as
// BenchmarkHandleParallel runs on bbolt.
const benchWorkers = 256

func benchEngine(b *testing.B, processes int) {
	url := pgtest.URL(b)
	schema := pgtest.Schema(b)
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "greeting.yaml"), []byte(benchFlow), 0o600); err != nil {
		b.Fatal(err)
	}
	set, diags := flows.Load(dir)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	key, err := seal.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	routers := make([]*engine.Router, processes)
	for p := range processes {
		st, err := postgres.Open(ctx, postgres.Options{URL: url, Schema: schema, Key: key, TurnConns: int32(benchWorkers/processes + 4)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		eng, err := engine.New(engine.Config{}, engine.Deps{Store: st, Flows: set, Rights: st.ChatRights(), Tag: st.ContactKey})
		if err != nil {
			b.Fatal(err)
		}
		routers[p] = engine.NewRouter(eng, benchWorkers/processes)
		b.Cleanup(routers[p].Close)
	}
	const contacts = 1000
	phones := make([]string, contacts)
	for i := range phones {
		phones[i] = fmt.Sprintf("+3161%07d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	results := make([]<-chan error, 0, b.N)
	for i := 0; i < b.N; i++ {
		in := core.Inbound{Channel: "bench", Contact: phones[i%contacts], ID: fmt.Sprintf("b%09d", i), Time: time.Now(), Kind: core.InText, Text: "Ana Lima"}
		results = append(results, routers[i%processes].Submit(ctx, in))
	}
	for _, ch := range results {
		if err := <-ch; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
