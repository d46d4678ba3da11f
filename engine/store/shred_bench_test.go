package store

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkEraseAmong erases one contact at a time from a store holding
// 20,000 others: the records' deletion plus what shredding adds, the
// re-wrap of the contact's shard (about 1/256 of the data keys), a new
// transient key, and the key store staged and renamed with two fsyncs of
// its folder. Seeding takes a few seconds.
func BenchmarkEraseAmong(b *testing.B) {
	const contacts = 20000
	clock := newClock()
	st, err := Open(Options{Path: filepath.Join(b.TempDir(), "bench.db"), Key: testKey(7), Clock: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := ctxT(b)
	for i := range contacts {
		if err := st.Commit(ctx, turnFor(phoneN(i), fmt.Sprint("m", i), "hello", clock.Now())); err != nil {
			b.Fatal(err)
		}
	}
	n := 0
	b.ResetTimer()
	for b.Loop() {
		if _, err := st.Erase(ctx, phoneN(n%contacts), "bench"); err != nil {
			b.Fatal(err)
		}
		n++
	}
}
