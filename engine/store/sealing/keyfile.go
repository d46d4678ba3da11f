package sealing

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// fileMagic starts a key store file.
var fileMagic = []byte("allmyleads-keys/1\n")

// Encode returns the key store file's bytes, sealed under the master key:
// the magic line, a random salt, then nonce, ciphertext and tag of the id
// and every key with its generation.
func (k *KeySet) Encode(master []byte) ([]byte, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	aead, err := fileKey(master, salt)
	if err != nil {
		return nil, err
	}
	body := make([]byte, 0, 16+numKeys*(4+KeySize))
	body = append(body, k.ID[:]...)
	for i := range numKeys {
		body = binary.BigEndian.AppendUint32(body, k.gen[i])
		body = append(body, k.key[i][:]...)
	}
	out := append(append([]byte(nil), fileMagic...), salt...)
	return aead.Seal(out, nil, body, fileMagic), nil
}

// DecodeKeySet opens a key store file's bytes with the master key.
func DecodeKeySet(master, data []byte) (*KeySet, error) {
	if !bytes.HasPrefix(data, fileMagic) || len(data) < len(fileMagic)+16 {
		return nil, errors.New("not a key store file")
	}
	salt := data[len(fileMagic) : len(fileMagic)+16]
	aead, err := fileKey(master, salt)
	if err != nil {
		return nil, err
	}
	body, err := aead.Open(nil, nil, data[len(fileMagic)+16:], fileMagic)
	if err != nil {
		return nil, ErrWrongKey
	}
	if len(body) != 16+numKeys*(4+KeySize) {
		return nil, errors.New("key store file: damaged")
	}
	k := &KeySet{}
	copy(k.ID[:], body)
	p := body[16:]
	for i := range numKeys {
		k.gen[i] = binary.BigEndian.Uint32(p)
		copy(k.key[i][:], p[4:4+KeySize])
		p = p[4+KeySize:]
		if k.aead[i], err = newAEAD(k.key[i][:]); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// KeyFile is where a store keeps its key store: Path, and Path+".new"
// while a new one is staged. Stage writes the new file before the store's
// transaction commits, Commit renames it over the old one after, Abort
// drops it when the transaction failed; Load picks whichever file holds
// the key set the store expects, so a crash between any two steps leaves
// a store and a key store that belong together.
type KeyFile struct {
	Path string
}

func (f KeyFile) staged() string { return f.Path + ".new" }

// Stage writes ks, sealed under master, as the staged key store, synced.
func (f KeyFile) Stage(master []byte, ks *KeySet) error {
	data, err := ks.Encode(master)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return fmt.Errorf("stage key store: %w", err)
	}
	tmp := f.staged()
	file, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("stage key store: %w", err)
	}
	_, err = file.Write(data)
	if err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("stage key store %s: %w", tmp, err)
	}
	return syncDir(filepath.Dir(f.Path))
}

// Commit puts the staged key store in place of the old one, which is gone
// for good once this returns (the file is replaced, never rewritten in
// place; what the file system keeps of a replaced file is beyond us).
func (f KeyFile) Commit() error {
	if err := os.Rename(f.staged(), f.Path); err != nil {
		return fmt.Errorf("commit key store: %w", err)
	}
	return syncDir(filepath.Dir(f.Path))
}

// Abort removes a staged key store.
func (f KeyFile) Abort() { os.Remove(f.staged()) }

// Load returns the key set with id want, from the key store or the staged
// one (which is then committed); the other file is removed. It fails with
// fs.ErrNotExist when neither file exists.
func (f KeyFile) Load(master []byte, want [16]byte) (*KeySet, error) {
	var firstErr error
	for _, p := range []string{f.Path, f.staged()} {
		data, err := os.ReadFile(p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && firstErr == nil {
				firstErr = err
			}
			continue
		}
		ks, err := DecodeKeySet(master, data)
		if err != nil || ks.ID != want {
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", p, err)
			}
			continue
		}
		if p == f.staged() {
			if err := f.Commit(); err != nil {
				return nil, err
			}
		} else {
			f.Abort()
		}
		return ks, nil
	}
	if firstErr != nil {
		return nil, firstErr
	}
	_, e1 := os.Stat(f.Path)
	_, e2 := os.Stat(f.staged())
	if errors.Is(e1, fs.ErrNotExist) && errors.Is(e2, fs.ErrNotExist) {
		return nil, fmt.Errorf("key store %s: %w", f.Path, fs.ErrNotExist)
	}
	return nil, fmt.Errorf("key store %s: no file holds the key set this database expects", f.Path)
}

// Read returns the key set in the key store file as it is, whatever its id.
func (f KeyFile) Read(master []byte) (*KeySet, error) {
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, err
	}
	return DecodeKeySet(master, data)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil // not every system lets a folder be opened; the rename stands
	}
	defer d.Close()
	d.Sync()
	return nil
}
