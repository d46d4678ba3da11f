package model

import (
	"bytes"
	"encoding/json"

	"github.com/allmyleads/allmyleads/engine/core"
)

// EraseFromPayload removes the contact (a normalised URN) from a raw
// webhook payload not yet processed. A store does not know any channel's
// format, so this works on the JSON alone: a payload mentions the contact
// when a string in it is the URN's path (a phone number's digits as in
// WhatsApp's wa_id, from and recipient_id, or a business-scoped user id as
// in from_user_id) or a phone number's E.164 form. The array element
// holding each mention (a message, a status, a contact card) is cut out,
// so the other customers' messages of a batched payload are still
// processed (a payload about the contact alone is left as an envelope with
// nothing in it, which the worker then drops); a payload whose mention is
// not inside an array, or that is not JSON but holds the digits, is
// removed whole.
//
// It returns the payload to keep (nil: remove it whole) and whether it
// changed.
func EraseFromPayload(body []byte, contact string) ([]byte, bool) {
	digits := core.URNPath(contact) // a number's digits, a BSUID, a web id
	if digits == "" || !bytes.Contains(body, []byte(digits)) {
		return body, false
	}
	phone := contact
	if p, ok := core.URNPhone(contact); ok {
		phone = p
	}
	return cutMentions(body, digits, phone)
}

// cutMentions returns body without the array elements that mention the
// contact (a string equal to digits or urn), and whether it changed; a nil
// body means the whole payload must go.
func cutMentions(body []byte, digits, urn string) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, true // not one JSON value, yet it holds the number
	}
	is := func(s string) bool { return s == digits || s == urn }
	cut, mentioned, changed := pruneMentions(v, is)
	if mentioned {
		return nil, true
	}
	if !changed {
		return body, false
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cut); err != nil {
		return nil, true
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), true
}

// pruneMentions drops from every array the elements that mention the
// contact. mentioned says v still mentions it outside any array; changed
// says something was dropped.
func pruneMentions(v any, is func(string) bool) (out any, mentioned, changed bool) {
	switch t := v.(type) {
	case string:
		return t, is(t), false
	case map[string]any:
		for k, e := range t {
			ne, m, c := pruneMentions(e, is)
			t[k] = ne
			mentioned = mentioned || m
			changed = changed || c
		}
		return t, mentioned, changed
	case []any:
		kept := t[:0]
		for _, e := range t {
			ne, m, c := pruneMentions(e, is)
			changed = changed || c || m
			if !m {
				kept = append(kept, ne)
			}
		}
		return kept, false, changed
	}
	return v, false, false
}
