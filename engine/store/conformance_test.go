package store_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
	"github.com/allmyleads/allmyleads/engine/store/storetest"
)

// TestConformance runs the store conformance suite against the bbolt store.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: openConformance, Readable: readableConformance})
}

// readableConformance scans the raw file, free pages too, with the key the
// suite's stores are opened with.
func readableConformance(t *testing.T, dir string) [][]byte {
	t.Helper()
	found, err := store.ScanFile(filepath.Join(dir, "allmyleads.db"), [][]byte{conformanceKey})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, r := range found {
		out = append(out, r.Body)
	}
	return out
}

var conformanceKey = bytes.Repeat([]byte{7}, store.KeySize)

// openConformance opens the bbolt store kept in dir under a fixed key, so
// the suite can reopen it; Raw is left to the suite: the file is in dir.
func openConformance(t *testing.T, dir string, now func() time.Time) storetest.Backend {
	t.Helper()
	st, err := store.Open(store.Options{Path: filepath.Join(dir, "allmyleads.db"), Key: conformanceKey, Clock: now, NoSync: true})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return conformanceBackend{st, st.ChatRights()}
}

// conformanceBackend is the store with the Rights the engine uses (the
// store's own Export and Erase return richer reports).
type conformanceBackend struct {
	*store.Store
	rights core.Rights
}

func (b conformanceBackend) Export(ctx context.Context, contact string) ([]byte, string, error) {
	return b.rights.Export(ctx, contact)
}

func (b conformanceBackend) Erase(ctx context.Context, contact, actor string) error {
	return b.rights.Erase(ctx, contact, actor)
}
