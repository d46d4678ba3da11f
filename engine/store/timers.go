package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Timers are kept twice: in the session (core.Session.Timers, sealed with
// it), which is what the engine reads and changes, and in a due-time index
// the scheduler reads. Every commit that saves a session makes the
// contact's index entries exactly the session's timers, in the same
// transaction, so the two never disagree.
//
//	timers        due (8 bytes, big-endian Unix ns) ck "/" id -> Timer (sealed)
//	timer_owners  ck -> the contact's index keys (no personal data: times,
//	              the contact key and engine-made ids), so a commit finds
//	              what to replace without opening the old session
//
// Reading due timers is a cursor from the start of the index: it touches
// the first pages only, however many timers wait behind them.
var (
	bTimers      = []byte("timers")
	bTimerOwners = []byte("timer_owners")
)

var _ core.Timers = (*Store)(nil)

// timerKey is a timer's index key.
func timerKey(ck string, due time.Time, id string) []byte {
	k := make([]byte, 8, 8+len(ck)+1+len(id))
	binary.BigEndian.PutUint64(k, dueNanos(due))
	k = append(k, ck...)
	k = append(k, '/')
	return append(k, id...)
}

// dueNanos is a due time as an unsigned sort key; times before 1970 sort first.
func dueNanos(t time.Time) uint64 {
	ns := t.UnixNano()
	if ns < 0 || t.IsZero() {
		return 0
	}
	return uint64(ns)
}

// timerCK is the contact key inside a timer's index key.
func timerCK(key []byte) (string, bool) {
	if len(key) < 8+ckLen+1 || key[8+ckLen] != '/' {
		return "", false
	}
	return string(key[8 : 8+ckLen]), true
}

// preparedTimer is one timer's index entry, sealed before the transaction.
type preparedTimer struct {
	key, value []byte
}

// prepareTimers seals the index entries of a session's timers.
func prepareTimers(ks *keyset, ck, contact string, timers []core.Timer) ([]preparedTimer, error) {
	out := make([]preparedTimer, 0, len(timers))
	seen := make(map[string]bool, len(timers))
	for _, tm := range timers {
		if tm.ID == "" {
			return nil, errors.New("timer without an id")
		}
		if seen[tm.ID] {
			return nil, fmt.Errorf("timer %s set twice", tm.ID)
		}
		seen[tm.ID] = true
		if tm.Contact == "" {
			tm.Contact = contact
		}
		body, err := json.Marshal(tm)
		if err != nil {
			return nil, fmt.Errorf("encode timer: %w", err)
		}
		k := timerKey(ck, tm.Due, tm.ID)
		out = append(out, preparedTimer{key: k, value: ks.seal(string(bTimers), k, body)})
	}
	return out, nil
}

// encodeOwned lists index keys as the timer_owners value: each key with a
// two-byte length before it.
func encodeOwned(keys [][]byte) []byte {
	n := 0
	for _, k := range keys {
		n += 2 + len(k)
	}
	out := make([]byte, 0, n)
	for _, k := range keys {
		out = binary.BigEndian.AppendUint16(out, uint16(len(k)))
		out = append(out, k...)
	}
	return out
}

// decodeOwned reads a timer_owners value back.
func decodeOwned(v []byte) ([][]byte, error) {
	var keys [][]byte
	for len(v) > 0 {
		if len(v) < 2 {
			return nil, errors.New("timer owners: short record")
		}
		n := int(binary.BigEndian.Uint16(v))
		if len(v) < 2+n {
			return nil, errors.New("timer owners: damaged record")
		}
		keys = append(keys, bytes.Clone(v[2:2+n]))
		v = v[2+n:]
	}
	return keys, nil
}

// syncTimers makes the contact's index entries exactly timers, and returns
// the keys it removed.
func syncTimers(tx *bolt.Tx, ck string, timers []preparedTimer) ([][]byte, error) {
	idx, owners := tx.Bucket(bTimers), tx.Bucket(bTimerOwners)
	old, err := decodeOwned(owners.Get([]byte(ck)))
	if err != nil {
		return nil, err
	}
	keep := make(map[string]bool, len(timers))
	keys := make([][]byte, 0, len(timers))
	for _, pt := range timers {
		keep[string(pt.key)] = true
		keys = append(keys, pt.key)
	}
	var removed [][]byte
	had := make(map[string]bool, len(old))
	for _, k := range old {
		had[string(k)] = true
		if keep[string(k)] {
			continue
		}
		if err := idx.Delete(k); err != nil {
			return nil, err
		}
		removed = append(removed, k)
	}
	for _, pt := range timers {
		if had[string(pt.key)] {
			continue // unchanged: the same id due at the same time
		}
		if err := idx.Put(pt.key, pt.value); err != nil {
			return nil, err
		}
	}
	if len(keys) == 0 {
		if len(old) == 0 {
			return removed, nil
		}
		return removed, owners.Delete([]byte(ck))
	}
	return removed, owners.Put([]byte(ck), encodeOwned(keys))
}

// dropTimers removes every timer of a contact (erasure, retention) and
// says how many there were.
func dropTimers(tx *bolt.Tx, ck string) (int, error) {
	removed, err := syncTimers(tx, ck, nil)
	return len(removed), err
}

// rebuildTimerOwners rebuilds timer_owners from the index (after a rekey
// changed every contact key).
func rebuildTimerOwners(tx *bolt.Tx) error {
	if tx.Bucket(bTimerOwners) != nil {
		if err := tx.DeleteBucket(bTimerOwners); err != nil {
			return err
		}
	}
	owners, err := tx.CreateBucket(bTimerOwners)
	if err != nil {
		return err
	}
	byCK := map[string][][]byte{}
	var order []string
	err = tx.Bucket(bTimers).ForEach(func(k, _ []byte) error {
		ck, ok := timerCK(k)
		if !ok {
			return fmt.Errorf("timers: malformed key")
		}
		if _, seen := byCK[ck]; !seen {
			order = append(order, ck)
		}
		byCK[ck] = append(byCK[ck], bytes.Clone(k))
		return nil
	})
	if err != nil {
		return err
	}
	for _, ck := range order {
		if err := owners.Put([]byte(ck), encodeOwned(byCK[ck])); err != nil {
			return err
		}
	}
	return nil
}

// DueTimers returns up to limit timers due at or before now, earliest
// first, skipping claimed ones.
func (s *Store) DueTimers(ctx context.Context, now time.Time, limit int) ([]core.Timer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	end := dueNanos(now)
	var out []core.Timer
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bTimers).Cursor()
			for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
				if len(k) < 8 || binary.BigEndian.Uint64(k) > end {
					break
				}
				if s.claims.held(k, now) {
					continue
				}
				var tm core.Timer
				if err := ks.decode(string(bTimers), k, v, &tm); err != nil {
					return err
				}
				out = append(out, tm)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("due timers: %w", err)
	}
	return out, nil
}

// ClaimTimer claims an indexed timer until the given time. bbolt is one
// process's file, so the claims live in this process's memory: they end
// with the commit that removes the timer, at until, or with the process.
func (s *Store) ClaimTimer(ctx context.Context, t core.Timer, until time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	contact, err := core.NormalizeURN(t.Contact)
	if err != nil {
		return false, fmt.Errorf("claim timer: %w", err)
	}
	var key []byte
	var indexed bool
	err = s.withKeys(func(ks *keyset) error {
		key = timerKey(ks.contactKey(contact), t.Due, t.ID)
		return s.db.View(func(tx *bolt.Tx) error {
			indexed = tx.Bucket(bTimers).Get(key) != nil
			return nil
		})
	})
	if err != nil {
		return false, fmt.Errorf("claim timer: %w", err)
	}
	if !indexed {
		return false, nil
	}
	return s.claims.claim(key, s.now(), until), nil
}

// PendingTimers counts the indexed timers (for tests and health figures).
func (s *Store) PendingTimers(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bTimers).Stats().KeyN
		return nil
	})
	return n, err
}

// maxStaleClaims is how many claims may be held before run-out ones are
// forgotten.
const maxStaleClaims = 4096

// timerClaims are the claims of this process's schedulers, by index key.
type timerClaims struct {
	mu        sync.Mutex
	m         map[string]time.Time
	nextPrune int // forget run-out claims when the map reaches this size
}

// held says whether a claim on key lasts beyond now.
func (c *timerClaims) held(key []byte, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.m[string(key)]
	return ok && until.After(now)
}

// claim takes key until the given time, unless a claim on it lasts
// beyond now.
func (c *timerClaims) claim(key []byte, now, until time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[string(key)]; ok && prev.After(now) {
		return false
	}
	if c.m == nil {
		c.m = map[string]time.Time{}
	}
	if len(c.m) >= max(c.nextPrune, maxStaleClaims) {
		// Claims of timers that did not fire (an error, a crash of the
		// turn) run out; forget those so the map stays small. Pruning
		// again waits until the map has doubled, so it costs O(1) a claim.
		for k, u := range c.m {
			if !u.After(now) {
				delete(c.m, k)
			}
		}
		c.nextPrune = 2 * len(c.m)
	}
	c.m[string(key)] = until
	return true
}

// release ends the claims on keys (their timers were removed).
func (c *timerClaims) release(keys [][]byte) {
	if len(keys) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		delete(c.m, string(k))
	}
}

// rekeyTimer moves a timer's index entry to the contact's new key.
func (r *rekeyer) timer(key, body []byte) ([]byte, []byte, error) {
	ck, ok := timerCK(key)
	if !ok {
		return nil, nil, errors.New("malformed timer key")
	}
	nck, err := r.newCK(ck, body)
	if err != nil {
		return nil, nil, err
	}
	nk := make([]byte, 0, len(key))
	nk = append(nk, key[:8]...)
	nk = append(nk, nck...)
	nk = append(nk, key[8+ckLen:]...)
	return nk, body, nil
}
