package store

import (
	"encoding/json"
	"strings"

	"github.com/allmyleads/allmyleads/engine/store/sealing"
)

// subjectFor names the key that seals a value, from its bucket, key and
// body: the contact's data key for every record about a contact (a month
// of messages or AI records has its own, so retention can shred a month),
// a photo's own key, the transient key for what only passes through, and
// the business key for what names nobody. A record of an unknown bucket
// whose key starts with a contact key is the contact's.
func subjectFor(ks *keyset, bucket string, key, body []byte) sealing.Ref {
	switch bucket {
	case string(bInbox):
		return sealing.Ref{Kind: sealing.RefTransient}
	case string(bMedia):
		return sealing.Data("m" + string(key))
	case string(bMessages):
		return monthSubject(key, "/m/")
	case string(bAI):
		return monthSubject(key, "/a/")
	case string(bTimers):
		if ck, ok := timerCK(key); ok && isCK(ck) {
			return sealing.Data("c" + ck)
		}
	case string(bMediaOwners):
		if i := strings.LastIndexByte(string(key), '/'); i >= 0 && isCK(string(key[i+1:])) {
			return sealing.Data("c" + string(key[i+1:]))
		}
	case string(bQuotes), string(bQuoteRevs), string(bPayments):
		var r struct {
			Contact string `json:"contact"`
		}
		json.Unmarshal(body, &r)
		if r.Contact != "" {
			return sealing.Data("c" + ks.contactKey(r.Contact))
		}
		return sealing.Business()
	case string(bAudit):
		var r struct {
			Contact string `json:"contact"`
		}
		json.Unmarshal(body, &r)
		if r.Contact != "" && !isCK(r.Contact) && (strings.Contains(r.Contact, ":") || strings.HasPrefix(r.Contact, "+")) {
			return sealing.Data("c" + ks.contactKey(r.Contact))
		}
		return sealing.Business()
	case string(bProvider):
		var r providerRecord
		json.Unmarshal(body, &r)
		if len(r.MessageKey) > ckLen {
			return monthSubject([]byte(r.MessageKey), "/m/")
		}
		return sealing.Business()
	case string(bSeen), string(bMeta), string(bTokens), string(bOwner), string(bLeadTime), string(bLeadStage), string(bLeadTab), string(bLeadStats):
		return sealing.Business()
	}
	if strings.HasPrefix(bucket, "outbox/") {
		var r outboxRecord
		json.Unmarshal(body, &r)
		return outboxSubject(ks, r)
	}
	if ck := leadingCK(key); ck != "" {
		return sealing.Data("c" + ck)
	}
	return sealing.Business()
}

// monthSubject is the data key of a month of a contact's records keyed
// ck/time/seq; the contact's key when the key has no time.
func monthSubject(key []byte, kind string) sealing.Ref {
	ck := leadingCK(key)
	if ck == "" {
		return sealing.Business()
	}
	at, ok := timeOf(key)
	if !ok {
		return sealing.Data("c" + ck)
	}
	return sealing.Data("c" + ck + kind + at.Format("2006-01"))
}

// leadingCK returns the contact key a key is or starts with, or "".
func leadingCK(key []byte) string {
	if len(key) < ckLen || (len(key) > ckLen && key[ckLen] != '/') {
		return ""
	}
	ck := string(key[:ckLen])
	if !isCK(ck) {
		return ""
	}
	return ck
}

// isCK says whether s is a contact key: 64 lower-case hex digits.
func isCK(s string) bool {
	if len(s) != ckLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// outboxSubject is the key of an outbox item: its contact's; a notice's,
// the key of the contact it is about; an erasing turn's messages and
// notices (no message log entry, about no one) are under the transient
// key, since nothing of the contact may outlive their sending, not even
// their key.
func outboxSubject(ks *keyset, rec outboxRecord) sealing.Ref {
	switch {
	case rec.About != "":
		return sealing.Data("c" + rec.About)
	case rec.MessageKey == "" || rec.Contact == "":
		return sealing.Ref{Kind: sealing.RefTransient}
	}
	return sealing.Data("c" + ks.contactKey(rec.Contact))
}
