package store

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/store/seal"
	"github.com/allmyleads/allmyleads/engine/store/sealing"
)

// KeySize is the size of the master key: AES-256.
const KeySize = seal.KeySize

// EnvKey is the environment variable that holds the master key (base64 of
// 32 bytes). It wins over the key file.
const EnvKey = seal.EnvKey

// Envelope versions: the first byte of every value.
const (
	envSealed byte = 1 // format 2: AES-256-GCM under the business key (read by the migration)
	envPlain  byte = 2 // NoSeal (benchmarks): the body as is
	// sealing.Envelope (3): format 3, a key reference first (sealing.Seal)
)

// keyring holds what the master key derives and the key store: the
// business key that seals what names nobody, the HMAC key that hashes
// contacts and provider ids, the seen-id key, the key-encryption keys of
// the data keys and the transient key (sealing.KeySet), and a cache of
// unwrapped data keys. The salt is per database, so the same phone number
// hashes differently in two databases. One keyring serves every
// transaction; keyset is its view in one of them.
type keyring struct {
	salt       []byte
	aead       cipher.AEAD  // the business key
	base       *seal.Keyset // the business key's envelope, key check and keyed hashes, shared with the Postgres store
	seenSecret []byte       // hashes inbound ids; random, kept across rekeys (format 3)
	noSeal     bool
	legacy     bool // a format-2 ring: everything under the business key (the migration reads it)
	seen       sync.Pool
	kek        *sealing.KeySet
	dks        *sealing.Cache
	// load reads and unwraps a data key outside a transaction (a keyset
	// not bound to one); nil means none can be read.
	load func(subject string) (*sealing.DataKey, error)
}

// newKeyring derives a keyring from the master key; a nil salt makes a
// new one. The caller sets seenKey and kek (or legacy).
func newKeyring(master, salt []byte, noSeal bool) (*keyring, error) {
	d, err := seal.Derive(master, salt)
	if err != nil {
		return nil, err
	}
	r := &keyring{salt: d.Salt, aead: d.AEAD, base: seal.FromDerived(d, noSeal), noSeal: noSeal, dks: sealing.NewCache(1 << 13)}
	r.seen.New = func() any { return hmac.New(sha256.New, r.seenSecret) }
	return r, nil
}

// clone returns a copy of the ring with its own pools and an empty cache
// of data keys.
func (r *keyring) clone() *keyring {
	n := &keyring{salt: r.salt, aead: r.aead, base: r.base, seenSecret: r.seenSecret, noSeal: r.noSeal,
		legacy: r.legacy, kek: r.kek, dks: sealing.NewCache(1 << 13), load: r.load}
	n.seen.New = func() any { return hmac.New(sha256.New, n.seenSecret) }
	return n
}

// newSeenKey makes the random key of the seen ids.
func newSeenKey() ([]byte, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("make seen key: %w", err)
	}
	return k, nil
}

// keyset is the keyring as one transaction (or a preparation outside
// any) uses it: it finds, makes, persists and destroys data keys there.
type keyset struct {
	*keyring
	tx      *bolt.Tx // nil: not bound (sealing before a transaction)
	dkb     []byte   // the bucket of wrapped data keys
	checked map[string]bool
	used    *[]usedKey // unbound: the data keys its seals used, for the transaction to persist
	shred   *shredding // an exclusive write: the data keys destroyed, the shards to rotate
	err     error      // the first failure of a seal (a data key that could not be had)
}

// usedKey is a data key an unbound seal used.
type usedKey struct {
	subject string
	dk      *sealing.DataKey
}

// bind returns the keyring's view in tx.
func (r *keyring) bind(tx *bolt.Tx) *keyset {
	return &keyset{keyring: r, tx: tx, dkb: bDataKeys}
}

// unbound returns a view outside any transaction; its seals record the
// data keys they used (persist them in the transaction).
func (r *keyring) unbound() *keyset {
	return &keyset{keyring: r, dkb: bDataKeys, used: &[]usedKey{}}
}

// in returns the keyring's view in tx (a fresh one: rebinding drops the
// shredding state; exclusive writes pass their keyset down instead).
func (ks *keyset) in(tx *bolt.Tx) *keyset { return ks.keyring.bind(tx) }

// failed returns the first failure of a seal, if any.
func (ks *keyset) failed() error { return ks.err }

func (ks *keyset) fail(err error) {
	if ks.err == nil {
		ks.err = err
	}
}

// seal encrypts body for the given bucket path and key, under the key
// subjectFor names: the envelope, the key reference, nonce, ciphertext and
// tag. A data key that cannot be had makes ks failed (and an empty value).
func (ks *keyset) seal(bucket string, key, body []byte) []byte {
	if ks.noSeal {
		out := make([]byte, 1+len(body))
		out[0] = envPlain
		copy(out[1:], body)
		return out
	}
	if ks.legacy {
		return ks.base.Seal(bucket, key, body)
	}
	return ks.sealRef(subjectFor(ks, bucket, key, body), bucket, key, body)
}

// sealRef seals under the named key.
func (ks *keyset) sealRef(ref sealing.Ref, bucket string, key, body []byte) []byte {
	ad := additional(bucket, key)
	switch ref.Kind {
	case sealing.RefTransient:
		gen, aead := ks.kek.TransientAEAD()
		ref.Gen = gen
		return sealing.Seal(aead, ref, ad, body)
	case sealing.RefData:
		dk, err := ks.dataKey(ref.Subject, true)
		if err != nil {
			ks.fail(fmt.Errorf("%s: %w", bucket, err))
			return nil
		}
		return sealing.Seal(dk.AEAD, ref, ad, body)
	}
	return sealing.Seal(ks.aead, ref, ad, body)
}

// errCorrupt says a value could not be opened: wrong key, tampering or a
// value moved from another record.
var errCorrupt = seal.ErrCorrupt

// errShredded is a value whose data key was destroyed.
var errShredded = sealing.ErrShredded

// open decrypts a value sealed for bucket and key.
func (ks *keyset) open(bucket string, key, value []byte) ([]byte, error) {
	if len(value) == 0 {
		return nil, fmt.Errorf("%s/%x: empty value", bucket, key)
	}
	switch value[0] {
	case envSealed, envPlain: // the business key's envelope (format 2) or NoSeal
		return ks.base.Open(bucket, key, value)
	case sealing.Envelope:
		ref, _, err := sealing.ParseRef(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", bucket, err)
		}
		aead := ks.aead
		switch ref.Kind {
		case sealing.RefTransient:
			if ks.kek == nil {
				return nil, fmt.Errorf("%s: %w", bucket, errShredded)
			}
			if aead, err = ks.kek.TransientFor(ref.Gen); err != nil {
				return nil, fmt.Errorf("%s: %w", bucket, err)
			}
		case sealing.RefData:
			dk, err := ks.dataKey(ref.Subject, false)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", bucket, err)
			}
			aead = dk.AEAD
		}
		body, err := sealing.Open(aead, value, additional(bucket, key))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", bucket, errCorrupt)
		}
		return body, nil
	default:
		return nil, fmt.Errorf("%s: unknown value version %d", bucket, value[0])
	}
}

func additional(bucket string, key []byte) []byte {
	ad := make([]byte, 0, len(bucket)+1+len(key))
	ad = append(ad, bucket...)
	ad = append(ad, 0)
	return append(ad, key...)
}

// checkValue is the sealed known text that tells a right key from a wrong one.
func (ks *keyring) checkValue() []byte { return ks.base.CheckValue() }

// verify opens the stored key check.
func (ks *keyring) verify(check []byte) error { return ks.base.Verify(check) }

// mac returns HMAC-SHA256 under the hash key of the parts joined by NUL.
func (ks *keyring) mac(parts ...string) []byte { return ks.base.MAC(parts...) }

func macOf(pool *sync.Pool, parts []string) []byte {
	m := pool.Get().(hash.Hash)
	m.Reset()
	for i, p := range parts {
		if i > 0 {
			m.Write([]byte{0})
		}
		m.Write([]byte(p))
	}
	sum := m.Sum(nil)
	pool.Put(m)
	return sum
}

// contactKey is the hex keyed hash of a contact's URN.
func (ks *keyring) contactKey(contact string) string {
	return hex.EncodeToString(ks.mac("contact", normalize(contact)))
}

// seenKey is the key of an inbound id in the seen bucket: an HMAC under
// the seen key, which a rekey keeps, so a seen record needs no id in it.
// A format-2 ring hashed it under the hash key.
func (ks *keyring) seenKey(channel, id string) []byte {
	if ks.legacy {
		return ks.mac("seen", channel, id)
	}
	return macOf(&ks.seen, []string{"seen", channel, id})
}

// providerKey is the key of a provider's message id.
func (ks *keyring) providerKey(providerID string) []byte {
	return ks.mac("provider", providerID)
}

// normalize returns the canonical URN of a contact, or the text unchanged
// when it is not one, so a hash never depends on how a contact was typed.
func normalize(contact string) string { return seal.Normalize(contact) }

// ContactKey returns the keyed hash (hex HMAC-SHA256 under a key derived
// from the master key) that stands for a contact in keys and logs.
func (s *Store) ContactKey(contact string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ring.contactKey(contact)
}

// GenerateKey returns a new random 32-byte master key.
func GenerateKey() ([]byte, error) { return seal.GenerateKey() }

// EncodeKey returns the base64 form of a key, as key files and
// ALLMYLEADS_ENCRYPTION_KEY hold it.
func EncodeKey(key []byte) string { return seal.EncodeKey(key) }

// DecodeKey parses the base64 form of a 32-byte key; where names the source
// in errors.
func DecodeKey(s, where string) ([]byte, error) { return seal.DecodeKey(s, where) }

// ReadKeyFile reads a key file written by LoadOrCreateKey or keygen. On
// Unix it refuses a file that others can read.
func ReadKeyFile(path string) ([]byte, error) { return seal.ReadKeyFile(path) }

// WriteKeyFile writes key to a new file with mode 0600; it never overwrites.
func WriteKeyFile(path string, key []byte) error { return seal.WriteKeyFile(path, key) }

// LoadOrCreateKey finds the master key for the database at dbPath:
// ALLMYLEADS_ENCRYPTION_KEY (base64 of 32 bytes) wins; else keyFile
// (default dbPath+".key"); else, for a database that does not exist yet, it
// creates that key file with mode 0600 and returns its path as created.
func LoadOrCreateKey(dbPath, keyFile string, getenv func(string) string) (key []byte, created string, err error) {
	if getenv != nil {
		if v := getenv(EnvKey); v != "" {
			k, err := DecodeKey(v, EnvKey)
			return k, "", err
		}
	}
	if keyFile == "" {
		keyFile = dbPath + ".key"
	}
	k, err := ReadKeyFile(keyFile)
	if err == nil {
		return k, "", nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", err
	}
	if _, statErr := os.Stat(dbPath); statErr == nil {
		return nil, "", fmt.Errorf("database %s exists but its key file %s is missing: restore the key file or set %s", dbPath, keyFile, EnvKey)
	}
	k, err = GenerateKey()
	if err != nil {
		return nil, "", err
	}
	if err := WriteKeyFile(keyFile, k); err != nil {
		return nil, "", err
	}
	return k, keyFile, nil
}
