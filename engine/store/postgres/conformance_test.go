package postgres_test

import (
	"bytes"
	"context"
	"hash/fnv"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/postgres"
	"github.com/allmyleads/allmyleads/engine/store/postgres/pgtest"
	"github.com/allmyleads/allmyleads/engine/store/storetest"
)

// TestConformance runs the store conformance suite against the Postgres
// store: each case's folder names a schema of the test database, dropped
// when the case ends; Raw is every value of every table of it.
func TestConformance(t *testing.T) {
	url := pgtest.URL(t)
	h := &harness{url: url, dropped: map[string]bool{}}
	storetest.Run(t, storetest.Harness{Open: h.open, Raw: h.raw})
}

type harness struct {
	url     string
	mu      sync.Mutex
	dropped map[string]bool
}

// schemaOf names a case's schema after its folder.
func schemaOf(dir string) string {
	h := fnv.New64a()
	h.Write([]byte(dir))
	return "conf_" + strconv.FormatUint(h.Sum64(), 36)
}

func (h *harness) open(t *testing.T, dir string, now func() time.Time) storetest.Backend {
	t.Helper()
	schema := schemaOf(dir)
	h.mu.Lock()
	if !h.dropped[schema] {
		h.dropped[schema] = true
		pgtest.Drop(t, h.url, schema) // a leftover of an interrupted run
		t.Cleanup(func() { pgtest.Drop(t, h.url, schema) })
	}
	h.mu.Unlock()
	st, err := postgres.Open(context.Background(), postgres.Options{URL: h.url, Schema: schema, Key: bytes.Repeat([]byte{7}, 32), Clock: now, MaxConns: 8, TurnConns: 4})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return backend{st, st.ChatRights()}
}

func (h *harness) raw(t *testing.T, dir string) []byte {
	t.Helper()
	return pgtest.Dump(t, h.url, schemaOf(dir))
}

// backend is the store with the Rights the engine uses (the store's own
// Export and Erase return richer reports).
type backend struct {
	*postgres.Store
	rights core.Rights
}

func (b backend) Export(ctx context.Context, contact string) ([]byte, string, error) {
	return b.rights.Export(ctx, contact)
}

func (b backend) Erase(ctx context.Context, contact, actor string) error {
	return b.rights.Erase(ctx, contact, actor)
}
