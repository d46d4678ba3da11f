package core

import (
	"errors"
	"fmt"
	"strings"
)

// Contact URN schemes. A contact is a scheme and a path ("whatsapp:447700900100");
// only the whatsapp scheme's path is a phone number.
const (
	SchemeWhatsApp      = "whatsapp"       // path: E.164 digits without the plus
	SchemeWhatsAppBSUID = "whatsapp-bsuid" // path: a business-scoped user id ("US.1234"), for WhatsApp usernames without a number
	SchemeWeb           = "web"            // path: the web chat's random id
	SchemeConsole       = "console"        // path: a name or number typed at the terminal chat
)

// ErrBadContact is wrapped by the errors of NormalizeURN: the text is not a
// contact URN nor a phone number.
var ErrBadContact = errors.New("invalid contact")

// maxURNPath bounds a URN's path, so a hostile id cannot bloat keys and logs.
const maxURNPath = 128

// NormalizeURN turns a contact as a channel or a person wrote it into its one
// canonical URN. A phone number with or without a scheme ("+44 7700 900100",
// "whatsapp:+447700900100", "tel:447700900100") becomes
// "whatsapp:447700900100"; the other schemes keep their path, which must be
// 1 to 128 characters of letters, digits and ". _ - + @ =". Scheme names are
// case-insensitive.
func NormalizeURN(s string) (string, error) {
	if canonicalPhoneURN(s) {
		return s, nil // the common case, every message of a WhatsApp contact: nothing to fold
	}
	s = strings.TrimSpace(s)
	scheme, path, found := strings.Cut(s, ":")
	if !found {
		return phoneURN(s)
	}
	switch strings.ToLower(scheme) {
	case SchemeWhatsApp, "tel":
		if allDigits(path) {
			path = "+" + path // a URN's digits are E.164 already: never an exit code
		}
		return phoneURN(path)
	case SchemeWhatsAppBSUID:
		return opaqueURN(SchemeWhatsAppBSUID, path)
	case SchemeWeb:
		return opaqueURN(SchemeWeb, path)
	case SchemeConsole:
		return opaqueURN(SchemeConsole, path)
	}
	return "", fmt.Errorf("%w %q: unknown scheme %q (want a phone number or whatsapp:, whatsapp-bsuid:, web:, console:)", ErrBadContact, s, scheme)
}

// canonicalPhoneURN reports whether s is already "whatsapp:" and 6 to 15
// ASCII digits with a country calling code, as NormalizeURN writes it.
func canonicalPhoneURN(s string) bool {
	digits, ok := strings.CutPrefix(s, SchemeWhatsApp+":")
	return ok && len(digits) >= 6 && len(digits) <= 15 && allDigits(digits) && callingCode(digits) != ""
}

func phoneURN(s string) (string, error) {
	p, err := NormalizePhone(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadContact, err)
	}
	if callingCode(p[1:]) == "" {
		return "", fmt.Errorf("%w: %q does not start with a country calling code", ErrBadContact, s)
	}
	return SchemeWhatsApp + ":" + p[1:], nil
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func opaqueURN(scheme, path string) (string, error) {
	path = strings.TrimSpace(path)
	if path == "" || len(path) > maxURNPath {
		return "", fmt.Errorf("%w %s:%q: want 1 to %d characters after the scheme", ErrBadContact, scheme, path, maxURNPath)
	}
	for _, r := range path {
		if !urnRune(r) {
			return "", fmt.Errorf("%w %s:%q: unexpected %q", ErrBadContact, scheme, path, r)
		}
	}
	return scheme + ":" + path, nil
}

func urnRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("._-+@=", r)
}

// PhoneURN returns the whatsapp URN of an E.164 number ("+447700900100").
func PhoneURN(e164 string) string {
	return SchemeWhatsApp + ":" + strings.TrimPrefix(e164, "+")
}

// URNScheme returns the scheme of a canonical URN ("whatsapp").
func URNScheme(urn string) string {
	scheme, _, _ := strings.Cut(urn, ":")
	return scheme
}

// URNPath returns what follows the scheme of a canonical URN.
func URNPath(urn string) string {
	_, path, _ := strings.Cut(urn, ":")
	return path
}

// URNPhone returns the E.164 number ("+447700900100") of a whatsapp URN, and
// false for a contact that has no phone number.
func URNPhone(urn string) (string, bool) {
	scheme, path, _ := strings.Cut(urn, ":")
	if scheme != SchemeWhatsApp || path == "" {
		return "", false
	}
	return "+" + path, true
}
