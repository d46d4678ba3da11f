package store

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// ExportFormat names the export document's format and version.
const ExportFormat = model.ExportFormat

// Export is everything held about one contact (model.Export).
type Export = model.Export

// ExportMedia describes one stored photo or file of the contact.
type ExportMedia = model.ExportMedia

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
	e := model.NewExport(urn, s.now().UTC())
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
		md, err := model.DecodeMedia(id, body)
		if err != nil {
			return err
		}
		e.AddMedia(md)
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
	return data, e.ExportFileName(), nil
}

// ExportSchema returns the JSON Schema of the export document.
func ExportSchema() []byte { return model.ExportSchema() }
