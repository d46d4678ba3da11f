package seal

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// EnvKey is the environment variable that holds the master key (base64 of
// 32 bytes). It wins over a key file.
const EnvKey = "ALLMYLEADS_ENCRYPTION_KEY"

// GenerateKey returns a new random 32-byte master key.
func GenerateKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return k, nil
}

// EncodeKey returns the base64 form of a key, as key files and
// ALLMYLEADS_ENCRYPTION_KEY hold it.
func EncodeKey(key []byte) string { return base64.StdEncoding.EncodeToString(key) }

// DecodeKey parses the base64 form of a 32-byte key; where names the source
// in errors.
func DecodeKey(s, where string) ([]byte, error) {
	s = strings.TrimSpace(s)
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if k2, err2 := base64.RawStdEncoding.DecodeString(s); err2 == nil {
			k, err = k2, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: not base64: %w (make a key with `allmyleads keygen`)", where, err)
	}
	if len(k) != KeySize {
		return nil, fmt.Errorf("%s: want base64 of %d bytes, got %d bytes (make a key with `allmyleads keygen`)", where, KeySize, len(k))
	}
	return k, nil
}

// ReadKeyFile reads a key file written by WriteKeyFile or keygen. On Unix
// it refuses a file that others can read.
func ReadKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s: readable by others (mode %04o); run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	return DecodeKey(string(raw), "key file "+path)
}

// WriteKeyFile writes key to a new file with mode 0600; it never overwrites.
func WriteKeyFile(path string, key []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if _, err := f.WriteString(EncodeKey(key) + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	return f.Close()
}
