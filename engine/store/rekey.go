package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/store/sealing"
)

// Rekey re-encrypts every value under newKey (with a new salt), hashes
// every contact and provider id again, gives every contact and photo a new
// data key under a new key store, in one write transaction, and then
// compacts the file, so no page of it holds anything the old key opens.
// It waits for the operations in flight and holds the others back (it
// holds the store's lock for writing); a crash leaves the old key working.
// It holds the rewritten pages in memory until it commits, and the
// compaction writes a copy beside the file, so it needs about the
// database's size in RAM and on disk.
func (s *Store) Rekey(ctx context.Context, newKey []byte, actor string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	nr, err := newKeyring(newKey, nil, s.noSeal)
	if err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leads.forget() // every contact key changes
	nr.seenSecret, nr.load = s.ring.seenSecret, s.loadDataKey
	if nr.kek, err = sealing.NewKeySet(); err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	kf := s.keyFile()
	if err := kf.Stage(newKey, nr.kek); err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := (&rekeyer{tx: tx, old: s.ring.bind(tx), new: nr.bind(tx)}).run(); err != nil {
			return err
		}
		if err := writeKeyMeta(tx.Bucket(bMeta), nr); err != nil {
			return err
		}
		return appendAudit(tx, nr.bind(tx), auditEntry(s.now(), actor, "rekey", "", "every value sealed again under a new key"))
	})
	if err != nil {
		kf.Abort()
		return fmt.Errorf("rekey: %w", err)
	}
	if err := kf.Commit(); err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	s.ring, s.master = nr, append([]byte(nil), newKey...)
	s.log.Info("database rekeyed", "actor", actor)
	if err := s.compactLocked(); err != nil {
		// The rekey stands (the caller must keep the new key): only the
		// old pages stay in the file until the next compaction.
		s.log.Error("rekeyed, but the compaction failed: pages sealed under the old key stay in the file until `allmyleads compact`", "err", err)
	}
	return nil
}

// rekeyer rewrites the buckets from the old keyset to the new one.
type rekeyer struct {
	tx       *bolt.Tx
	old, new *keyset                                          // new writes its data keys to a bucket of its own until the end
	upgrade  func(bucket string, body []byte) ([]byte, error) // migrates each body first; nil keeps it
	cks      map[string]string                                // old contact key -> new contact key
	msgKeys  map[string]string                                // old message key -> new message key
}

// contactOf reads the phone number a record belongs to.
type contactOf struct {
	Contact string `json:"contact"`
	URN     string `json:"urn"` // a contact record (a web visitor's has no phone)
	Phone   string `json:"phone"`
}

// bNewDataKeys holds the new data keys while a rekey or migration runs.
var bNewDataKeys = []byte("dkeys.new")

// run rewrites every bucket, then puts the new data keys in place of the
// old ones.
func (r *rekeyer) run() error {
	if err := r.rewriteAll(); err != nil {
		return err
	}
	if err := r.new.failed(); err != nil {
		return err
	}
	tx := r.tx
	if err := tx.DeleteBucket(bDataKeys); err != nil {
		return err
	}
	dst, err := tx.CreateBucket(bDataKeys)
	if err != nil {
		return err
	}
	if err := copyBucket(tx.Bucket(bNewDataKeys), dst); err != nil {
		return err
	}
	return tx.DeleteBucket(bNewDataKeys)
}

// rewriteAll rewrites every bucket.
func (r *rekeyer) rewriteAll() error {
	tx := r.tx
	if tx.Bucket(bNewDataKeys) != nil {
		if err := tx.DeleteBucket(bNewDataKeys); err != nil {
			return err
		}
	}
	if _, err := tx.CreateBucket(bNewDataKeys); err != nil {
		return err
	}
	r.new.dkb = bNewDataKeys
	r.cks, r.msgKeys = map[string]string{}, map[string]string{}
	// Contact-keyed buckets: the new key is the new hash of the record's
	// phone number. Messages go first: outbox and provider entries point at them.
	for _, b := range [][]byte{bContacts, bSessions, bLastIn, bMessages, bProjects, bConsents, bOptEvents, bAI, bQuoteIndex, bOnce, bLeadRows, bNotes, bLeadPending} {
		if err := r.rewrite(b, r.byContact(b)); err != nil {
			return err
		}
	}
	if err := r.rekeyNotices(); err != nil {
		return err
	}
	if err := r.rewrite(bMediaOwners, r.mediaOwner); err != nil {
		return err
	}
	if err := r.rewrite(bSeen, r.seen); err != nil {
		return err
	}
	if err := r.rewrite(bProvider, r.provider); err != nil {
		return err
	}
	for _, b := range [][]byte{bQuotes, bQuoteRevs, bInbox, bMedia, bTokens, bOwner, bInboxTries, bOutboxFlight, bPayments} {
		if err := r.rewrite(b, same); err != nil {
			return err
		}
	}
	if err := r.rewrite(bAudit, r.audit); err != nil {
		return err
	}
	if err := r.rewrite(bTimers, r.timer); err != nil {
		return err
	}
	if err := rebuildTimerOwners(tx); err != nil {
		return err
	}
	ob := tx.Bucket(bOutbox)
	for _, ch := range outboxChannels(ob, "") {
		if err := r.rewriteIn(ob.Bucket([]byte(ch)), outboxName(ch), r.outbox); err != nil {
			return err
		}
	}
	// The lead indexes hold contact keys in their keys and unsealed
	// markers: they are made again from the rows.
	return rebuildLeadIndexes(tx, r.new)
}

// remap returns the new key and body of a record from its old ones.
type remap func(key, body []byte) ([]byte, []byte, error)

func same(key, body []byte) ([]byte, []byte, error) { return key, body, nil }

func (r *rekeyer) rewrite(bucket []byte, fn remap) error {
	return r.rewriteIn(r.tx.Bucket(bucket), string(bucket), fn)
}

// rewriteIn opens every value of b with the old keys and seals it again,
// under a new key when fn says so.
func (r *rekeyer) rewriteIn(b *bolt.Bucket, name string, fn remap) error {
	var keys [][]byte
	b.ForEach(func(k, v []byte) error {
		if v != nil {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range keys {
		body, err := r.old.open(name, k, b.Get(k))
		if errors.Is(err, errShredded) {
			// Left behind under a destroyed key: unreadable by anyone,
			// so not carried into the new keys.
			if err := b.Delete(k); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if r.upgrade != nil {
			if body, err = r.upgrade(name, body); err != nil {
				return fmt.Errorf("%s: migrate: %w", name, err)
			}
		}
		nk, nb, err := fn(k, body)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if !bytes.Equal(nk, k) {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		sealed := r.new.seal(name, nk, nb)
		if err := r.new.failed(); err != nil {
			return err
		}
		if err := b.Put(nk, sealed); err != nil {
			return err
		}
	}
	return nil
}

// newCK returns the new contact key for an old one, from a phone number
// read in a record, or from a mapping learnt from other records.
func (r *rekeyer) newCK(oldCK string, body []byte) (string, error) {
	var c contactOf
	json.Unmarshal(body, &c)
	phone := c.Contact
	if phone == "" {
		phone = c.URN
	}
	if phone == "" {
		phone = c.Phone
	}
	if phone != "" {
		nk := r.new.contactKey(phone)
		r.cks[oldCK] = nk
		return nk, nil
	}
	if nk, ok := r.cks[oldCK]; ok {
		return nk, nil
	}
	return "", fmt.Errorf("record of contact %s names no phone number", short(oldCK))
}

// byContact remaps keys that are a contact key or start with one.
func (r *rekeyer) byContact(bucket []byte) remap {
	return func(key, body []byte) ([]byte, []byte, error) {
		ck, rest, per := splitCK(key)
		if !per {
			ck = string(key)
		}
		nck, err := r.newCK(ck, body)
		if err != nil {
			return nil, nil, err
		}
		nk := []byte(nck)
		if per {
			nk = ckKey(nck, rest)
		}
		if bytes.Equal(bucket, bMessages) {
			r.msgKeys[string(key)] = string(nk)
		}
		return nk, body, nil
	}
}

// mediaOwner remaps sha/ck keys.
func (r *rekeyer) mediaOwner(key, body []byte) ([]byte, []byte, error) {
	i := bytes.LastIndexByte(key, '/')
	if i < 0 {
		return key, body, nil
	}
	nck, err := r.newCK(string(key[i+1:]), body)
	if err != nil {
		return nil, nil, err
	}
	return []byte(string(key[:i+1]) + nck), body, nil
}

// seen keeps a seen id's key (the seen key outlives a rekey); a format-2
// record, which held the id, is hashed under the new seen key and keeps
// its time only.
func (r *rekeyer) seen(key, body []byte) ([]byte, []byte, error) {
	var s legacySeen
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, nil, err
	}
	if s.ID == "" {
		return key, body, nil
	}
	nb, err := json.Marshal(seenRecord{Time: s.Time})
	return r.new.seenKey(s.Channel, s.ID), nb, err
}

func (r *rekeyer) provider(_, body []byte) ([]byte, []byte, error) {
	var p providerRecord
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, nil, err
	}
	if nk, ok := r.msgKeys[p.MessageKey]; ok {
		p.MessageKey = nk
	}
	nb, err := json.Marshal(p)
	return r.new.providerKey(p.ProviderID), nb, err
}

func (r *rekeyer) outbox(key, body []byte) ([]byte, []byte, error) {
	var rec outboxRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, nil, err
	}
	if nk, ok := r.msgKeys[rec.MessageKey]; ok {
		rec.MessageKey = nk
	}
	nb, err := json.Marshal(rec)
	return key, nb, err
}

// audit points entries that name a contact by its old key at the new one;
// keys of erased contacts stay as they were, now unlinkable.
func (r *rekeyer) audit(key, body []byte) ([]byte, []byte, error) {
	var a map[string]any
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, nil, err
	}
	if c, _ := a["contact"].(string); c != "" {
		if nck, ok := r.cks[c]; ok {
			a["contact"] = nck
			nb, err := json.Marshal(a)
			return key, nb, err
		}
	}
	return key, body, nil
}
