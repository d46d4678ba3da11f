package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/allmyleads/allmyleads/engine/store/seal"
)

// KeySize is the size of the master key: AES-256.
const KeySize = seal.KeySize

// EnvKey is the environment variable that holds the master key (base64 of
// 32 bytes). It wins over the key file.
const EnvKey = seal.EnvKey

// Envelope versions: the first byte of every value.
const (
	envSealed = seal.EnvSealed // AES-256-GCM: nonce, ciphertext, tag
	envPlain  = seal.EnvPlain  // NoSeal (benchmarks): the body as is
)

// keyset is the database's seal.Keyset under the names this package's
// code uses.
type keyset struct{ *seal.Keyset }

// newKeyset derives a keyset from the master key; a nil salt makes a new one.
func newKeyset(master, salt []byte, noSeal bool) (*keyset, error) {
	ks, err := seal.New(master, salt, noSeal)
	if err != nil {
		return nil, err
	}
	return &keyset{ks}, nil
}

func (ks *keyset) seal(bucket string, key, body []byte) []byte { return ks.Seal(bucket, key, body) }

func (ks *keyset) open(bucket string, key, value []byte) ([]byte, error) {
	return ks.Open(bucket, key, value)
}

func (ks *keyset) checkValue() []byte           { return ks.CheckValue() }
func (ks *keyset) verify(check []byte) error    { return ks.Verify(check) }
func (ks *keyset) contactKey(c string) string   { return ks.ContactKey(c) }
func (ks *keyset) seenKey(ch, id string) []byte { return ks.SeenKey(ch, id) }
func (ks *keyset) providerKey(p string) []byte  { return ks.ProviderKey(p) }

// salt is the database's salt.
func (ks *keyset) saltBytes() []byte { return ks.Salt() }

// normalize returns the canonical URN of a contact, or the text unchanged
// when it is not one, so a hash never depends on how a contact was typed.
func normalize(contact string) string { return seal.Normalize(contact) }

// ContactKey returns the keyed hash (hex HMAC-SHA256 under a key derived
// from the master key) that stands for a contact in keys and logs.
func (s *Store) ContactKey(contact string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.keys.contactKey(contact)
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
