package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// PendingOutbound returns up to limit unsent messages of the channel ("" for
// every channel), oldest first, whose NotBefore has passed. A contact's
// later messages wait while an earlier one waits for its retry, so a
// contact's messages are never sent out of order (a webhook's deliveries:
// per lead and receiver, Outbound.Lane).
func (s *Store) PendingOutbound(ctx context.Context, channel string, limit int) ([]core.OutboxItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	now := s.now()
	var items []core.OutboxItem
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			ob := tx.Bucket(bOutbox)
			for _, ch := range outboxChannels(ob, channel) {
				got, err := pendingOf(ks, ob.Bucket([]byte(ch)), tx.Bucket(bOutboxFlight), ch, now, limit)
				if err != nil {
					return err
				}
				items = append(items, got...)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("pending outbound: %w", err)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].ID < items[j].ID })
	if len(items) > limit {
		items = items[:limit]
	}
	return items, nil
}

// outboxChannels lists the channel sub-buckets to read.
func outboxChannels(ob *bolt.Bucket, channel string) []string {
	if channel != "" {
		if ob.Bucket([]byte(channel)) == nil {
			return nil
		}
		return []string{channel}
	}
	var chs []string
	ob.ForEachBucket(func(k []byte) error {
		chs = append(chs, string(k))
		return nil
	})
	return chs
}

// pendingOf reads one channel's due items in order.
func pendingOf(ks *keyset, b, flights *bolt.Bucket, ch string, now time.Time, limit int) ([]core.OutboxItem, error) {
	var items []core.OutboxItem
	blocked := map[string]bool{}
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(items) < limit; k, v = c.Next() {
		var rec outboxRecord
		if err := ks.decode(outboxName(ch), k, v, &rec); err != nil {
			return nil, err
		}
		lane := rec.Lane()
		if blocked[lane] {
			continue
		}
		if rec.NotBefore.After(now) {
			blocked[lane] = true
			continue
		}
		it := rec.OutboxItem
		var mark flightMark
		if found, err := ks.getJSON(flights, string(bOutboxFlight), k, &mark); err != nil {
			return nil, err
		} else if found {
			it.InFlight = mark.At
		}
		items = append(items, it)
	}
	return items, nil
}

// findOutbox finds an outbox item by id in any channel.
func findOutbox(tx *bolt.Tx, ks *keyset, id string) (*bolt.Bucket, string, *outboxRecord, error) {
	ob := tx.Bucket(bOutbox)
	for _, ch := range outboxChannels(ob, "") {
		b := ob.Bucket([]byte(ch))
		raw := b.Get([]byte(id))
		if raw == nil {
			continue
		}
		var rec outboxRecord
		if err := ks.decode(outboxName(ch), []byte(id), raw, &rec); err != nil {
			return nil, "", nil, err
		}
		return b, ch, &rec, nil
	}
	return nil, "", nil, fmt.Errorf("outbox item %s: %w", id, core.ErrNotFound)
}

// updateMessage loads the message at key, applies fn and saves it.
func updateMessage(tx *bolt.Tx, ks *keyset, key []byte, fn func(m *Message)) error {
	b := tx.Bucket(bMessages)
	var m Message
	found, err := ks.getJSON(b, string(bMessages), key, &m)
	if err != nil {
		return err
	}
	if !found {
		// The message was erased or expired meanwhile: nothing to record.
		return nil
	}
	fn(&m)
	return ks.putJSON(b, string(bMessages), key, m)
}

// outboxUpdate runs fn on an outbox item in a batched write.
func (s *Store) outboxUpdate(ctx context.Context, what, id string, fn func(tx *bolt.Tx, ks *keyset, b *bolt.Bucket, rec *outboxRecord) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var transient bool
	err := s.withKeys(func(ks *keyset) error {
		return s.group.write(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			b, _, rec, err := findOutbox(tx, ks, id)
			if err != nil {
				return err
			}
			transient = rec.MessageKey == "" && rec.About == ""
			return fn(tx, ks, b, rec)
		})
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, id, err)
	}
	if transient {
		// An erasure's confirmation left the outbox (sent or failed): its
		// copy in a free page opens no more once the transient key is new.
		if err := s.rotatePending(); err != nil {
			return fmt.Errorf("%s %s: %w", what, id, err)
		}
	}
	return nil
}

// MarkSent records the provider's message id on the message log and removes
// the item from the outbox.
func (s *Store) MarkSent(ctx context.Context, id, providerID string, at time.Time) error {
	if providerID == "" {
		return fmt.Errorf("mark sent %s: empty provider id", id)
	}
	return s.outboxUpdate(ctx, "mark sent", id, func(tx *bolt.Tx, ks *keyset, b *bolt.Bucket, rec *outboxRecord) error {
		if err := clearFlight(tx, id); err != nil {
			return err
		}
		err := updateMessage(tx, ks, []byte(rec.MessageKey), func(m *Message) {
			model.MarkSent(m, providerID, rec.Attempts, at)
		})
		if err != nil {
			return err
		}
		if rec.MessageKey == "" {
			// A message with no log entry (an erasure's confirmation, a
			// notice): nothing of the contact may stay behind, not even
			// the id; what was sealed under the transient key is replaced
			// next (a notice about a contact is under their key).
			if rec.About == "" {
				if err := tx.Bucket(bMeta).Put(metaRotatePending, []byte{1}); err != nil {
					return err
				}
			}
			return b.Delete([]byte(id))
		}
		if err := sendOutcome(tx, ks, rec.Contact, false); err != nil {
			return err
		}
		pk := ks.providerKey(providerID)
		if err := ks.putJSON(tx.Bucket(bProvider), string(bProvider), pk, providerRecord{ProviderID: providerID, MessageKey: rec.MessageKey}); err != nil {
			return err
		}
		return b.Delete([]byte(id))
	})
}

// providerRecord is the sealed value of the provider id index.
type providerRecord struct {
	ProviderID string `json:"provider_id"`
	MessageKey string `json:"message_key"`
}

// bOutboxFlight holds the in-flight marks of outbox items by outbox id: a
// side bucket, so marking a send does not seal the message again.
var bOutboxFlight = []byte("outbox_flight")

// flightMark is the sealed value of bOutboxFlight.
type flightMark struct {
	At time.Time `json:"at"`
}

// MarkInFlight notes that a send of the item begins (a zero at clears it).
func (s *Store) MarkInFlight(ctx context.Context, id string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.withKeys(func(ks *keyset) error {
		return s.group.write(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			ob := tx.Bucket(bOutbox)
			found := false
			for _, ch := range outboxChannels(ob, "") {
				found = found || ob.Bucket([]byte(ch)).Get([]byte(id)) != nil
			}
			if !found {
				return fmt.Errorf("outbox item %s: %w", id, core.ErrNotFound)
			}
			if at.IsZero() {
				return tx.Bucket(bOutboxFlight).Delete([]byte(id))
			}
			return ks.putJSON(tx.Bucket(bOutboxFlight), string(bOutboxFlight), []byte(id), flightMark{At: at})
		})
	})
	if err != nil {
		return fmt.Errorf("mark in flight %s: %w", id, err)
	}
	return nil
}

// clearFlight removes an item's in-flight mark, when it leaves the outbox
// or is to be retried.
func clearFlight(tx *bolt.Tx, id string) error {
	return tx.Bucket(bOutboxFlight).Delete([]byte(id))
}

// MarkRetry keeps the item until notBefore, counts the attempt and clears
// its in-flight mark.
func (s *Store) MarkRetry(ctx context.Context, id string, notBefore time.Time, reason string) error {
	return s.outboxUpdate(ctx, "mark retry", id, func(tx *bolt.Tx, ks *keyset, b *bolt.Bucket, rec *outboxRecord) error {
		if err := clearFlight(tx, id); err != nil {
			return err
		}
		rec.Attempts++
		rec.NotBefore = notBefore
		rec.LastError = reason
		return ks.putJSON(b, outboxName(rec.Channel), []byte(id), rec)
	})
}

// MarkFailed removes the item from the outbox and records why on the
// message: status "failed", or "needs_template" when held.
func (s *Store) MarkFailed(ctx context.Context, id string, code int, reason string, held bool) error {
	return s.outboxUpdate(ctx, "mark failed", id, func(tx *bolt.Tx, ks *keyset, b *bolt.Bucket, rec *outboxRecord) error {
		if err := clearFlight(tx, id); err != nil {
			return err
		}
		now := s.now()
		err := updateMessage(tx, ks, []byte(rec.MessageKey), func(m *Message) {
			model.MarkFailed(m, code, reason, held, rec.Attempts, now)
		})
		if err != nil {
			return err
		}
		if !held && rec.MessageKey != "" {
			if err := sendOutcome(tx, ks, rec.Contact, true); err != nil {
				return err
			}
		}
		if err := recordNoticeFailure(tx, ks, rec, code, reason, now); err != nil {
			return err
		}
		if rec.MessageKey == "" && rec.About == "" {
			if err := tx.Bucket(bMeta).Put(metaRotatePending, []byte{1}); err != nil {
				return err
			}
		}
		return b.Delete([]byte(id))
	})
}

// UpdateDelivery records a provider's delivery report on the message with
// that provider id: sent < delivered < read only move forward; failed is
// recorded whenever it arrives. An unknown provider id is core.ErrNotFound.
func (s *Store) UpdateDelivery(ctx context.Context, providerID string, d core.Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := model.CheckDelivery(d); err != nil {
		return fmt.Errorf("update delivery: %w", err)
	}
	err := s.withKeys(func(ks *keyset) error {
		return s.group.write(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			var pr providerRecord
			found, err := ks.getJSON(tx.Bucket(bProvider), string(bProvider), ks.providerKey(providerID), &pr)
			if err != nil {
				return err
			}
			if !found {
				return core.ErrNotFound
			}
			return updateMessage(tx, ks, []byte(pr.MessageKey), func(m *Message) { model.ApplyDelivery(m, d) })
		})
	})
	if err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return fmt.Errorf("update delivery: provider message id: %w", core.ErrNotFound)
		}
		return fmt.Errorf("update delivery: %w", err)
	}
	return nil
}
