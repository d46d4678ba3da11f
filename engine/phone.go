package engine

import (
	"fmt"
	"strings"
)

// NormalizePhone turns a phone number into E.164 with a leading plus:
// "+1 555-0100", "15550100" and "whatsapp:+15550100" all become "+15550100".
// It fails on anything that is not 6 to 15 digits.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "whatsapp:"))
	var b strings.Builder
	b.WriteByte('+')
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')', r == '.':
		default:
			return "", fmt.Errorf("phone number %q: unexpected %q", s, r)
		}
	}
	n := b.Len() - 1
	if n < 6 || n > 15 {
		return "", fmt.Errorf("phone number %q: want 6 to 15 digits, got %d", s, n)
	}
	return b.String(), nil
}
