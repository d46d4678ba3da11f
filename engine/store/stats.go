package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// Depths is what waits in the store: raw payloads not yet handled and
// messages not yet sent, by channel (model.Depths).
type Depths = model.Depths

// Depths counts the inbox and each channel's outbox, without opening a
// record (for metrics, read at every scrape).
func (s *Store) Depths(ctx context.Context) (Depths, error) {
	d := Depths{Outbox: map[string]int{}}
	if err := ctx.Err(); err != nil {
		return d, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		d.Inbox = countKeys(tx.Bucket(bInbox))
		ob := tx.Bucket(bOutbox)
		return ob.ForEachBucket(func(ch []byte) error {
			d.Outbox[string(ch)] = countKeys(ob.Bucket(ch))
			return nil
		})
	})
	if err != nil {
		return d, fmt.Errorf("store depths: %w", err)
	}
	return d, nil
}

func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// LeadStatuses counts the contacts by their status (new, consented,
// quoted, accepted...).
func (s *Store) LeadStatuses(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			return tx.Bucket(bContacts).ForEach(func(k, v []byte) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				var c core.Contact
				if err := ks.decode(string(bContacts), k, v, &c); err != nil {
					return err
				}
				out[c.Status]++
				return nil
			})
		})
	})
	if err != nil {
		return out, fmt.Errorf("count leads: %w", err)
	}
	return out, nil
}
