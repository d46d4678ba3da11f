package engine

import (
	"regexp"
	"sort"
	"strings"
)

// personal finds what looks like personal data in any text: email
// addresses and runs of six or more digits (phone numbers, ids).
var personal = regexp.MustCompile(`[^\s@"']+@[^\s@"']+\.[a-zA-Z]{2,}|\+?\d[\d \-]{4,}\d`)

// redact returns the error's text with the values the conversation holds
// (every string in the session's variables, the contact's URN and phone
// number) and anything that looks like an email or a phone number replaced
// by "[redacted]", so an error a plugin or a template wrote with a
// customer's name in it never carries that name into a log.
func (t *turn) redact(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var values []string
	collectStrings(t.sess.Vars, &values)
	values = append(values, t.sess.Contact, phoneOf(t.sess.Contact))
	// Longest first, so "Ana Lima" goes before "Ana".
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	for _, v := range values {
		if len(v) >= 3 {
			msg = strings.ReplaceAll(msg, v, "[redacted]")
		}
	}
	return personal.ReplaceAllString(msg, "[redacted]")
}

// collectStrings appends every string in v (maps and lists walked).
func collectStrings(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case map[string]any:
		for _, e := range x {
			collectStrings(e, out)
		}
	case []any:
		for _, e := range x {
			collectStrings(e, out)
		}
	}
}
