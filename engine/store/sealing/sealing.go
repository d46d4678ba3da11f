// Package sealing is the key hierarchy every store seals personal data
// with, so that erasing a contact destroys a key instead of hoping every
// copy of the contact's ciphertext is gone (crypto-shredding).
//
//	master key (key file or ALLMYLEADS_ENCRYPTION_KEY)
//	 ├─ business key (HKDF)  seals what names nobody: seen ids, tokens, audit by key
//	 ├─ hash key (HKDF)      keyed hashes of contacts (the store's keys)
//	 └─ key store file (sealed under the master key, rewritten, never updated in place)
//	     ├─ 256 key-encryption keys, one per shard
//	     │    └─ data keys, one per subject (a contact, a month of its messages,
//	     │       a photo), wrapped and kept in the store beside the data
//	     └─ the transient key: webhook payloads in flight, an erasure's confirmation
//
// Erasure deletes the contact's wrapped data keys in the erasing transaction
// and, in the same transaction, replaces the key-encryption key of each
// shard it touched, re-wrapping that shard's other data keys. The key store
// file is staged beside the database before the commit and renamed over the
// old one after it (KeyFile), and the store records which key store it
// expects, so a crash at any point leaves exactly one valid pair. From the
// rename on, a wrapped data key left in a free page, a dead tuple or a log
// is wrapped by a key that no longer exists anywhere, and every copy of the
// contact's ciphertext is unreadable with it.
//
// The package knows no backend: a store keeps the wrapped data keys where
// it likes (bbolt's dkeys bucket; a Postgres table) and the key store file
// beside its data.
package sealing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// KeySize is the size of every key: AES-256.
const KeySize = 32

// Shards is the number of key-encryption keys data keys are spread over:
// erasing a contact re-wraps one shard's data keys, not all of them.
const Shards = 256

// Transient is the index, in a KeySet, of the transient key: it seals what
// only passes through (raw webhook payloads, an erasure's confirmation) and
// is replaced at every erasure and retention run.
const Transient = Shards

const numKeys = Shards + 1

// ErrShredded is returned for a value whose data key was destroyed.
var ErrShredded = errors.New("the value's data key was destroyed (erased)")

// ErrWrongKey is returned when a key store does not open with the master key.
var ErrWrongKey = errors.New("the key store does not open with this master key")

// KeySet is the content of the key store: its id (the store records which
// id it expects), and per shard, and for the transient key, a generation
// and a key. It is immutable once made; Rotate makes a new one.
type KeySet struct {
	ID   [16]byte
	gen  [numKeys]uint32
	key  [numKeys][KeySize]byte
	aead [numKeys]cipher.AEAD
}

// NewKeySet makes a key set with every key fresh.
func NewKeySet() (*KeySet, error) {
	ks := &KeySet{}
	all := make([]int, numKeys)
	for i := range all {
		all[i] = i
	}
	return ks.Rotate(all)
}

// Rotate returns a copy of the set with fresh keys, one generation up, for
// the given indexes (shards, or Transient), and a new id.
func (k *KeySet) Rotate(idx []int) (*KeySet, error) {
	n := &KeySet{gen: k.gen, key: k.key, aead: k.aead}
	if _, err := rand.Read(n.ID[:]); err != nil {
		return nil, fmt.Errorf("make key store id: %w", err)
	}
	for _, i := range idx {
		if i < 0 || i >= numKeys {
			return nil, fmt.Errorf("rotate: no key %d", i)
		}
		if _, err := rand.Read(n.key[i][:]); err != nil {
			return nil, fmt.Errorf("make key: %w", err)
		}
		n.gen[i]++
		a, err := newAEAD(n.key[i][:])
		if err != nil {
			return nil, err
		}
		n.aead[i] = a
	}
	return n, nil
}

// Gen returns the generation of key i.
func (k *KeySet) Gen(i int) uint32 { return k.gen[i] }

// TransientAEAD returns the transient key's generation and cipher.
func (k *KeySet) TransientAEAD() (uint32, cipher.AEAD) { return k.gen[Transient], k.aead[Transient] }

// TransientFor returns the transient cipher of generation gen, or
// ErrShredded when that generation was replaced.
func (k *KeySet) TransientFor(gen uint32) (cipher.AEAD, error) {
	if gen != k.gen[Transient] {
		return nil, ErrShredded
	}
	return k.aead[Transient], nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("make cipher: %w", err)
	}
	a, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("make GCM: %w", err)
	}
	return a, nil
}

// ShardOf is the shard of a subject: the byte its third and fourth
// characters spell in hex (a subject is a kind letter and a hex hash),
// or a hash of the subject for any other.
func ShardOf(subject string) int {
	if len(subject) >= 3 {
		if b, err := hex.DecodeString(subject[1:3]); err == nil {
			return int(b[0])
		}
	}
	sum := sha256.Sum256([]byte(subject))
	return int(sum[0])
}

// wrapVersion is the first byte of a wrapped data key.
const wrapVersion byte = 1

// Wrap seals a data key for subject under its shard's key: a version
// byte, the shard key's generation, then nonce, ciphertext and tag.
func (k *KeySet) Wrap(subject string, dk []byte) []byte {
	sh := ShardOf(subject)
	out := make([]byte, 5, 5+len(dk)+k.aead[sh].Overhead())
	out[0] = wrapVersion
	binary.BigEndian.PutUint32(out[1:], k.gen[sh])
	return k.aead[sh].Seal(out, nil, dk, []byte("dk\x00"+subject))
}

// Unwrap opens a wrapped data key of subject. A key wrapped under a
// generation that was replaced is ErrShredded.
func (k *KeySet) Unwrap(subject string, wrapped []byte) ([]byte, error) {
	if len(wrapped) < 5 || wrapped[0] != wrapVersion {
		return nil, fmt.Errorf("wrapped key of %s: damaged", subject)
	}
	sh := ShardOf(subject)
	if binary.BigEndian.Uint32(wrapped[1:]) != k.gen[sh] {
		return nil, ErrShredded
	}
	dk, err := k.aead[sh].Open(nil, nil, wrapped[5:], []byte("dk\x00"+subject))
	if err != nil {
		return nil, fmt.Errorf("wrapped key of %s: does not open", subject)
	}
	return dk, nil
}

// DataKey is one subject's data key and its cipher.
type DataKey struct {
	Key  []byte
	AEAD cipher.AEAD
	// stored says a committed transaction holds the key's wrap: a store
	// need not check it again before writing values under it.
	stored atomic.Bool
}

// Stored says a committed transaction is known to hold the key.
func (k *DataKey) Stored() bool { return k.stored.Load() }

// SetStored notes that a committed transaction holds the key.
func (k *DataKey) SetStored() { k.stored.Store(true) }

// NewDataKey makes a fresh data key.
func NewDataKey() (*DataKey, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("make data key: %w", err)
	}
	return DataKeyFrom(k)
}

// DataKeyFrom makes a DataKey of key bytes.
func DataKeyFrom(key []byte) (*DataKey, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("data key must be %d bytes, got %d", KeySize, len(key))
	}
	a, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &DataKey{Key: key, AEAD: a}, nil
}

// Cache keeps unwrapped data keys in memory, so a turn does not unwrap its
// contact's key again. It is bounded; an evicted key is read and unwrapped
// again when needed. Safe for concurrent use.
type Cache struct {
	mu  sync.Mutex
	m   map[string]*DataKey
	max int
}

// NewCache returns a cache of at most max keys.
func NewCache(max int) *Cache { return &Cache{m: map[string]*DataKey{}, max: max} }

// Get returns the cached key of subject, or nil.
func (c *Cache) Get(subject string) *DataKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[subject]
}

// Add caches dk for subject unless a key is cached for it already, and
// returns the cached one, so two callers racing to make a subject's first
// key agree on one.
func (c *Cache) Add(subject string, dk *DataKey) *DataKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[subject]; old != nil {
		return old
	}
	if len(c.m) >= c.max {
		n := 0
		for s := range c.m { // evict about a tenth, arbitrarily
			delete(c.m, s)
			if n++; n >= c.max/10+1 {
				break
			}
		}
	}
	c.m[subject] = dk
	return dk
}

// Drop forgets the keys of every subject with the prefix.
func (c *Cache) Drop(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.m {
		if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
			delete(c.m, s)
		}
	}
}

// Clear forgets every key.
func (c *Cache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}

// fileKey derives the key that seals a key store file from the master key.
func fileKey(master, salt []byte) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, master, salt, "allmyleads key store v1", KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive key store key: %w", err)
	}
	return newAEAD(k)
}
