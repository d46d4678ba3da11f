// Package seal is the encryption at rest of the Postgres store
// (engine/store/postgres), and the master key's handling both stores share
// (ALLMYLEADS_ENCRYPTION_KEY, key files): a master key and a per-database
// salt derive a Keyset that seals each value with AES-256-GCM, bound to
// where it is kept (a table and its key) so values cannot be moved between
// records, and hashes contacts and message ids with HMAC-SHA256 so they
// can be found without being stored in the clear.
//
// The bbolt store derives its keys from the same master key through its
// own hierarchy of per-contact data keys (engine/store/sealing), which an
// erasure destroys; this package has one key per database. It imports
// engine/core for URN normalisation only and knows nothing of any backend.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sync"

	"github.com/allmyleads/allmyleads/engine/core"
)

// KeySize is the size of the master key: AES-256.
const KeySize = 32

// SaltSize is the size of the per-database salt.
const SaltSize = 32

// Envelope versions: the first byte of every sealed value.
const (
	EnvSealed byte = 1 // AES-256-GCM: nonce, ciphertext, tag
	EnvPlain  byte = 2 // NoSeal (benchmarks): the body as is
)

// ErrWrongKey says the key does not open the database: its key check does
// not open under it.
var ErrWrongKey = errors.New("the encryption key does not open this database")

// ErrCorrupt says a value could not be opened: wrong key, tampering or a
// value moved from another record.
var ErrCorrupt = errors.New("value does not open (wrong key or damaged record)")

const checkText = "allmyleads key check v1"

// Keyset holds what the master key derives for one database: the AEAD
// that seals values and the HMAC key that hashes contacts and ids. The
// salt is per database, so the same phone number hashes differently in
// two databases. It is safe for concurrent use.
type Keyset struct {
	salt    []byte
	aead    cipher.AEAD
	hashKey []byte
	noSeal  bool
	macs    sync.Pool // of hash.Hash (HMAC-SHA256 under hashKey)
}

// Derived is what the master key and a database's salt give: the AEAD that
// seals values and the HMAC key that hashes contacts and ids.
type Derived struct {
	Salt    []byte
	AEAD    cipher.AEAD
	HashKey []byte
}

// Derive derives the sealing AEAD (AES-256-GCM, random nonces) and the
// hash key from the master key with HKDF-SHA256 over salt; a nil salt
// makes a new random one. Both stores derive their keys here.
func Derive(master, salt []byte) (Derived, error) {
	if len(master) != KeySize {
		return Derived{}, fmt.Errorf("key must be %d bytes, got %d", KeySize, len(master))
	}
	if salt == nil {
		salt = make([]byte, SaltSize)
		if _, err := rand.Read(salt); err != nil {
			return Derived{}, fmt.Errorf("make salt: %w", err)
		}
	}
	sealKey, err := hkdf.Key(sha256.New, master, salt, "allmyleads seal v1", 32)
	if err != nil {
		return Derived{}, fmt.Errorf("derive seal key: %w", err)
	}
	hashKey, err := hkdf.Key(sha256.New, master, salt, "allmyleads hash v1", 32)
	if err != nil {
		return Derived{}, fmt.Errorf("derive hash key: %w", err)
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return Derived{}, fmt.Errorf("make cipher: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return Derived{}, fmt.Errorf("make GCM: %w", err)
	}
	return Derived{Salt: append([]byte(nil), salt...), AEAD: aead, HashKey: hashKey}, nil
}

// New derives a keyset from the master key and the database's salt; a nil
// salt makes a new random one (a new database). noSeal stores bodies as
// they are (benchmarks only, to measure what sealing costs); the key check
// is sealed all the same.
func New(master, salt []byte, noSeal bool) (*Keyset, error) {
	d, err := Derive(master, salt)
	if err != nil {
		return nil, err
	}
	return FromDerived(d, noSeal), nil
}

// FromDerived is the keyset of keys Derive gave; a store that seals more
// (per-contact keys) builds its own layer over it.
func FromDerived(d Derived, noSeal bool) *Keyset {
	ks := &Keyset{salt: d.Salt, aead: d.AEAD, hashKey: d.HashKey, noSeal: noSeal}
	ks.macs.New = func() any { return hmac.New(sha256.New, ks.hashKey) }
	return ks
}

// Salt returns the database's salt, to store beside the key check.
func (ks *Keyset) Salt() []byte { return append([]byte(nil), ks.salt...) }

// NoSeal says whether values are stored unsealed (benchmarks).
func (ks *Keyset) NoSeal() bool { return ks.noSeal }

// Seal encrypts body for the record named name (a bucket or table) under
// key. The result is the envelope byte followed by nonce, ciphertext and tag.
func (ks *Keyset) Seal(name string, key, body []byte) []byte {
	if ks.noSeal {
		out := make([]byte, 1+len(body))
		out[0] = EnvPlain
		copy(out[1:], body)
		return out
	}
	out := make([]byte, 1, 1+len(body)+ks.aead.Overhead())
	out[0] = EnvSealed
	return ks.aead.Seal(out, nil, body, additional(name, key))
}

// Open decrypts a value sealed for name and key.
func (ks *Keyset) Open(name string, key, value []byte) ([]byte, error) {
	if len(value) == 0 {
		return nil, fmt.Errorf("%s/%x: empty value", name, key)
	}
	switch value[0] {
	case EnvSealed:
		body, err := ks.aead.Open(nil, nil, value[1:], additional(name, key))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, ErrCorrupt)
		}
		return body, nil
	case EnvPlain:
		if !ks.noSeal {
			return nil, fmt.Errorf("%s: unsealed value in a sealed store", name)
		}
		return append([]byte(nil), value[1:]...), nil
	default:
		return nil, fmt.Errorf("%s: unknown value version %d", name, value[0])
	}
}

func additional(name string, key []byte) []byte {
	ad := make([]byte, 0, len(name)+1+len(key))
	ad = append(ad, name...)
	ad = append(ad, 0)
	return append(ad, key...)
}

// CheckValue is the sealed known text that tells a right key from a wrong
// one; a store keeps it beside the salt.
func (ks *Keyset) CheckValue() []byte {
	// The check is always sealed, even with NoSeal, so a wrong key is caught.
	return ks.aead.Seal([]byte{EnvSealed}, nil, []byte(checkText), additional("meta", []byte("check")))
}

// Verify opens a stored key check: ErrWrongKey when it does not open.
func (ks *Keyset) Verify(check []byte) error {
	if len(check) < 1 || check[0] != EnvSealed {
		return errors.New("key check missing or damaged")
	}
	body, err := ks.aead.Open(nil, nil, check[1:], additional("meta", []byte("check")))
	if err != nil || string(body) != checkText {
		return ErrWrongKey
	}
	return nil
}

// MAC returns HMAC-SHA256 under the hash key of the parts joined by NUL.
func (ks *Keyset) MAC(parts ...string) []byte {
	m := ks.macs.Get().(hash.Hash)
	m.Reset()
	for i, p := range parts {
		if i > 0 {
			m.Write([]byte{0})
		}
		m.Write([]byte(p))
	}
	sum := m.Sum(nil)
	ks.macs.Put(m)
	return sum
}

// ContactKey is the hex keyed hash of a contact's URN (64 hex digits): it
// stands for the contact in keys, indexes and logs.
func (ks *Keyset) ContactKey(contact string) string {
	return hex.EncodeToString(ks.MAC("contact", Normalize(contact)))
}

// SeenKey is the keyed hash of an inbound message id on its channel, the
// exactly-once key.
func (ks *Keyset) SeenKey(channel, id string) []byte {
	return ks.MAC("seen", channel, id)
}

// ProviderKey is the keyed hash of a provider's message id.
func (ks *Keyset) ProviderKey(providerID string) []byte {
	return ks.MAC("provider", providerID)
}

// Normalize returns the canonical URN of a contact, or the text unchanged
// when it is not one, so a hash never depends on how a contact was typed.
func Normalize(contact string) string {
	if n, err := core.NormalizeURN(contact); err == nil {
		return n
	}
	return contact
}
