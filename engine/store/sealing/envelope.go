package sealing

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
)

// Envelope is the first byte of a value sealed by this package: a
// reference to the key that sealed it follows, then the nonce, ciphertext
// and tag of AES-256-GCM.
//
//	3 | 0                          | nonce ct tag   the business key
//	3 | 1 | len | subject          | nonce ct tag   the subject's data key
//	3 | 2 | generation (4 bytes)   | nonce ct tag   the transient key
const Envelope byte = 3

// Ref kinds: which key sealed a value.
const (
	RefBusiness  byte = 0
	RefData      byte = 1
	RefTransient byte = 2
)

// Ref names the key that seals a value.
type Ref struct {
	Kind    byte
	Subject string // RefData: whose data key
	Gen     uint32 // RefTransient: which generation
}

// Business is the reference of the business key.
func Business() Ref { return Ref{Kind: RefBusiness} }

// Data is the reference of subject's data key.
func Data(subject string) Ref { return Ref{Kind: RefData, Subject: subject} }

// Seal seals body with aead under ref, with ad as additional data; the
// reference is covered by the tag too.
func Seal(aead cipher.AEAD, ref Ref, ad, body []byte) []byte {
	headLen := 2 + refLen(ref)
	sealed := headLen + len(body) + aead.Overhead()
	// One allocation: the value, then (past its end) the additional data,
	// which is the reference followed by ad.
	buf := make([]byte, headLen, sealed+headLen+len(ad))
	buf[0] = Envelope
	appendRef(buf[1:1], ref)
	adBuf := append(buf[sealed:sealed], buf[:headLen]...)
	adBuf = append(adBuf, ad...)
	return aead.Seal(buf[:headLen:sealed], nil, body, adBuf)
}

// refLen is the length of a reference after the kind byte.
func refLen(r Ref) int {
	switch r.Kind {
	case RefData:
		return 1 + len(r.Subject)
	case RefTransient:
		return 4
	}
	return 0
}

// Open opens a value sealed by Seal, after ParseRef found its key.
func Open(aead cipher.AEAD, value, ad []byte) ([]byte, error) {
	_, n, err := ParseRef(value)
	if err != nil {
		return nil, err
	}
	head := value[:n]
	body, err := aead.Open(nil, nil, value[n:], append(append([]byte(nil), head...), ad...))
	if err != nil {
		return nil, errDoesNotOpen
	}
	return body, nil
}

var errDoesNotOpen = errors.New("value does not open (wrong key or damaged record)")

// IsNotOpen says whether err is a value that did not open with its key.
func IsNotOpen(err error) bool { return errors.Is(err, errDoesNotOpen) }

func appendRef(dst []byte, r Ref) []byte {
	dst = append(dst, r.Kind)
	switch r.Kind {
	case RefData:
		dst = append(dst, byte(len(r.Subject)))
		dst = append(dst, r.Subject...)
	case RefTransient:
		dst = binary.BigEndian.AppendUint32(dst, r.Gen)
	}
	return dst
}

// ParseRef reads the key reference of a sealed value and returns where the
// sealed part starts.
func ParseRef(value []byte) (Ref, int, error) {
	if len(value) < 2 || value[0] != Envelope {
		return Ref{}, 0, errors.New("not a sealed value")
	}
	r := Ref{Kind: value[1]}
	switch r.Kind {
	case RefBusiness:
		return r, 2, nil
	case RefData:
		if len(value) < 3 || len(value) < 3+int(value[2]) {
			return Ref{}, 0, errors.New("sealed value: short reference")
		}
		n := 3 + int(value[2])
		r.Subject = string(value[3:n])
		return r, n, nil
	case RefTransient:
		if len(value) < 6 {
			return Ref{}, 0, errors.New("sealed value: short reference")
		}
		r.Gen = binary.BigEndian.Uint32(value[2:6])
		return r, 6, nil
	}
	return Ref{}, 0, fmt.Errorf("sealed value: unknown key reference %d", r.Kind)
}
