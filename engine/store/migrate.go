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

// formatURNs is the second format: contacts are URNs, and every value is
// sealed under the business key derived from the master key.
const formatURNs = "allmyleads-store/2"

// migrateToShredding turns a format-1 or format-2 file into the current
// format inside the opening transaction and returns the new keyring: every
// value is sealed again under its contact's (or photo's) new data key, the
// seen ids are hashed under the new seen key, and (format 1) every record
// that names a contact by phone number names it by URN, moved to the
// keyed hash of that URN. It reuses the rekey machinery with the same
// master key and salt, so a crash leaves the file as it was, and it runs
// once; the caller stages the new key store and compacts the file after,
// so no free page keeps a value sealed the old way.
func migrateToShredding(tx *bolt.Tx, legacy *keyring, format string, log *slog.Logger) (*keyring, error) {
	legacy.legacy = true
	next := legacy.clone()
	next.legacy = false
	if err := next.fresh(); err != nil {
		return nil, err
	}
	r := &rekeyer{tx: tx, old: legacy.bind(tx), new: next.bind(tx)}
	if format == formatPhones {
		r.upgrade = contactsToURNs
	}
	if err := r.run(); err != nil {
		return nil, err
	}
	if err := writeKeyMeta(tx.Bucket(bMeta), next); err != nil {
		return nil, err
	}
	log.Info("database migrated: each contact's records sealed under its own data key", "from", format, "to", formatName, "contacts", len(r.cks))
	return next, nil
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
