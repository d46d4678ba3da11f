package plugins

import (
	"context"
	"runtime"
	"testing"
)

// benchVars is a realistic set of variables at the pricing step of the
// shipped flows.
func benchVars() map[string]any {
	lead := map[string]any{
		"name": "Jane Smith", "email": "jane@example.com", "phone_ok": "yes",
		"company": "skip", "address": "12 High Street, Bristol BS1 4DJ",
	}
	project := map[string]any{
		"service":     "roofing",
		"description": "Leaking roof over the kitchen, about 40 m2, tiles are old.",
		"photos":      []any{"media:1", "media:2", "media:3"},
		"estimate":    map[string]any{"area_m2": 42.5, "material": "tiles"},
		"urgent":      true,
	}
	return map[string]any{
		"lead": lead, "project": project,
		"contact": map[string]any{"phone": "+447700900123", "first_name": "Jane"},
		"config":  map[string]any{"business_name": "Brightside Roofing & Painting"},
		"consent": map[string]any{"granted": true, "version": "2025-12-06"},
	}
}

// BenchmarkQuote is one pricing.quote call through the pool with a
// realistic ctx: lazy views, the shipped pricing rules, validation and the
// money arithmetic, and the template map of the quote.
func BenchmarkQuote(b *testing.B) {
	h, err := Open(Options{Shipped: ShippedFS(), Config: map[string]any{"vat_rate": 0.21}})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	in := Input{Contact: "c_1f3a", Vars: benchVars()}
	ctx := context.Background()
	b.ReportAllocs()
	defer reportThreadCPU(b)()
	for b.Loop() {
		res, err := h.Call(ctx, "pricing.quote", in)
		if err != nil || res.Quote == nil {
			b.Fatal(err)
		}
	}
}

// reportThreadCPU locks the benchmark to its OS thread and returns a
// function that reports the thread's CPU time per operation as cpu-ns/op
// (where the platform can measure it): steadier than wall time on a busy
// machine, though it leaves out the GC's background workers.
func reportThreadCPU(b *testing.B) func() {
	runtime.LockOSThread()
	start, ok := threadCPU()
	return func() {
		end, _ := threadCPU()
		runtime.UnlockOSThread()
		if ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// BenchmarkCondition is one evaluation of a typical `when:` expression.
func BenchmarkCondition(b *testing.B) {
	c, err := CompileCondition(`project.service == "roofing" and (project.urgent or lead.city == nil)`)
	if err != nil {
		b.Fatal(err)
	}
	vars := benchVars()
	b.ReportAllocs()
	defer reportThreadCPU(b)()
	for b.Loop() {
		ok, err := c.Eval(vars)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
