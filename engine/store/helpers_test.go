package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
)

// testClock is a settable clock for tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock {
	return &testClock{t: time.Date(2025, 12, 6, 10, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testKey is a fixed master key.
func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

// testDB opens a store in a temp dir with a fixed clock; it is closed at
// the end of the test unless the test closed it.
type testDB struct {
	*Store
	path  string
	key   []byte
	clock *testClock
}

func openTest(t testing.TB) *testDB {
	t.Helper()
	td := &testDB{path: filepath.Join(t.TempDir(), "data", "test.db"), key: testKey(7), clock: newClock()}
	td.reopen(t)
	return td
}

// reopen (re)opens the store at the same path with the same key.
func (td *testDB) reopen(t testing.TB) {
	t.Helper()
	st, err := Open(Options{Path: td.path, Key: td.key, Clock: td.clock.Now, NoSync: true})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	td.Store = st
	t.Cleanup(func() { st.Close() })
}

// closeDB closes the store (a crash, as far as the file is concerned: every
// commit was already durable).
func (td *testDB) closeDB(t testing.TB) {
	t.Helper()
	if err := td.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

const (
	testPhone = "+15550100123"
	testName  = "Zebedee Quixoticus"
	testEmail = "zebedee.quixoticus@example.com"
	testText  = "my roof leaks above the purple kitchen"
)

// person is a test customer's personal data.
type person struct{ name, email, text, address string }

// personFor returns the test customer for testPhone, and distinct made-up
// people for other numbers, so a test can tell their data apart.
func personFor(phone string) person {
	if phone == testPhone {
		return person{testName, testEmail, testText, "12 Marigold Lane"}
	}
	tag := strings.TrimPrefix(phone, "+")
	return person{"Other Person " + tag, "other" + tag + "@example.org", "other text " + tag, tag + " Other Road"}
}

// turnFor is a realistic turn: a customer's text, the session after it, a
// contact record and one reply.
func turnFor(phone, id, text string, at time.Time) *core.Turn {
	p := personFor(phone)
	urn := core.PhoneURN(phone)
	return &core.Turn{
		Inbound: &core.Inbound{Channel: "whatsapp", Contact: urn, ProfileName: p.name, ID: id, Time: at, Kind: core.InText, Text: text},
		Session: &core.Session{
			Contact: urn, Flow: "quote", Step: "ask_email", Waiting: true,
			Vars: map[string]any{
				"lead":    map[string]any{"name": p.name, "email": p.email},
				"project": map[string]any{"service": "roofing", "description": text},
				"consent": map[string]any{"quote": map[string]any{"id": "c1", "granted": true}},
			},
			Started: at, Updated: at, LastInbound: at,
		},
		Contact:  &core.Contact{URN: urn, Phone: phone, ProfileName: p.name, Name: p.name, Email: p.email, Status: "details", Created: at, Updated: at, LastInbound: at},
		Outbound: []core.Outbound{{Kind: core.OutText, Text: "Thanks " + p.name + ", what is your email?"}},
	}
}

// count returns the number of keys in a top-level bucket (including nested
// buckets' keys for the outbox).
func (td *testDB) count(t testing.TB, bucket []byte) int {
	t.Helper()
	n := 0
	err := td.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return b.Bucket(k).ForEach(func(_, _ []byte) error { n++; return nil })
			}
			n++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// messages returns a contact's message log.
func (td *testDB) messages(t testing.TB, phone string) []Message {
	t.Helper()
	var out []Message
	err := td.withKeys(func(ks *keyset) error {
		return td.db.View(func(tx *bolt.Tx) error {
			return forPrefix(tx.Bucket(bMessages), ckPrefix(ks.contactKey(phone)), func(k, v []byte) error {
				var m Message
				if err := ks.decode(string(bMessages), k, v, &m); err != nil {
					return err
				}
				out = append(out, m)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertNoPlaintext reads the raw database file and fails for any needle found.
func assertNoPlaintext(t testing.TB, path string, needles ...string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range needles {
		if bytes.Contains(raw, []byte(n)) {
			t.Errorf("raw database file contains %q in the clear", n)
		}
	}
}

func ctxT(t testing.TB) context.Context { return context.Background() }

func phoneN(i int) string { return fmt.Sprintf("+1555%07d", i) }

type boltTx = bolt.Tx

// newTestKeyset returns a keyset of a fresh key store not bound to any
// transaction, whose data keys live in its cache alone (seal and open
// benchmarks, fuzzing).
func newTestKeyset(master, salt []byte, noSeal bool) (*keyset, error) {
	r, err := newKeyring(master, salt, noSeal)
	if err != nil {
		return nil, err
	}
	if err := r.fresh(); err != nil {
		return nil, err
	}
	ks := r.unbound()
	ks.used = nil
	return ks, nil
}
