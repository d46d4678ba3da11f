package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Lead is a contact as the business's pipeline shows it on the command
// line: the contact, its latest project and a summary of its latest quote.
type Lead struct {
	core.Contact
	Project *core.Project `json:"project,omitempty"`
	Quote   *QuoteSummary `json:"quote,omitempty"`
}

// QuoteSummary is the part of a quote a lead list shows.
type QuoteSummary struct {
	ID       string    `json:"id"`
	Status   string    `json:"status"`
	Currency string    `json:"currency"`
	Total    int64     `json:"total"` // minor units
	Revision int       `json:"revision"`
	Updated  time.Time `json:"updated"`
}

// LeadFilter selects leads: by contact status, and created on or after Since.
type LeadFilter struct {
	Status string
	Since  time.Time
}

// QuoteFilter selects quotes: by status, contact, and created on or after Since.
type QuoteFilter struct {
	Status  string
	Contact string // a URN or phone number; "" for all
	Since   time.Time
}

// Depths is what waits in a store: raw payloads not yet handled and
// messages not yet sent, by channel (due now or waiting for a retry).
type Depths struct {
	Inbox  int
	Outbox map[string]int
}

// DefaultPolicy is the privacy policy's retention.
func DefaultPolicy() core.RetentionPolicy {
	const year = 365 * 24 * time.Hour
	return core.RetentionPolicy{Communications: 3 * year, AIRecords: 1 * year, Projects: 7 * year, Payments: 7 * year}
}

// TurnContact is the URN of the contact a turn is about.
func TurnContact(t *core.Turn) string {
	switch {
	case t.Inbound != nil && t.Inbound.Contact != "":
		return t.Inbound.Contact
	case t.Session != nil && t.Session.Contact != "":
		return t.Session.Contact
	case t.Contact != nil && t.Contact.URN != "":
		return t.Contact.URN
	case len(t.Outbound) > 0:
		return t.Outbound[0].Contact
	case len(t.Notices) > 0:
		return t.Notices[0].Contact
	}
	return ""
}

// mediaMeta is what a store keeps beside a file's bytes.
type mediaMeta struct {
	MIME     string    `json:"mime"`
	Filename string    `json:"filename,omitempty"`
	Stored   time.Time `json:"stored"`
}

// EncodeMedia is a stored file's body: 4 bytes of meta length, the meta
// JSON, then the bytes.
func EncodeMedia(md *core.Media, now time.Time) []byte {
	meta, _ := json.Marshal(mediaMeta{MIME: md.MIME, Filename: md.Filename, Stored: now})
	body := make([]byte, 4, 4+len(meta)+len(md.Data))
	binary.BigEndian.PutUint32(body, uint32(len(meta)))
	body = append(body, meta...)
	return append(body, md.Data...)
}

// DecodeMedia reads a stored file's body back.
func DecodeMedia(id string, body []byte) (*core.Media, error) {
	if len(body) < 4 {
		return nil, fmt.Errorf("media %s: short record", id)
	}
	n := int(binary.BigEndian.Uint32(body))
	if 4+n > len(body) {
		return nil, fmt.Errorf("media %s: damaged record", id)
	}
	var meta mediaMeta
	if err := json.Unmarshal(body[4:4+n], &meta); err != nil {
		return nil, fmt.Errorf("media %s: %w", id, err)
	}
	data := body[4+n:]
	return &core.Media{ID: id, MIME: meta.MIME, SHA256: id, Filename: meta.Filename, Size: len(data), Data: data}, nil
}

// MediaRefs are the media ids a contact's kept records refer to: the
// messages' and projects' media, and any of owned mentioned in the
// session's body.
func MediaRefs(msgs []core.MessageRecord, projects []core.Project, session []byte, owned []string) map[string]bool {
	refs := map[string]bool{}
	for _, m := range msgs {
		for _, md := range m.Media {
			refs[md.ID] = true
		}
	}
	for _, pr := range projects {
		for _, md := range pr.Photos {
			refs[md.ID] = true
		}
	}
	for _, id := range owned {
		if bytes.Contains(session, []byte(id)) {
			refs[id] = true
		}
	}
	return refs
}
