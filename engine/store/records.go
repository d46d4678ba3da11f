package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// Lead is a contact as the business's pipeline shows it (model.Lead).
type Lead = model.Lead

// QuoteSummary is the part of a quote a lead list shows.
type QuoteSummary = model.QuoteSummary

// LeadFilter selects leads: by contact status, and created on or after Since.
type LeadFilter = model.LeadFilter

// Leads returns the contacts that match, most recently active first.
func (s *Store) Leads(ctx context.Context, f LeadFilter) ([]Lead, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	leads := []Lead{}
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			return tx.Bucket(bContacts).ForEach(func(k, v []byte) error {
				var c core.Contact
				if err := ks.decode(string(bContacts), k, v, &c); err != nil {
					return err
				}
				if f.Status != "" && !strings.EqualFold(c.Status, f.Status) {
					return nil
				}
				if !f.Since.IsZero() && c.Created.Before(f.Since) {
					return nil
				}
				lead, err := leadOf(tx, ks, string(k), c)
				if err != nil {
					return err
				}
				leads = append(leads, lead)
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list leads: %w", err)
	}
	sort.SliceStable(leads, func(i, j int) bool { return leads[i].Updated.After(leads[j].Updated) })
	return leads, nil
}

// leadOf adds the latest project and quote to a contact.
func leadOf(tx *bolt.Tx, ks *keyset, ck string, c core.Contact) (Lead, error) {
	lead := Lead{Contact: c}
	var projects []core.Project
	if err := collectPrefix(tx, ks, bProjects, ck, &projects); err != nil {
		return lead, err
	}
	for i := range projects {
		if lead.Project == nil || projects[i].Updated.After(lead.Project.Updated) {
			lead.Project = &projects[i]
		}
	}
	quotes, _, err := contactQuotes(tx, ks, ck)
	if err != nil {
		return lead, err
	}
	for _, q := range quotes {
		if lead.Quote == nil || q.Updated.After(lead.Quote.Updated) {
			lead.Quote = &QuoteSummary{ID: q.ID, Status: q.Status, Currency: q.Currency, Total: q.Total, Revision: q.Revision, Updated: q.Updated}
		}
	}
	return lead, nil
}

// QuoteFilter selects quotes: by status, contact, and created on or after Since.
type QuoteFilter = model.QuoteFilter

// Quotes returns the matching quotes, newest first.
func (s *Store) Quotes(ctx context.Context, f QuoteFilter) ([]core.QuoteRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var contact string
	if f.Contact != "" {
		p, err := core.NormalizeURN(f.Contact)
		if err != nil {
			return nil, fmt.Errorf("list quotes: %w", err)
		}
		contact = p
	}
	quotes := []core.QuoteRecord{}
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			keep := func(q core.QuoteRecord) {
				if f.Status != "" && !strings.EqualFold(q.Status, f.Status) {
					return
				}
				if !f.Since.IsZero() && q.Created.Before(f.Since) {
					return
				}
				quotes = append(quotes, q)
			}
			if contact != "" {
				qs, _, err := contactQuotes(tx, ks, ks.contactKey(contact))
				for _, q := range qs {
					keep(q)
				}
				return err
			}
			return tx.Bucket(bQuotes).ForEach(func(k, v []byte) error {
				var q core.QuoteRecord
				if err := ks.decode(string(bQuotes), k, v, &q); err != nil {
					return err
				}
				keep(q)
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list quotes: %w", err)
	}
	sort.SliceStable(quotes, func(i, j int) bool { return quotes[i].Created.After(quotes[j].Created) })
	return quotes, nil
}

// ErrQuoteState is returned by MarkPaid for a quote that cannot be paid in
// its status.
var ErrQuoteState = model.ErrQuoteState

// MarkPaid records the payment provider's reference on a quote: status
// "paid", with the time. Draft and declined quotes cannot be paid; marking
// a paid quote again with the same reference changes nothing.
func (s *Store) MarkPaid(ctx context.Context, quoteID, ref, actor string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return fmt.Errorf("mark paid %s: empty payment reference", quoteID)
	}
	now := s.now()
	err := s.withKeys(func(ks *keyset) error {
		return s.db.Update(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			b := tx.Bucket(bQuotes)
			var q core.QuoteRecord
			found, err := ks.getJSON(b, string(bQuotes), []byte(quoteID), &q)
			if err != nil {
				return err
			}
			if !found {
				return core.ErrNotFound
			}
			if changed, err := model.MarkPaid(&q, ref, now); err != nil || !changed {
				return err
			}
			if err := ks.putJSON(b, string(bQuotes), []byte(quoteID), q); err != nil {
				return err
			}
			ck := ""
			if q.Contact != "" {
				ck = ks.contactKey(q.Contact)
				if err := refreshLead(tx, ks, ck, normalize(q.Contact), model.LeadInputs{Activity: now, Now: now, Quote: &q}); err != nil {
					return err
				}
			}
			return appendAudit(tx, ks, core.AuditEntry{Time: now, Actor: actor, Action: "mark_paid", Contact: ck, Detail: "quote " + quoteID})
		})
	})
	if err != nil {
		return fmt.Errorf("mark paid %s: %w", quoteID, err)
	}
	return nil
}
