package store

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
)

// inboxRecord is the sealed value of an inbox item.
type inboxRecord struct {
	Channel  string    `json:"channel"`
	Body     []byte    `json:"body"`
	Received time.Time `json:"received"`
}

// AddInbox stores a raw webhook payload before the webhook is answered and
// returns its id. Concurrent calls share an fsync.
func (s *Store) AddInbox(ctx context.Context, channel string, body []byte, received time.Time) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if received.IsZero() {
		received = s.now()
	}
	var id string
	err := s.withKeys(func(ks *keyset) error {
		return s.group.write(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			b := tx.Bucket(bInbox)
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			id = seqID(seq)
			return ks.putJSON(b, string(bInbox), []byte(id), inboxRecord{Channel: channel, Body: body, Received: received})
		})
	})
	if err != nil {
		return "", fmt.Errorf("add to inbox: %w", err)
	}
	return id, nil
}

// PendingInbox returns up to limit payloads not yet done, oldest first.
func (s *Store) PendingInbox(ctx context.Context, limit int) ([]core.InboxItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	var items []core.InboxItem
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			c := tx.Bucket(bInbox).Cursor()
			for k, v := c.First(); k != nil && len(items) < limit; k, v = c.Next() {
				var rec inboxRecord
				if err := ks.decode(string(bInbox), k, v, &rec); err != nil {
					return err
				}
				var tries inboxTries
				if _, err := ks.getJSON(tx.Bucket(bInboxTries), string(bInboxTries), k, &tries); err != nil {
					return err
				}
				items = append(items, core.InboxItem{ID: string(k), Channel: rec.Channel, Body: rec.Body, Received: rec.Received, Attempts: tries.N})
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("pending inbox: %w", err)
	}
	return items, nil
}

// DoneInbox removes a handled payload. Removing one that is gone already
// is not an error, so a worker replaying after a crash can call it again.
func (s *Store) DoneInbox(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.group.write(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bInboxTries).Delete([]byte(id)); err != nil {
			return err
		}
		return tx.Bucket(bInbox).Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("inbox done %s: %w", id, err)
	}
	return nil
}

// BeginInbox counts a processing attempt of a payload, durably, before it
// is handled, and returns the attempts so far. The count lives in a side
// bucket (bInboxTries), so counting does not seal the payload again.
func (s *Store) BeginInbox(ctx context.Context, id string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int
	err := s.withKeys(func(ks *keyset) error {
		return s.group.write(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			if tx.Bucket(bInbox).Get([]byte(id)) == nil {
				return core.ErrNotFound
			}
			var tries inboxTries
			if _, err := ks.getJSON(tx.Bucket(bInboxTries), string(bInboxTries), []byte(id), &tries); err != nil {
				return err
			}
			tries.N++
			n = tries.N
			return ks.putJSON(tx.Bucket(bInboxTries), string(bInboxTries), []byte(id), tries)
		})
	})
	if err != nil {
		return 0, fmt.Errorf("inbox begin %s: %w", id, err)
	}
	return n, nil
}

// inboxTries is the sealed value of bInboxTries.
type inboxTries struct {
	N int `json:"n"`
}

// bInboxTries holds processing attempts by inbox id (BeginInbox).
var bInboxTries = []byte("inbox_tries")
