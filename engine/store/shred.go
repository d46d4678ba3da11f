package store

// Crypto-shredding on bbolt (the key hierarchy is package sealing's).
//
// Every contact's records are sealed with the contact's own data key
// (subject "c"+ck), a month of its message log and of its AI records with
// keys of their own ("c"+ck+"/m/2026-03", "c"+ck+"/a/2026-03"), and every
// photo or file with its own ("m"+sha256): see subjectFor. The data keys
// live wrapped in the dkeys bucket, keyed by subject; the keys that wrap
// them are in the key store file beside the database (sealing.KeyFile).
//
// Erasure and retention destroy data keys (delete them from dkeys) in
// their transaction, and in the same transaction replace the wrapping key
// of each shard they touched and re-wrap the shard's other keys, and
// replace the transient key (re-sealing the payloads and confirmations in
// flight under the new one). The new key store is staged before the
// commit and renamed into place after it, and meta records which key store
// belongs to the file. bbolt leaves the deleted records and the old
// wrapped keys in free pages; nothing that can open them survives.

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/allmyleads/allmyleads/engine/store/sealing"
)

// bDataKeys holds the wrapped data keys: subject -> sealing wrap.
var bDataKeys = []byte("dkeys")

// Meta keys of the key hierarchy.
var (
	metaKeyStore      = []byte("key_store") // the id of the key store this file belongs with
	metaSeenKey       = []byte("seen_key")  // the seen-id key, sealed under the business key
	metaRotatePending = []byte("rotate_transient")
	metaEmbeddedKeys  = []byte("key_store_embedded") // a backup's copy of the key store
)

// shredding is what an exclusive write destroyed: the shards whose
// wrapping key must be replaced, and whether the transient key must be.
type shredding struct {
	shards    map[int]bool
	transient bool
	keys      int // data keys destroyed
}

func (sh *shredding) empty() bool { return len(sh.shards) == 0 && !sh.transient }

// dataKey returns subject's data key: from the cache, the transaction or,
// with create, a new one. A bound write transaction
// puts a new key's wrap in dkeys; an unbound keyset records the key so the
// transaction that writes its values persists it (persist).
func (ks *keyset) dataKey(subject string, create bool) (*sealing.DataKey, error) {
	if ks.kek == nil {
		return nil, fmt.Errorf("data key %s: %w", shortSubject(subject), errShredded)
	}
	dk := ks.dks.Get(subject)
	if dk == nil {
		var err error
		if dk, err = ks.lookup(subject); err != nil {
			return nil, err
		}
	}
	if dk == nil {
		if !create {
			return nil, fmt.Errorf("data key %s: %w", shortSubject(subject), errShredded)
		}
		nk, err := sealing.NewDataKey()
		if err != nil {
			return nil, err
		}
		dk = nk
	}
	dk = ks.dks.Add(subject, dk)
	if create && !dk.Stored() {
		if ks.tx == nil {
			if ks.used != nil {
				*ks.used = append(*ks.used, usedKey{subject, dk})
			}
		} else if ks.tx.Writable() && !ks.checked[subject] {
			if err := ks.persistOne(subject, dk); err != nil {
				return nil, err
			}
		}
	}
	return dk, nil
}

// lookup reads a subject's data key from the transaction, or through
// load outside one; nil when there is none. A key read outside a write
// transaction is stored for good (a committed one holds it).
func (ks *keyset) lookup(subject string) (*sealing.DataKey, error) {
	if ks.tx == nil {
		if ks.load == nil {
			return nil, nil
		}
		return ks.load(subject)
	}
	raw := ks.tx.Bucket(ks.dkb).Get([]byte(subject))
	if raw == nil {
		return nil, nil
	}
	key, err := ks.kek.Unwrap(subject, raw)
	if err != nil {
		return nil, err
	}
	dk, err := sealing.DataKeyFrom(key)
	if err == nil && !ks.tx.Writable() {
		dk.SetStored()
	}
	return dk, err
}

// persistOne makes sure dkeys holds dk for subject: puts its wrap when
// there is none, and fails when another key is there (two makers raced).
func (ks *keyset) persistOne(subject string, dk *sealing.DataKey) error {
	b := ks.tx.Bucket(ks.dkb)
	raw := b.Get([]byte(subject))
	if raw == nil {
		if err := b.Put([]byte(subject), ks.kek.Wrap(subject, dk.Key)); err != nil {
			return err
		}
		ks.check(subject)
		return nil
	}
	key, err := ks.kek.Unwrap(subject, raw)
	if err != nil {
		return err
	}
	if !bytes.Equal(key, dk.Key) {
		ks.dks.Drop(subject)
		return fmt.Errorf("data key %s: two keys were made for it at once; try again", shortSubject(subject))
	}
	ks.check(subject)
	return nil
}

// check notes that dkeys holds subject's key in this transaction.
func (ks *keyset) check(subject string) {
	if ks.checked == nil {
		ks.checked = map[string]bool{}
	}
	ks.checked[subject] = true
}

// persist puts the data keys an unbound keyset used (see dataKey) in the
// transaction.
func (ks *keyset) persist(used []usedKey) error {
	for _, u := range used {
		if ks.checked[u.subject] {
			continue
		}
		if err := ks.persistOne(u.subject, u.dk); err != nil {
			return err
		}
	}
	return nil
}

// destroyPrefix destroys every data key whose subject starts with prefix
// and returns how many; the transaction must be an exclusive one (shred).
func (ks *keyset) destroyPrefix(prefix string) (int, error) {
	b := ks.tx.Bucket(ks.dkb)
	var doomed [][]byte
	forPrefix(b, []byte(prefix), func(k, _ []byte) error {
		doomed = append(doomed, bytes.Clone(k))
		return nil
	})
	for _, k := range doomed {
		if err := ks.destroy(string(k)); err != nil {
			return 0, err
		}
	}
	ks.dks.Drop(prefix)
	return len(doomed), nil
}

// destroy deletes subject's data key and marks its shard for rotation.
func (ks *keyset) destroy(subject string) error {
	if ks.shred == nil {
		return fmt.Errorf("destroy data key %s outside an exclusive write", shortSubject(subject))
	}
	if err := ks.tx.Bucket(ks.dkb).Delete([]byte(subject)); err != nil {
		return err
	}
	ks.dks.Drop(subject)
	ks.shred.shards[sealing.ShardOf(subject)] = true
	ks.shred.keys++
	return nil
}

// shortSubject cuts a subject for errors and logs.
func shortSubject(s string) string {
	if len(s) > 17 {
		return s[:17]
	}
	return s
}

// rotate replaces the wrapping keys of the shards sh names (and the
// transient key when it says so) inside tx: it re-wraps those shards' data
// keys, re-seals the values under the transient key, stages the new key
// store and records its id in meta. It returns the staged key set, which
// the caller makes current once the transaction committed (Commit the
// key file, then set the ring's kek).
func (s *Store) rotate(tx *bolt.Tx, ks *keyset, sh *shredding) (*sealing.KeySet, error) {
	var idx []int
	for i := range sh.shards {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	if sh.transient {
		idx = append(idx, sealing.Transient)
	}
	next, err := ks.kek.Rotate(idx)
	if err != nil {
		return nil, err
	}
	if err := rewrapShards(tx, ks.dkb, ks.kek, next, sh.shards); err != nil {
		return nil, err
	}
	if sh.transient {
		nr := ks.keyring.clone()
		nr.kek = next
		nks := nr.bind(tx)
		if err := resealTransient(tx, ks, nks); err != nil {
			return nil, err
		}
	}
	if err := s.keyFile().Stage(s.master, next); err != nil {
		return nil, err
	}
	if err := tx.Bucket(bMeta).Put(metaKeyStore, next.ID[:]); err != nil {
		s.keyFile().Abort()
		return nil, err
	}
	return next, nil
}

// rewrapShards wraps the data keys of the shards again under next.
func rewrapShards(tx *bolt.Tx, dkb []byte, old, next *sealing.KeySet, shards map[int]bool) error {
	b := tx.Bucket(dkb)
	type kv struct{ k, v []byte }
	var todo []kv
	err := b.ForEach(func(k, v []byte) error {
		subject := string(k)
		if !shards[sealing.ShardOf(subject)] {
			return nil
		}
		key, err := old.Unwrap(subject, v)
		if err != nil {
			return fmt.Errorf("re-wrap %s: %w", shortSubject(subject), err)
		}
		todo = append(todo, kv{bytes.Clone(k), next.Wrap(subject, key)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range todo {
		if err := b.Put(e.k, e.v); err != nil {
			return err
		}
	}
	return nil
}

// resealTransient seals the values under the transient key (the inbox,
// an erasure's queued confirmations) again under the new one.
func resealTransient(tx *bolt.Tx, old, next *keyset) error {
	reseal := func(b *bolt.Bucket, name string) error {
		type kv struct{ k, v []byte }
		var todo []kv
		err := b.ForEach(func(k, v []byte) error {
			if len(v) < 2 || v[0] != sealing.Envelope || v[1] != sealing.RefTransient {
				return nil
			}
			body, err := old.open(name, k, v)
			if err != nil {
				return err
			}
			todo = append(todo, kv{bytes.Clone(k), next.sealRef(sealing.Ref{Kind: sealing.RefTransient}, name, k, body)})
			return nil
		})
		if err != nil {
			return err
		}
		for _, e := range todo {
			if err := b.Put(e.k, e.v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := reseal(tx.Bucket(bInbox), string(bInbox)); err != nil {
		return err
	}
	ob := tx.Bucket(bOutbox)
	for _, ch := range outboxChannels(ob, "") {
		if err := reseal(ob.Bucket([]byte(ch)), outboxName(ch)); err != nil {
			return err
		}
	}
	return nil
}

// keyFile is the key store beside the database.
func (s *Store) keyFile() sealing.KeyFile { return sealing.KeyFile{Path: s.path + ".keystore"} }

// shredUpdate runs fn in one write transaction while no other operation
// runs (the caller holds s.mu for writing), with a keyset that may destroy
// data keys; the destroyed keys' shards and the transient key when fn asks
// are rotated in the same transaction (rotate). When it returns nil,
// nothing can open a destroyed key's values any more.
func (s *Store) shredUpdate(fn func(tx *bolt.Tx, ks *keyset) error) error {
	var staged *sealing.KeySet
	err := s.db.Update(func(tx *bolt.Tx) error {
		staged = nil
		ks := s.ring.bind(tx)
		ks.shred = &shredding{shards: map[int]bool{}}
		if err := fn(tx, ks); err != nil {
			return err
		}
		if err := ks.failed(); err != nil {
			return err
		}
		meta := tx.Bucket(bMeta)
		if meta.Get(metaRotatePending) != nil {
			ks.shred.transient = true
			if err := meta.Delete(metaRotatePending); err != nil {
				return err
			}
		}
		if ks.shred.empty() || s.noSeal {
			return nil
		}
		next, err := s.rotate(tx, ks, ks.shred)
		if err != nil {
			return err
		}
		staged = next
		return nil
	})
	if err != nil {
		if staged != nil {
			s.keyFile().Abort()
		}
		return err
	}
	if staged != nil {
		if err := s.keyFile().Commit(); err != nil {
			return err
		}
		s.ring.kek = staged
	}
	return nil
}

// exclusive runs fn while no other operation of the store runs.
func (s *Store) exclusive(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn()
}

// rotatePending replaces the transient key when a sent erasure
// confirmation asked for it (its copy in a free page then opens no more).
func (s *Store) rotatePending() error {
	return s.exclusive(func() error {
		return s.shredUpdate(func(tx *bolt.Tx, ks *keyset) error { return nil })
	})
}

// loadDataKey reads a data key in a read transaction of its own, for
// seals prepared before a turn's transaction (keyring.load).
func (s *Store) loadDataKey(subject string) (*sealing.DataKey, error) {
	var dk *sealing.DataKey
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		dk, err = s.ring.bind(tx).lookup(subject)
		return err
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return nil, ErrClosed
	}
	return dk, err
}
