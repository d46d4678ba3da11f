package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// Policy is how long each kind of record is kept (section 7 of the privacy
// policy), the contract's RetentionPolicy. A zero duration keeps that kind
// for ever.
type Policy = core.RetentionPolicy

// DefaultPolicy is the privacy policy's retention.
func DefaultPolicy() Policy { return model.DefaultPolicy() }

// RetentionReport counts what a retention run deleted, or would delete in
// a dry run, per category.
type RetentionReport = core.RetentionReport

// errDryRun rolls back a dry run's transaction.
var errDryRun = errors.New("dry run")

// RunRetention deletes what is past its retention at now, or with dryRun
// only counts it: the same code runs, in a transaction that is rolled back.
// A real run records an audit entry with the counts.
func (s *Store) RunRetention(ctx context.Context, p Policy, now time.Time, dryRun bool, actor string) (RetentionReport, error) {
	var rep RetentionReport
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	// Retention destroys data keys (shredUpdate): it runs alone.
	err := s.exclusive(func() error {
		return s.shredUpdate(func(tx *bolt.Tx, ks *keyset) error {
			rep = RetentionReport{DryRun: dryRun, Now: now}
			if err := retentionTx(tx, ks, p, now, &rep); err != nil {
				return err
			}
			if dryRun {
				return errDryRun
			}
			ks.shred.transient = true
			return appendAudit(tx, ks, core.AuditEntry{Time: now, Actor: actor, Action: "retention", Detail: rep.String()})
		})
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return RetentionReport{}, fmt.Errorf("retention: %w", err)
	}
	if !dryRun {
		s.log.Info("retention run", "messages", rep.Messages, "ai_records", rep.AI, "projects", rep.Projects, "payments", rep.Payments, "contacts", rep.Contacts)
	}
	return rep, nil
}

func retentionTx(tx *bolt.Tx, ks *keyset, p Policy, now time.Time, rep *RetentionReport) error {
	touched := map[string]bool{} // contacts that lost records
	if p.Communications > 0 {
		cut := now.Add(-p.Communications)
		if err := expireMessages(tx, ks, cut, touched, rep); err != nil {
			return err
		}
		if err := expireSeen(tx, ks, cut, rep); err != nil {
			return err
		}
	}
	if p.AIRecords > 0 {
		n, err := expireTimed(tx, bAI, now.Add(-p.AIRecords), touched)
		if err != nil {
			return err
		}
		rep.AI = n
	}
	if err := expireProjectsAndQuotes(tx, ks, p, now, touched, rep); err != nil {
		return err
	}
	for ck := range touched {
		if err := tidyContact(tx, ks, ck, p, now, rep); err != nil {
			return err
		}
	}
	if err := expirePayments(tx, ks, p, now, rep); err != nil {
		return err
	}
	return shredMonths(tx, ks, p, now)
}

// shredMonths destroys the data keys of the months of messages and AI
// records that are wholly past their retention: what retention deleted
// of them, and any copy in a free page, opens no more.
func shredMonths(tx *bolt.Tx, ks *keyset, p Policy, now time.Time) error {
	var doomed []string
	err := tx.Bucket(ks.dkb).ForEach(func(k, _ []byte) error {
		subject := string(k)
		if len(subject) != 1+ckLen+3+7 || subject[0] != 'c' {
			return nil
		}
		var keep time.Duration
		switch subject[1+ckLen : 1+ckLen+3] {
		case "/m/":
			keep = p.Communications
		case "/a/":
			keep = p.AIRecords
		default:
			return nil
		}
		month, err := time.Parse("2006-01", subject[1+ckLen+3:])
		if err != nil || keep == 0 {
			return nil
		}
		if !month.AddDate(0, 1, 0).After(now.Add(-keep)) {
			doomed = append(doomed, subject)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, subject := range doomed {
		if err := ks.destroy(subject); err != nil {
			return err
		}
	}
	return nil
}

// expireTimed deletes the records of a ck/time/seq bucket older than cut.
func expireTimed(tx *bolt.Tx, bucket []byte, cut time.Time, touched map[string]bool) (int, error) {
	b := tx.Bucket(bucket)
	var doomed [][]byte
	b.ForEach(func(k, _ []byte) error {
		if at, ok := timeOf(k); ok && at.Before(cut) {
			doomed = append(doomed, bytes.Clone(k))
			if ck, _, ok := splitCK(k); ok {
				touched[ck] = true
			}
		}
		return nil
	})
	return len(doomed), deleteKeys(b, doomed)
}

// expireMessages deletes messages older than cut and their provider ids.
func expireMessages(tx *bolt.Tx, ks *keyset, cut time.Time, touched map[string]bool, rep *RetentionReport) error {
	mb, pb := tx.Bucket(bMessages), tx.Bucket(bProvider)
	var doomed [][]byte
	err := mb.ForEach(func(k, v []byte) error {
		at, ok := timeOf(k)
		if !ok || !at.Before(cut) {
			return nil
		}
		var m Message
		if err := ks.decode(string(bMessages), k, v, &m); err != nil {
			return err
		}
		if m.ProviderID != "" {
			if err := pb.Delete(ks.providerKey(m.ProviderID)); err != nil {
				return err
			}
		}
		doomed = append(doomed, bytes.Clone(k))
		if ck, _, ok := splitCK(k); ok {
			touched[ck] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	rep.Messages = len(doomed)
	return deleteKeys(mb, doomed)
}

// expireSeen forgets inbound ids handled before cut.
func expireSeen(tx *bolt.Tx, ks *keyset, cut time.Time, rep *RetentionReport) error {
	b := tx.Bucket(bSeen)
	var doomed [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var r seenRecord
		if err := ks.decode(string(bSeen), k, v, &r); err != nil {
			return err
		}
		if r.Time.Before(cut) {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	rep.SeenIDs = len(doomed)
	return deleteKeys(b, doomed)
}

// expireProjectsAndQuotes deletes projects past their retention with their
// unpaid quotes, paid quotes past the payment retention, and unpaid quotes
// of no project that are past the project retention.
func expireProjectsAndQuotes(tx *bolt.Tx, ks *keyset, p Policy, now time.Time, touched map[string]bool, rep *RetentionReport) error {
	gone := map[string]bool{} // expired project ids
	if p.Projects > 0 {
		cut := now.Add(-p.Projects)
		pb := tx.Bucket(bProjects)
		var doomed [][]byte
		err := pb.ForEach(func(k, v []byte) error {
			var pr core.Project
			if err := ks.decode(string(bProjects), k, v, &pr); err != nil {
				return err
			}
			if model.ProjectEnd(&pr).Before(cut) {
				doomed = append(doomed, bytes.Clone(k))
				gone[pr.ID] = true
				if ck, _, ok := splitCK(k); ok {
					touched[ck] = true
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		rep.Projects = len(doomed)
		if err := deleteKeys(pb, doomed); err != nil {
			return err
		}
	}
	qb := tx.Bucket(bQuotes)
	var doomed []core.QuoteRecord
	err := qb.ForEach(func(k, v []byte) error {
		var q core.QuoteRecord
		if err := ks.decode(string(bQuotes), k, v, &q); err != nil {
			return err
		}
		switch {
		case model.IsPaid(&q):
			if p.Payments > 0 && model.PaidAt(&q).Before(now.Add(-p.Payments)) {
				rep.Payments++
				doomed = append(doomed, q)
			}
		case gone[q.ProjectID]:
			rep.Quotes++
			doomed = append(doomed, q)
		case q.ProjectID == "" && p.Projects > 0 && q.Updated.Before(now.Add(-p.Projects)):
			rep.Quotes++
			doomed = append(doomed, q)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, q := range doomed {
		if err := deleteQuote(tx, ks, q, touched); err != nil {
			return err
		}
	}
	return nil
}

// deleteQuote deletes a quote, its revisions and its index entry.
func deleteQuote(tx *bolt.Tx, ks *keyset, q core.QuoteRecord, touched map[string]bool) error {
	if err := tx.Bucket(bQuotes).Delete([]byte(q.ID)); err != nil {
		return err
	}
	rb := tx.Bucket(bQuoteRevs)
	if err := deleteKeys(rb, keysWithPrefix(rb, []byte(q.ID+"/"))); err != nil {
		return err
	}
	if q.Contact == "" {
		return nil // depersonalised after an erasure: no index entry
	}
	ck := ks.contactKey(q.Contact)
	touched[ck] = true
	return tx.Bucket(bQuoteIndex).Delete(ckKey(ck, q.ID))
}

// tidyContact drops media nothing kept refers to any more, and removes a
// contact that has nothing left (no messages, projects or quotes) and has
// been quiet for the communications retention, with its conversation,
// consents and opt events.
func tidyContact(tx *bolt.Tx, ks *keyset, ck string, p Policy, now time.Time, rep *RetentionReport) error {
	refs, err := mediaRefs(tx, ks, ck)
	if err != nil {
		return err
	}
	n, err := dropOwners(tx, ks, ck, refs)
	if err != nil {
		return err
	}
	rep.Media += n
	prefix := ckPrefix(ck)
	for _, b := range [][]byte{bMessages, bProjects, bQuoteIndex} {
		if k, _ := tx.Bucket(b).Cursor().Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
			return nil
		}
	}
	var c core.Contact
	if _, err := ks.getJSON(tx.Bucket(bContacts), string(bContacts), []byte(ck), &c); err != nil {
		return err
	}
	var li lastInbound
	if _, err := ks.getJSON(tx.Bucket(bLastIn), string(bLastIn), []byte(ck), &li); err != nil {
		return err
	}
	last := c.Updated
	if li.Time.After(last) {
		last = li.Time
	}
	if p.Communications == 0 || !last.Before(now.Add(-p.Communications)) {
		return nil
	}
	found, err := deleteKey(tx.Bucket(bContacts), []byte(ck))
	if err != nil {
		return err
	}
	if found {
		rep.Contacts++
	}
	for _, b := range [][]byte{bSessions, bLastIn} {
		if _, err := deleteKey(tx.Bucket(b), []byte(ck)); err != nil {
			return err
		}
	}
	if _, err := dropTimers(tx, ck); err != nil {
		return err
	}
	for _, b := range [][]byte{bConsents, bOptEvents, bAI, bNotes, bOnce} {
		if err := deleteKeys(tx.Bucket(b), keysWithPrefix(tx.Bucket(b), prefix)); err != nil {
			return err
		}
	}
	urn := c.URN
	if r, err := getLead(tx, ks, ck); err != nil {
		return err
	} else if urn == "" && r != nil {
		urn = r.Contact
	}
	if urn != "" {
		// What stays of the contact (payments, the audit log) stays without
		// it, and a message queued years ago is not sent any more: its
		// data keys go below.
		if err := eraseOutbox(tx, ks, normalize(urn), &EraseReport{}); err != nil {
			return err
		}
		if err := depersonalisePayments(tx, ks, normalize(urn)); err != nil {
			return err
		}
		if err := pseudonymiseAudit(tx, ks, normalize(urn), ck); err != nil {
			return err
		}
	}
	if err := dropLead(tx, ks, ck); err != nil {
		return err
	}
	if err := dropLeadNote(tx, ck); err != nil {
		return err
	}
	if err := eraseFunnelMarks(tx, ck); err != nil {
		return err
	}
	n, err = dropOwners(tx, ks, ck, nil)
	rep.Media += n
	if err != nil || urn == "" {
		return err
	}
	_, err = ks.destroyPrefix("c" + ck)
	return err
}

// mediaRefs returns the media ids the contact's remaining messages,
// projects and conversation refer to.
func mediaRefs(tx *bolt.Tx, ks *keyset, ck string) (map[string]bool, error) {
	owned := contactMedia(tx, ck)
	if len(owned) == 0 {
		return map[string]bool{}, nil
	}
	var msgs []Message
	if err := collectPrefix(tx, ks, bMessages, ck, &msgs); err != nil {
		return nil, err
	}
	var projects []core.Project
	if err := collectPrefix(tx, ks, bProjects, ck, &projects); err != nil {
		return nil, err
	}
	var session []byte
	if raw := tx.Bucket(bSessions).Get([]byte(ck)); raw != nil {
		body, err := ks.open(string(bSessions), []byte(ck), raw)
		if err != nil {
			return nil, err
		}
		session = body
	}
	return model.MediaRefs(msgs, projects, session, owned), nil
}
