package model

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

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
	Messages     []core.MessageRecord `json:"messages"`
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

// NewExport returns an empty export document about the contact urn (a
// normalised URN), generated at generated, with every list present.
func NewExport(urn string, generated time.Time) *Export {
	phone, _ := core.URNPhone(urn)
	return &Export{
		Format: ExportFormat, Generated: generated, URN: urn, Phone: phone,
		Projects: []core.Project{}, Quotes: []core.QuoteRecord{}, Revisions: []core.QuoteRecord{},
		Consents: []core.ConsentRecord{}, OptEvents: []core.OptEvent{}, Messages: []core.MessageRecord{},
		AIRecords: []core.AIRecord{}, Media: []ExportMedia{}, Audit: []core.AuditEntry{}, Notes: []core.Note{},
		Payments: []core.PaymentRecord{}, data: map[string][]byte{},
	}
}

// AddMedia lists a stored file of the contact, with its bytes for
// WriteExport (nil when the export is only shown).
func (e *Export) AddMedia(md *core.Media) {
	e.Media = append(e.Media, ExportMedia{ID: md.ID, SHA256: md.ID, MIME: md.MIME, Filename: md.Filename, Size: md.Size})
	if md.Data != nil {
		if e.data == nil {
			e.data = map[string][]byte{}
		}
		e.data[md.ID] = md.Data
	}
}

// Empty says whether nothing at all is held about the contact.
func (e *Export) Empty() bool {
	return e.Contact == nil && e.Conversation == nil && len(e.Projects) == 0 && len(e.Quotes) == 0 &&
		len(e.Revisions) == 0 && len(e.Consents) == 0 && len(e.OptEvents) == 0 && len(e.Messages) == 0 &&
		len(e.AIRecords) == 0 && len(e.Media) == 0 && len(e.Notes) == 0 && len(e.Payments) == 0
}

// JSON returns the export document, indented.
func (e *Export) JSON() ([]byte, error) {
	return json.MarshalIndent(e, "", "  ")
}

// ExportFileName is the file name of an export sent in the chat.
func (e *Export) ExportFileName() string {
	return "allmyleads-export-" + e.Generated.Format("2006-01-02") + ".json"
}

// Detail is everything the lead page shows, from the export's records:
// quotes newest first.
func (e *Export) Detail(row core.LeadRow) *core.LeadDetail {
	sort.SliceStable(e.Quotes, func(i, j int) bool { return e.Quotes[i].Updated.After(e.Quotes[j].Updated) })
	return &core.LeadDetail{
		Lead: row, Contact: e.Contact, Session: e.Conversation, Projects: e.Projects, Messages: e.Messages,
		Quotes: e.Quotes, Revisions: e.Revisions, Consents: e.Consents, OptEvents: e.OptEvents,
		AI: e.AIRecords, Notes: e.Notes, Audit: e.Audit,
	}
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
