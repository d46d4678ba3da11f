package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
)

// ExportFormat names the export document's format and version.
const ExportFormat = "allmyleads-export/v1"

// Export is everything held about one contact, as the right of access and
// portability asks (section 8 of the privacy policy). Its JSON is the
// documented export format (see export.schema.json beside this file):
// every list is present, empty when nothing is held.
type Export struct {
	Format       string               `json:"format"` // ExportFormat
	Generated    time.Time            `json:"generated"`
	URN          string               `json:"urn"`             // the contact (see core.NormalizeURN)
	Phone        string               `json:"phone,omitempty"` // E.164, for a contact with a phone number
	Contact      *core.Contact        `json:"contact"`
	Conversation *core.Session        `json:"conversation"` // where the chat stands, with the answers given
	Projects     []core.Project       `json:"projects"`
	Quotes       []core.QuoteRecord   `json:"quotes"`
	Revisions    []core.QuoteRecord   `json:"quote_revisions"` // earlier versions of the quotes
	Consents     []core.ConsentRecord `json:"consents"`
	Payments     []core.PaymentRecord `json:"payments"`
	OptEvents    []core.OptEvent      `json:"opt_events"`
	Messages     []Message            `json:"messages"`
	AIRecords    []core.AIRecord      `json:"ai_records"`
	Media        []ExportMedia        `json:"media"`
	Audit        []core.AuditEntry    `json:"audit"` // administrative actions about the contact
	Notes        []core.Note          `json:"notes"` // the business's private notes about the contact

	data map[string][]byte // media bytes by id, for WriteExport
}

// ExportMedia describes one stored photo or file of the contact. File is
// its path relative to the JSON file when WriteExport wrote it.
type ExportMedia struct {
	ID       string `json:"id"`
	SHA256   string `json:"sha256"`
	MIME     string `json:"mime"`
	Filename string `json:"filename,omitempty"`
	Size     int    `json:"size"`
	File     string `json:"file,omitempty"`
}

// Empty says whether nothing at all is held about the contact.
func (e *Export) Empty() bool {
	return e.Contact == nil && e.Conversation == nil && len(e.Projects) == 0 && len(e.Quotes) == 0 &&
		len(e.Revisions) == 0 && len(e.Consents) == 0 && len(e.OptEvents) == 0 && len(e.Messages) == 0 &&
		len(e.AIRecords) == 0 && len(e.Media) == 0 && len(e.Notes) == 0 && len(e.Payments) == 0
}

// Export collects everything held about the contact. A contact the store
// knows nothing about gives an empty export, not an error.
func (s *Store) Export(ctx context.Context, contact string) (*Export, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	urn, err := core.NormalizeURN(contact)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	phone, _ := core.URNPhone(urn)
	e := &Export{
		Format: ExportFormat, Generated: s.now().UTC(), URN: urn, Phone: phone,
		Projects: []core.Project{}, Quotes: []core.QuoteRecord{}, Revisions: []core.QuoteRecord{},
		Consents: []core.ConsentRecord{}, OptEvents: []core.OptEvent{}, Messages: []Message{},
		AIRecords: []core.AIRecord{}, Media: []ExportMedia{}, Audit: []core.AuditEntry{}, Notes: []core.Note{},
		Payments: []core.PaymentRecord{}, data: map[string][]byte{},
	}
	err = s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error { return collectExportRecords(tx, ks.in(tx), e, true) })
	})
	if err != nil {
		return nil, fmt.Errorf("export contact %s: %w", short(s.ContactKey(urn)), err)
	}
	return e, nil
}

// collectExportRecords fills e with the records of the contact e.URN, and
// with the media's bytes when withMedia.
func collectExportRecords(tx *bolt.Tx, ks *keyset, e *Export, withMedia bool) error {
	ck := ks.contactKey(e.URN)
	var c core.Contact
	if found, err := ks.getJSON(tx.Bucket(bContacts), string(bContacts), []byte(ck), &c); err != nil {
		return err
	} else if found {
		e.Contact = &c
	}
	var sess core.Session
	if found, err := ks.getJSON(tx.Bucket(bSessions), string(bSessions), []byte(ck), &sess); err != nil {
		return err
	} else if found {
		e.Conversation = &sess
	}
	if err := collectPrefix(tx, ks, bProjects, ck, &e.Projects); err != nil {
		return err
	}
	if err := collectPrefix(tx, ks, bConsents, ck, &e.Consents); err != nil {
		return err
	}
	if err := collectPrefix(tx, ks, bOptEvents, ck, &e.OptEvents); err != nil {
		return err
	}
	if err := collectPrefix(tx, ks, bMessages, ck, &e.Messages); err != nil {
		return err
	}
	if err := collectPrefix(tx, ks, bAI, ck, &e.AIRecords); err != nil {
		return err
	}
	quotes, revs, err := contactQuotes(tx, ks, ck)
	if err != nil {
		return err
	}
	e.Quotes, e.Revisions = append(e.Quotes, quotes...), append(e.Revisions, revs...)
	if err := collectPrefix(tx, ks, bNotes, ck, &e.Notes); err != nil {
		return err
	}
	payments, err := contactPayments(tx, ks, normalize(e.URN))
	if err != nil {
		return err
	}
	e.Payments = append(e.Payments, payments...)
	if withMedia {
		if err := collectMedia(tx, ks, ck, e); err != nil {
			return err
		}
	}
	return collectAudit(tx, ks, e.URN, ck, &e.Audit)
}

// collectPrefix decodes all of a contact's records in a bucket, in key order.
func collectPrefix[T any](tx *bolt.Tx, ks *keyset, bucket []byte, ck string, out *[]T) error {
	return forPrefix(tx.Bucket(bucket), ckPrefix(ck), func(k, v []byte) error {
		var rec T
		if err := ks.decode(string(bucket), k, v, &rec); err != nil {
			return err
		}
		*out = append(*out, rec)
		return nil
	})
}

// contactQuotes returns a contact's quotes and their earlier revisions.
func contactQuotes(tx *bolt.Tx, ks *keyset, ck string) (quotes, revs []core.QuoteRecord, err error) {
	qb, rb := tx.Bucket(bQuotes), tx.Bucket(bQuoteRevs)
	err = forPrefix(tx.Bucket(bQuoteIndex), ckPrefix(ck), func(k, _ []byte) error {
		_, id, _ := splitCK(k)
		var q core.QuoteRecord
		found, err := ks.getJSON(qb, string(bQuotes), []byte(id), &q)
		if err != nil || !found {
			return err
		}
		quotes = append(quotes, q)
		return forPrefix(rb, []byte(id+"/"), func(rk, rv []byte) error {
			var r core.QuoteRecord
			if err := ks.decode(string(bQuoteRevs), rk, rv, &r); err != nil {
				return err
			}
			revs = append(revs, r)
			return nil
		})
	})
	return quotes, revs, err
}

// contactMedia returns the ids of the media the contact owns.
func contactMedia(tx *bolt.Tx, ck string) []string {
	var ids []string
	suffix := "/" + ck
	tx.Bucket(bMediaOwners).ForEach(func(k, _ []byte) error {
		if strings.HasSuffix(string(k), suffix) {
			ids = append(ids, strings.TrimSuffix(string(k), suffix))
		}
		return nil
	})
	return ids
}

func collectMedia(tx *bolt.Tx, ks *keyset, ck string, e *Export) error {
	mb := tx.Bucket(bMedia)
	for _, id := range contactMedia(tx, ck) {
		raw := mb.Get([]byte(id))
		if raw == nil {
			continue
		}
		body, err := ks.open(string(bMedia), []byte(id), raw)
		if err != nil {
			return err
		}
		md, err := decodeMedia(id, body)
		if err != nil {
			return err
		}
		e.Media = append(e.Media, ExportMedia{ID: id, SHA256: id, MIME: md.MIME, Filename: md.Filename, Size: md.Size})
		e.data[id] = md.Data
	}
	return nil
}

// collectAudit returns the audit entries about the contact, by phone
// number or contact key.
func collectAudit(tx *bolt.Tx, ks *keyset, phone, ck string, out *[]core.AuditEntry) error {
	return tx.Bucket(bAudit).ForEach(func(k, v []byte) error {
		var a core.AuditEntry
		if err := ks.decode(string(bAudit), k, v, &a); err != nil {
			return err
		}
		if a.Contact != "" && (a.Contact == ck || normalize(a.Contact) == phone) {
			*out = append(*out, a)
		}
		return nil
	})
}

// JSON returns the export document, indented.
func (e *Export) JSON() ([]byte, error) {
	return json.MarshalIndent(e, "", "  ")
}

// ExportJSON returns the contact's export document and a file name for it,
// for an export sent in the chat (photos are listed, not included).
func (s *Store) ExportJSON(ctx context.Context, contact string) ([]byte, string, error) {
	e, err := s.Export(ctx, contact)
	if err != nil {
		return nil, "", err
	}
	data, err := e.JSON()
	if err != nil {
		return nil, "", fmt.Errorf("export: %w", err)
	}
	return data, "allmyleads-export-" + e.Generated.Format("2006-01-02") + ".json", nil
}

// WriteExport writes the export document to jsonPath (mode 0600) and the
// contact's photos and files beside it, in the folder jsonPath without its
// extension plus "-media" (mode 0700); each media entry's File is set to its
// path relative to the JSON file. It returns the paths written.
func (e *Export) WriteExport(jsonPath string) ([]string, error) {
	dir := filepath.Dir(jsonPath)
	stem := strings.TrimSuffix(filepath.Base(jsonPath), filepath.Ext(jsonPath))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("write export: %w", err)
	}
	var written []string
	if len(e.Media) > 0 {
		mediaDir := stem + "-media"
		if err := os.MkdirAll(filepath.Join(dir, mediaDir), 0o700); err != nil {
			return nil, fmt.Errorf("write export: %w", err)
		}
		for i := range e.Media {
			m := &e.Media[i]
			rel := filepath.Join(mediaDir, m.ID[:16]+extension(m.MIME, m.Filename))
			if err := os.WriteFile(filepath.Join(dir, rel), e.data[m.ID], 0o600); err != nil {
				return nil, fmt.Errorf("write export: %w", err)
			}
			m.File = filepath.ToSlash(rel)
			written = append(written, filepath.Join(dir, rel))
		}
	}
	data, err := e.JSON()
	if err != nil {
		return nil, fmt.Errorf("write export: %w", err)
	}
	if err := os.WriteFile(jsonPath, append(data, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("write export: %w", err)
	}
	sort.Strings(written)
	return append([]string{jsonPath}, written...), nil
}

// extension picks a file extension for a media file.
func extension(mimeType, filename string) string {
	if ext := filepath.Ext(filename); ext != "" && len(ext) <= 6 {
		return strings.ToLower(ext)
	}
	switch mimeType {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "application/pdf":
		return ".pdf"
	case "application/json":
		return ".json"
	}
	if exts, _ := mime.ExtensionsByType(mimeType); len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}

//go:embed export.schema.json
var exportSchema []byte

// ExportSchema returns the JSON Schema of the export document.
func ExportSchema() []byte { return append([]byte(nil), exportSchema...) }
