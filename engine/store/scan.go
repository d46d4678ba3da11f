package store

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"os"

	"github.com/allmyleads/allmyleads/engine/store/sealing"
)

// Readable is one value a scan of the raw file opened.
type Readable struct {
	Bucket string // the bucket whose additional data opened it
	Key    []byte
	Body   []byte
}

// ScanFile reads the database file at path as an attacker with the file
// and keys would: every page, the free ones too, taken apart into keys and
// values, and every value opened that any of the given master keys opens,
// directly (the business key of any salt found in the file) or through a
// data key found wrapped anywhere in the file under a key of the key store
// beside it (the file as it is now, and a staged one), or under the
// transient key. It is how the tests measure what an erasure leaves
// readable; bbolt is not involved, so it also reads what bbolt no longer
// reaches.
func ScanFile(path string, masters [][]byte) ([]Readable, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	sc := &scanner{data: data, names: map[string]bool{}}
	sc.pages()
	var keysets []*sealing.KeySet
	for _, p := range []string{path + ".keystore", path + ".keystore.new"} {
		if raw, err := os.ReadFile(p); err == nil {
			sc.stores = append(sc.stores, raw)
		}
	}
	for _, m := range masters {
		for _, raw := range sc.stores {
			if ks, err := sealing.DecodeKeySet(m, raw); err == nil {
				keysets = append(keysets, ks)
			}
		}
	}
	var business []cipher.AEAD
	for _, m := range masters {
		for _, salt := range sc.salts {
			if r, err := newKeyring(m, salt, false); err == nil {
				business = append(business, r.aead)
			}
		}
	}
	dks := map[string][]cipher.AEAD{}
	seenKeys := map[string]bool{}
	for _, e := range sc.elems {
		if len(e.v) == 0 || e.v[0] != 1 || len(e.v) != 5+12+sealing.KeySize+16 || len(e.k) < 3 {
			continue
		}
		for _, ks := range keysets {
			if key, err := ks.Unwrap(string(e.k), e.v); err == nil && !seenKeys[string(key)] {
				seenKeys[string(key)] = true
				if dk, err := sealing.DataKeyFrom(key); err == nil {
					dks[string(e.k)] = append(dks[string(e.k)], dk.AEAD)
				}
			}
		}
	}
	var names []string
	for n := range sc.names {
		names = append(names, n, "outbox/"+n)
	}
	var out []Readable
	for _, e := range sc.elems {
		var aeads []cipher.AEAD
		v := e.v
		switch {
		case len(v) > 1 && v[0] == envSealed:
			aeads = business
		case len(v) > 1 && v[0] == sealing.Envelope:
			ref, _, err := sealing.ParseRef(v)
			if err != nil {
				continue
			}
			switch ref.Kind {
			case sealing.RefBusiness:
				aeads = business
			case sealing.RefData:
				aeads = dks[ref.Subject]
			case sealing.RefTransient:
				for _, ks := range keysets {
					if a, err := ks.TransientFor(ref.Gen); err == nil {
						aeads = append(aeads, a)
					}
				}
			}
		default:
			continue
		}
		if body, name, ok := openAny(aeads, names, e.k, v); ok {
			out = append(out, Readable{Bucket: name, Key: e.k, Body: body})
		}
	}
	return out, nil
}

// openAny tries every cipher with every bucket name as additional data.
func openAny(aeads []cipher.AEAD, names []string, key, v []byte) ([]byte, string, bool) {
	for _, a := range aeads {
		for _, n := range names {
			ad := additional(n, key)
			var body []byte
			var err error
			if v[0] == envSealed {
				body, err = a.Open(nil, nil, v[1:], ad)
			} else {
				body, err = sealing.Open(a, v, ad)
			}
			if err == nil {
				return body, n, true
			}
		}
	}
	return nil, "", false
}

// scanner takes a bbolt file apart without bbolt: page headers, leaf
// elements (with inline buckets), whatever page they are in.
type scanner struct {
	data   []byte
	elems  []element
	names  map[string]bool // bucket names seen
	salts  [][]byte
	stores [][]byte
}

type element struct{ k, v []byte }

const (
	pageHeader    = 16
	leafFlag      = 0x02
	bucketElem    = 0x01
	leafElemSize  = 16
	bucketHdrSize = 16
)

func (sc *scanner) pages() {
	ps := 4096
	if len(sc.data) >= pageHeader+12 {
		if n := int(binary.LittleEndian.Uint32(sc.data[pageHeader+8:])); n >= 512 && n <= 1<<16 {
			ps = n
		}
	}
	for off := 0; off+pageHeader <= len(sc.data); off += ps {
		sc.page(sc.data[off:], 0)
	}
}

// page reads a leaf page starting at p[0] (its elements may reach past the
// page into its overflow, which follows it in the file).
func (sc *scanner) page(p []byte, depth int) {
	if len(p) < pageHeader || depth > 4 {
		return
	}
	flags := binary.LittleEndian.Uint16(p[8:])
	count := int(binary.LittleEndian.Uint16(p[10:]))
	if flags != leafFlag {
		return
	}
	for i := range count {
		eo := pageHeader + i*leafElemSize
		if eo+leafElemSize > len(p) {
			return
		}
		ef := binary.LittleEndian.Uint32(p[eo:])
		pos := int(binary.LittleEndian.Uint32(p[eo+4:]))
		ks := int(binary.LittleEndian.Uint32(p[eo+8:]))
		vs := int(binary.LittleEndian.Uint32(p[eo+12:]))
		start := eo + pos
		if pos < 0 || ks < 0 || vs < 0 || start+ks+vs > len(p) || start < 0 {
			continue
		}
		k := p[start : start+ks]
		v := p[start+ks : start+ks+vs]
		if ef&bucketElem != 0 {
			sc.names[string(k)] = true
			if len(v) > bucketHdrSize && binary.LittleEndian.Uint64(v) == 0 {
				sc.page(v[bucketHdrSize:], depth+1) // an inline bucket
			}
			continue
		}
		sc.elems = append(sc.elems, element{bytes.Clone(k), bytes.Clone(v)})
		switch string(k) {
		case "salt":
			if len(v) == 32 && !containsBytes(sc.salts, v) {
				sc.salts = append(sc.salts, bytes.Clone(v))
			}
		case string(metaEmbeddedKeys):
			if !containsBytes(sc.stores, v) {
				sc.stores = append(sc.stores, bytes.Clone(v))
			}
		}
	}
}

func containsBytes(list [][]byte, v []byte) bool {
	for _, e := range list {
		if bytes.Equal(e, v) {
			return true
		}
	}
	return false
}
