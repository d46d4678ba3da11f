package store

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
)

// formatPhones is the first database format: contacts were E.164 phone
// numbers ("+447700900100"), hashed as such in keys.
const formatPhones = "allmyleads-store/1"

// migrateToURNs turns a format-1 file into the current format inside the
// opening transaction: every record that names a contact by phone number
// names it by URN ("whatsapp:447700900100"), and every contact-keyed record
// moves to the keyed hash of that URN. It reuses the rekey machinery with
// the same keys, so a crash leaves the file as it was, and it runs once.
func migrateToURNs(tx *bolt.Tx, ks *keyset, log *slog.Logger) error {
	r := &rekeyer{tx: tx, old: ks, new: ks, upgrade: contactsToURNs}
	if err := r.run(); err != nil {
		return err
	}
	log.Info("database migrated: contacts are URNs", "from", formatPhones, "to", formatName, "contacts", len(r.cks))
	return tx.Bucket(bMeta).Put([]byte("format"), []byte(formatName))
}

// contactsToURNs rewrites one record's contact fields: "contact" holding a
// phone number becomes its URN, and a contact record gains its "urn".
// Bodies that are not JSON objects (media bytes) stay as they are.
func contactsToURNs(bucket string, body []byte) ([]byte, error) {
	if bucket == string(bMedia) || bucket == string(bInbox) || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return body, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return body, nil
	}
	changed := toURN(m, "contact", "contact")
	if bucket == string(bContacts) {
		changed = toURN(m, "phone", "urn") || changed
	}
	if !changed {
		return body, nil
	}
	return json.Marshal(m)
}

// toURN writes the URN of the phone number at m[from] to m[to], reporting
// whether it did.
func toURN(m map[string]json.RawMessage, from, to string) bool {
	var phone string
	if json.Unmarshal(m[from], &phone) != nil || !strings.HasPrefix(phone, "+") {
		return false
	}
	urn, err := core.NormalizeURN(phone)
	if err != nil {
		return false
	}
	m[to], _ = json.Marshal(urn)
	return true
}
