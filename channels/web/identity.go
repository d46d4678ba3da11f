package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/allmyleads/allmyleads/engine/core"
)

// A visitor is the contact web:<id>, id being 16 random bytes in base64url.
// The browser holds a token, "<id>.<mac>", where mac is the HMAC-SHA256 of
// the id under the channel's secret: the server keeps no table of visitors,
// and a visitor cannot make up another's token. The token travels in a
// cookie for the page and in the Authorization header for the API (an
// embedded chat cannot count on third-party cookies).

// CookieName is the cookie that keeps a visitor's token.
const CookieName = "allmyleads_chat"

// MinSecretBytes is the shortest secret accepted.
const MinSecretBytes = 16

// errBadToken is a token that is malformed or not signed with our secret.
var errBadToken = errors.New("bad chat token")

var b64 = base64.RawURLEncoding

// tokens signs and checks visitors' tokens.
type tokens struct{ secret []byte }

// newContactID returns a fresh random visitor id.
func newContactID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return b64.EncodeToString(b[:])
}

func (t tokens) mac(id string) []byte {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte("allmyleads-web-contact:"))
	m.Write([]byte(id))
	return m.Sum(nil)
}

// sign returns the token of a visitor id.
func (t tokens) sign(id string) string { return id + "." + b64.EncodeToString(t.mac(id)) }

// contact returns the URN a token stands for.
func (t tokens) contact(token string) (string, error) {
	dot := strings.LastIndexByte(token, '.')
	if dot < 0 {
		return "", errBadToken
	}
	id, sig := token[:dot], token[dot+1:]
	if id == "" || len(id) > 64 || len(sig) > 64 {
		return "", errBadToken
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, t.mac(id)) {
		return "", errBadToken
	}
	urn, err := core.NormalizeURN(core.SchemeWeb + ":" + id)
	if err != nil {
		return "", errBadToken
	}
	return urn, nil
}

// mediaSig binds a media id to the contact it was sent to, so a link to a
// file works for that visitor only.
func (t tokens) mediaSig(contact, mediaID string) string {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte("allmyleads-web-media:"))
	m.Write([]byte(contact))
	m.Write([]byte{0})
	m.Write([]byte(mediaID))
	return b64.EncodeToString(m.Sum(nil)[:18])
}

func (t tokens) validMediaSig(contact, mediaID, sig string) bool {
	return subtle.ConstantTimeCompare([]byte(sig), []byte(t.mediaSig(contact, mediaID))) == 1
}

// LoadOrCreateSecret reads the secret kept in path (base64 of 32 random
// bytes), or creates the file with a new one (mode 0600) when it does not
// exist; created says which. serve keeps it beside the database, so
// visitors keep their conversation across restarts.
func LoadOrCreateSecret(path string) (secret []byte, created bool, err error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		s, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
		if err != nil || len(s) < MinSecretBytes {
			return nil, false, fmt.Errorf("web chat secret %s: want base64 of at least %d bytes", path, MinSecretBytes)
		}
		return s, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("web chat secret: %w", err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, false, fmt.Errorf("web chat secret: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("web chat secret: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateSecret(path) // another process made it first
	}
	if err != nil {
		return nil, false, fmt.Errorf("web chat secret: %w", err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(b[:]) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, false, fmt.Errorf("web chat secret: %w", werr)
	}
	return b[:], true, nil
}
