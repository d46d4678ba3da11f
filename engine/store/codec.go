package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// putJSON seals the JSON of v under key in bucket b (named name).
func (ks *keyset) putJSON(b *bolt.Bucket, name string, key []byte, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s record: %w", name, err)
	}
	return b.Put(key, ks.seal(name, key, body))
}

// putBody seals an already encoded body.
func (ks *keyset) putBody(b *bolt.Bucket, name string, key, body []byte) error {
	return b.Put(key, ks.seal(name, key, body))
}

// getJSON opens and decodes the value under key; found is false when there
// is none.
func (ks *keyset) getJSON(b *bolt.Bucket, name string, key []byte, v any) (found bool, err error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	return true, ks.decode(name, key, raw, v)
}

// decode opens a raw value and decodes its JSON.
func (ks *keyset) decode(name string, key, raw []byte, v any) error {
	body, err := ks.open(name, key, raw)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s record: %w", name, err)
	}
	return nil
}

// Key layout helpers. A contact key (ck) is 64 hex digits; per-contact keys
// are "ck/rest" so one contact's records are one prefix.

const ckLen = 64

// ckPrefix is the prefix of all of one contact's keys in a bucket.
func ckPrefix(ck string) []byte { return []byte(ck + "/") }

// ckKey joins a contact key and the rest of a key.
func ckKey(ck, rest string) []byte { return []byte(ck + "/" + rest) }

// splitCK splits a per-contact key into its contact key and the rest.
func splitCK(key []byte) (ck, rest string, ok bool) {
	if len(key) < ckLen+1 || key[ckLen] != '/' {
		return "", "", false
	}
	return string(key[:ckLen]), string(key[ckLen+1:]), true
}

// timeSeq is a key part that sorts by time then sequence: 16 hex digits of
// Unix nanoseconds, a slash, 16 hex digits of the bucket's sequence.
func timeSeq(t time.Time, seq uint64) string {
	var b [8]byte
	ns := t.UnixNano()
	if ns < 0 || t.IsZero() {
		ns = 0
	}
	binary.BigEndian.PutUint64(b[:], uint64(ns))
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seq)
	return hex.EncodeToString(b[:]) + "/" + hex.EncodeToString(s[:])
}

// timeOf reads the time back from a key ending in timeSeq.
func timeOf(key []byte) (time.Time, bool) {
	parts := strings.Split(string(key), "/")
	if len(parts) < 2 {
		return time.Time{}, false
	}
	raw, err := hex.DecodeString(parts[len(parts)-2])
	if err != nil || len(raw) != 8 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(raw))).UTC(), true
}

// seqID is an ordered, zero-padded id from a bucket sequence.
func seqID(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// forPrefix calls fn for every key/value with the prefix, in key order. fn
// must not change the bucket; collect keys and change them afterwards.
func forPrefix(b *bolt.Bucket, prefix []byte, fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// keysWithPrefix returns copies of the keys with the prefix.
func keysWithPrefix(b *bolt.Bucket, prefix []byte) [][]byte {
	var keys [][]byte
	forPrefix(b, prefix, func(k, _ []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		return nil
	})
	return keys
}

// deleteKeys deletes the keys from the bucket.
func deleteKeys(b *bolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
