package owner_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
	"github.com/allmyleads/allmyleads/owner"
)

// noEngine stands in for the engine where a benchmark only reads.
type noEngine struct{}

func (noEngine) TakeOver(context.Context, string, string) error { return nil }
func (noEngine) Release(context.Context, string, string) error  { return nil }
func (noEngine) Reply(context.Context, string, string, core.Outbound) (core.Outbound, error) {
	return core.Outbound{}, nil
}
func (noEngine) ReviseQuote(context.Context, string, string, string, engine.QuoteRevision) (*core.QuoteRecord, error) {
	return nil, nil
}
func (noEngine) ApproveQuote(context.Context, string, string, string) (*core.QuoteRecord, error) {
	return nil, nil
}
func (noEngine) SettleQuote(context.Context, string, string, string, string, string, string) (*core.QuoteRecord, error) {
	return nil, nil
}
func (noEngine) Exclusive(_ string, fn func() error) error { return fn() }

// seedLeads commits one turn for each of n contacts, as conversations do:
// a session, a contact record, and for every third one a quote.
func seedLeads(b *testing.B, st *store.Store, n int) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				urn := fmt.Sprintf("whatsapp:4477009%05d", i)
				at := t0.Add(time.Duration(i) * time.Minute)
				sess := &core.Session{Contact: urn, Channel: "whatsapp", Flow: "greeting", Step: "ask_name", Waiting: true, Started: at, Updated: at, LastInbound: at,
					Vars: map[string]any{"lead": map[string]any{"name": fmt.Sprintf("Customer %d", i)}, "project": map[string]any{"service": "roofing"}}}
				if i%3 == 0 {
					sess.Quote = &core.QuoteRecord{ID: fmt.Sprintf("q%d", i), Contact: urn, Status: core.QuoteSent, Currency: "EUR", Total: int64(100000 + i), Revision: 1, Created: at, Updated: at}
				}
				if i%10 == 0 {
					sess.Handoff = true
				}
				c := &core.Contact{URN: urn, Phone: "+" + urn[9:], Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@example.com", i), Status: "details", Created: at, Updated: at, LastInbound: at}
				turn := &core.Turn{Session: sess, Contact: c}
				if sess.Quote != nil {
					turn.Quotes = []*core.QuoteRecord{sess.Quote}
				}
				if err := st.Commit(context.Background(), turn); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// BenchmarkLeadList100k measures the lead list over 100,000 stored leads:
// the first page of the console (HTML, logged in) and of the API (JSON),
// each reporting its median in ms (p50-ms). Seeding takes a minute.
func BenchmarkLeadList100k(b *testing.B) {
	const n = 100_000
	key, _ := store.GenerateKey()
	st, err := store.Open(store.Options{Path: filepath.Join(b.TempDir(), "bench.db"), Key: key, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	seedLeads(b, st, n)
	oh, err := owner.NewHandler(owner.Options{Records: st, Owner: st, Engine: noEngine{}, Rights: rights{st}, Media: st})
	if err != nil {
		b.Fatal(err)
	}
	r := mux.NewRouter()
	oh.Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	secret := owner.NewTokenSecret()
	if err := st.CreateToken(context.Background(), core.Token{Name: "bench", Hash: owner.HashToken(secret)}); err != nil {
		b.Fatal(err)
	}
	hash, _ := owner.HashPassword("benchmark password")
	if err := st.SetOwnerPassword(context.Background(), hash, "bench"); err != nil {
		b.Fatal(err)
	}
	console := login(b, srv.URL, "benchmark password")

	for _, c := range []struct {
		name   string
		client *http.Client
		path   string
		token  string
	}{
		{"console", console, "/console/?tab=all", ""},
		{"console-needs-me", console, "/console/?tab=needs_me", ""},
		{"api", http.DefaultClient, "/api/v1/leads?tab=all", secret},
		{"api-stage", http.DefaultClient, "/api/v1/leads?stage=quoted", secret},
		{"api-search-all", http.DefaultClient, "/api/v1/leads?tab=all&q=nobody-matches", secret},
	} {
		b.Run(c.name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				req, _ := http.NewRequest(http.MethodGet, srv.URL+c.path, nil)
				if c.token != "" {
					req.Header.Set("Authorization", "Bearer "+c.token)
				}
				res, err := c.client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", c.path, res.StatusCode)
				}
				times = append(times, time.Since(start))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
		})
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs a client in to the console with the owner password.
func login(b *testing.B, base, password string) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(base + "/console/login")
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		b.Fatal("no CSRF field on the login page")
	}
	res, err = c.PostForm(base+"/console/login", url.Values{"csrf": {string(m[1])}, "secret": {password}})
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/console/" {
		b.Fatalf("login ended at %s", res.Request.URL)
	}
	return c
}
