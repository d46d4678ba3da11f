package store

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// Audit appends an entry to the audit log (time defaults to now).
func (s *Store) Audit(ctx context.Context, a core.AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if a.Time.IsZero() {
		a.Time = s.now()
	}
	err := s.withKeys(func(ks *keyset) error {
		return s.db.Update(func(tx *bolt.Tx) error { return appendAudit(tx, ks.in(tx), a) })
	})
	if err != nil {
		return fmt.Errorf("audit %s: %w", a.Action, err)
	}
	return nil
}

// AuditLog returns the audit entries from since on, oldest first.
func (s *Store) AuditLog(ctx context.Context, since time.Time) ([]core.AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []core.AuditEntry
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			c := tx.Bucket(bAudit).Cursor()
			for k, v := c.Seek([]byte(timeSeq(since, 0))); k != nil; k, v = c.Next() {
				var a core.AuditEntry
				if err := ks.decode(string(bAudit), k, v, &a); err != nil {
					return err
				}
				out = append(out, a)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// EraseReport says what an erasure removed (model.EraseReport).
type EraseReport = model.EraseReport

// Erase removes the contact's personal data: contact record, conversation,
// projects, quotes, consents, opt events, messages (also those still queued
// to be sent, and the raw webhook payloads still waiting in the inbox),
// photos and files, AI records. Quotes with a payment stay, because the law
// requires keeping payment records, with their personal fields removed.
// Seen message ids stay, as bare ids, so a late redelivery is still ignored.
// Audit entries keep the contact key only; the erasure itself is audited.
// Commit of a turn with Erase set runs the same erasure in the turn's
// transaction.
func (s *Store) Erase(ctx context.Context, contact, actor string) (EraseReport, error) {
	var rep EraseReport
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	urn, err := core.NormalizeURN(contact)
	if err != nil {
		return rep, fmt.Errorf("erase: %w", err)
	}
	s.leads.forget() // nothing of the contact stays in memory
	now := s.now()
	err = s.exclusive(func() error {
		return s.shredUpdate(func(tx *bolt.Tx, ks *keyset) error {
			var err error
			rep, err = eraseContact(tx, ks, urn, actor, now)
			return err
		})
	})
	if err != nil {
		return EraseReport{}, fmt.Errorf("erase: %w", err)
	}
	s.log.Info("contact erased", "contact", short(rep.ContactKey), "actor", actor)
	return rep, nil
}

// eraseContact is an erasure within an exclusive write transaction
// (shredUpdate), shared by Erase and by Commit of a turn with Erase set: it
// removes the contact's personal data (contact is its URN), destroys the
// contact's data keys and those of the photos nobody else owns, and
// appends the audit entry, by actor at now, that names the contact by its
// key only.
func eraseContact(tx *bolt.Tx, ks *keyset, contact, actor string, now time.Time) (EraseReport, error) {
	var rep EraseReport
	if err := eraseTx(tx, ks, contact, &rep); err != nil {
		return EraseReport{}, err
	}
	err := appendAudit(tx, ks, core.AuditEntry{Time: now, Actor: actor, Action: "erase", Contact: rep.ContactKey, Detail: rep.String()})
	if err != nil {
		return EraseReport{}, err
	}
	return rep, nil
}

// eraseTx removes the contact's personal data and counts it in rep.
func eraseTx(tx *bolt.Tx, ks *keyset, contact string, rep *EraseReport) error {
	ck := ks.contactKey(contact)
	rep.ContactKey = ck
	var err error
	if rep.Contact, err = deleteKey(tx.Bucket(bContacts), []byte(ck)); err != nil {
		return err
	}
	if rep.Session, err = deleteKey(tx.Bucket(bSessions), []byte(ck)); err != nil {
		return err
	}
	if _, err := dropTimers(tx, ck); err != nil {
		return err
	}
	if _, err := deleteKey(tx.Bucket(bLastIn), []byte(ck)); err != nil {
		return err
	}
	if err := deleteKeys(tx.Bucket(bOnce), keysWithPrefix(tx.Bucket(bOnce), ckPrefix(ck))); err != nil {
		return err
	}
	if err := dropLeadNote(tx, ck); err != nil {
		return err
	}
	for _, d := range []struct {
		bucket []byte
		n      *int
	}{{bProjects, &rep.Projects}, {bConsents, &rep.Consents}, {bOptEvents, &rep.OptEvents}, {bAI, &rep.AIRecords}} {
		keys := keysWithPrefix(tx.Bucket(d.bucket), ckPrefix(ck))
		*d.n = len(keys)
		if err := deleteKeys(tx.Bucket(d.bucket), keys); err != nil {
			return err
		}
	}
	if err := eraseMessages(tx, ks, ck, rep); err != nil {
		return err
	}
	if err := eraseOutbox(tx, ks, contact, rep); err != nil {
		return err
	}
	if err := eraseInbox(tx, ks, contact, rep); err != nil {
		return err
	}
	if err := eraseQuotes(tx, ks, ck, rep); err != nil {
		return err
	}
	n, err := dropOwners(tx, ks, ck, nil)
	if err != nil {
		return err
	}
	rep.Media = n
	if err := deleteKeys(tx.Bucket(bNotes), keysWithPrefix(tx.Bucket(bNotes), ckPrefix(ck))); err != nil {
		return err
	}
	if err := eraseFunnelMarks(tx, ck); err != nil {
		return err
	}
	if err := dropLead(tx, ks, ck); err != nil {
		return err
	}
	if err := depersonalisePayments(tx, ks, contact); err != nil {
		return err
	}
	if err := pseudonymiseAudit(tx, ks, contact, ck); err != nil {
		return err
	}
	// Last, the keys: every copy of what was sealed under them, in free
	// pages too, opens no more once the transaction commits.
	if _, err := ks.destroyPrefix("c" + ck); err != nil {
		return err
	}
	ks.shred.transient = true // the payloads that passed through, with the contact's words
	return nil
}

// deleteKey deletes one key and says whether it was there.
func deleteKey(b *bolt.Bucket, key []byte) (bool, error) {
	if b.Get(key) == nil {
		return false, nil
	}
	return true, b.Delete(key)
}

// eraseMessages deletes a contact's messages and their provider id entries.
func eraseMessages(tx *bolt.Tx, ks *keyset, ck string, rep *EraseReport) error {
	mb, pb := tx.Bucket(bMessages), tx.Bucket(bProvider)
	keys := keysWithPrefix(mb, ckPrefix(ck))
	for _, k := range keys {
		var m Message
		if err := ks.decode(string(bMessages), k, mb.Get(k), &m); err != nil {
			return err
		}
		if m.ProviderID != "" {
			if err := pb.Delete(ks.providerKey(m.ProviderID)); err != nil {
				return err
			}
		}
	}
	rep.Messages = len(keys)
	return deleteKeys(mb, keys)
}

// eraseOutbox deletes the contact's messages still waiting to be sent.
func eraseOutbox(tx *bolt.Tx, ks *keyset, contact string, rep *EraseReport) error {
	ob := tx.Bucket(bOutbox)
	for _, ch := range outboxChannels(ob, "") {
		b := ob.Bucket([]byte(ch))
		var doomed [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var rec outboxRecord
			if err := ks.decode(outboxName(ch), k, v, &rec); err != nil {
				return err
			}
			if normalize(rec.Contact) == contact || (rec.About != "" && rec.About == ks.contactKey(contact)) {
				doomed = append(doomed, append([]byte(nil), k...)) // a notice about them too
			}
			return nil
		})
		if err != nil {
			return err
		}
		rep.Outbox += len(doomed)
		if err := deleteKeys(b, doomed); err != nil {
			return err
		}
	}
	return nil
}

// eraseInbox removes the contact from the raw webhook payloads not yet
// processed. The store does not know any channel's format, so it works on
// the JSON alone: a payload mentions the contact when a string in it is the
// URN's path (a phone number's digits as in WhatsApp's wa_id, from and
// recipient_id, or a business-scoped user id as in from_user_id) or a phone
// number's E.164 form. The array element holding each mention (a message, a status, a
// contact card) is cut out, so the other customers' messages of a batched
// payload are still processed (a payload about the contact alone is left
// as an envelope with nothing in it, which the worker then drops); a
// payload whose mention is not inside an array, or that is not JSON but
// holds the digits, is removed whole. The
// inbox holds only payloads in flight, so this reads few records.
//
// A payload a worker has already read goes on to be processed from the
// worker's copy: a message that arrives during the erasure can bring the
// contact back, as one arriving after it does.
func eraseInbox(tx *bolt.Tx, ks *keyset, contact string, rep *EraseReport) error {
	b := tx.Bucket(bInbox)
	type change struct {
		k    []byte
		body []byte // nil: delete
		rec  inboxRecord
	}
	var changes []change
	err := b.ForEach(func(k, v []byte) error {
		var rec inboxRecord
		if err := ks.decode(string(bInbox), k, v, &rec); err != nil {
			return err
		}
		body, changed := model.EraseFromPayload(rec.Body, contact)
		if changed {
			changes = append(changes, change{bytes.Clone(k), body, rec})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changes {
		if c.body == nil {
			err = b.Delete(c.k)
		} else {
			c.rec.Body = c.body
			err = ks.putJSON(b, string(bInbox), c.k, c.rec)
		}
		if err != nil {
			return err
		}
	}
	rep.Inbox += len(changes)
	return nil
}

// eraseQuotes deletes the contact's quotes, except paid ones, which stay
// (with their revisions) without personal fields.
func eraseQuotes(tx *bolt.Tx, ks *keyset, ck string, rep *EraseReport) error {
	idx, qb, rb := tx.Bucket(bQuoteIndex), tx.Bucket(bQuotes), tx.Bucket(bQuoteRevs)
	ikeys := keysWithPrefix(idx, ckPrefix(ck))
	for _, ik := range ikeys {
		_, id, _ := splitCK(ik)
		var q core.QuoteRecord
		found, err := ks.getJSON(qb, string(bQuotes), []byte(id), &q)
		if err != nil {
			return err
		}
		revKeys := keysWithPrefix(rb, []byte(id+"/"))
		if found && model.IsPaid(&q) {
			rep.KeptPayments++
			if err := ks.putJSON(qb, string(bQuotes), []byte(id), model.Depersonalise(q)); err != nil {
				return err
			}
			for _, rk := range revKeys {
				var r core.QuoteRecord
				if err := ks.decode(string(bQuoteRevs), rk, rb.Get(rk), &r); err != nil {
					return err
				}
				if err := ks.putJSON(rb, string(bQuoteRevs), rk, model.Depersonalise(r)); err != nil {
					return err
				}
			}
			continue
		}
		if found {
			rep.Quotes++
			if err := qb.Delete([]byte(id)); err != nil {
				return err
			}
		}
		if err := deleteKeys(rb, revKeys); err != nil {
			return err
		}
	}
	return deleteKeys(idx, ikeys)
}

// dropOwners removes the contact's ownership of media, except the ids in
// keep, and deletes media nobody owns any more. It returns how many of the
// contact's media it dropped.
func dropOwners(tx *bolt.Tx, ks *keyset, ck string, keep map[string]bool) (int, error) {
	owners, mb := tx.Bucket(bMediaOwners), tx.Bucket(bMedia)
	n := 0
	for _, id := range contactMedia(tx, ck) {
		if keep[id] {
			continue
		}
		n++
		if err := owners.Delete([]byte(id + "/" + ck)); err != nil {
			return n, err
		}
		if len(keysWithPrefix(owners, []byte(id+"/"))) == 0 {
			if err := mb.Delete([]byte(id)); err != nil {
				return n, err
			}
			if err := ks.destroy("m" + id); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// pseudonymiseAudit replaces the phone number with the contact key in
// audit entries about the contact.
func pseudonymiseAudit(tx *bolt.Tx, ks *keyset, contact, ck string) error {
	b := tx.Bucket(bAudit)
	type change struct {
		k []byte
		a core.AuditEntry
	}
	var changes []change
	err := b.ForEach(func(k, v []byte) error {
		var a core.AuditEntry
		if err := ks.decode(string(bAudit), k, v, &a); err != nil {
			return err
		}
		if a.Contact != "" && a.Contact != ck && normalize(a.Contact) == contact {
			a.Contact = ck
			changes = append(changes, change{append([]byte(nil), k...), a})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changes {
		if err := ks.putJSON(b, string(bAudit), c.k, c.a); err != nil {
			return err
		}
	}
	return nil
}

// CorrectableFields returns the paths Correct accepts.
func CorrectableFields() []string { return model.CorrectableFields() }

// ErrInvalidValue is returned by Correct for a value that fails validation.
var ErrInvalidValue = model.ErrInvalidValue

// CheckCorrection validates a corrected value for a field and returns it
// cleaned (trimmed; a phone number in E.164).
func CheckCorrection(path, value string) (string, error) { return model.CheckCorrection(path, value) }

// Correct changes one field of what is held about the contact, in the
// contact record and in the conversation's variables alike, and audits it
// (the field, not the value). Callers that know a flow's own rule for the
// field check it first; Correct applies CheckCorrection.
func (s *Store) Correct(ctx context.Context, contact, path, value, actor string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	urn, err := core.NormalizeURN(contact)
	if err != nil {
		return fmt.Errorf("correct: %w", err)
	}
	value, err = CheckCorrection(path, value)
	if err != nil {
		return fmt.Errorf("correct: %w", err)
	}
	now := s.now()
	err = s.withKeys(func(ks *keyset) error {
		return s.db.Update(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			ck := ks.contactKey(urn)
			changedContact, err := correctContact(tx, ks, ck, path, value, now)
			if err != nil {
				return err
			}
			changedSession, err := updateSession(tx, ks, ck, func(sess *core.Session) {
				model.CorrectSession(sess, path, value, now)
			})
			if err != nil {
				return err
			}
			if !changedContact && !changedSession {
				return core.ErrNotFound
			}
			if err := refreshLead(tx, ks, ck, urn, model.LeadInputs{Activity: now, Now: now}); err != nil {
				return err
			}
			return appendAudit(tx, ks, core.AuditEntry{Time: now, Actor: actor, Action: "correct", Contact: ck, Detail: path})
		})
	})
	if err != nil {
		return fmt.Errorf("correct %s: %w", path, err)
	}
	return nil
}

// correctContact applies a correction to the contact record.
func correctContact(tx *bolt.Tx, ks *keyset, ck, path, value string, now time.Time) (bool, error) {
	b := tx.Bucket(bContacts)
	var c core.Contact
	found, err := ks.getJSON(b, string(bContacts), []byte(ck), &c)
	if err != nil || !found {
		return false, err
	}
	model.CorrectContact(&c, path, value, now)
	return true, ks.putJSON(b, string(bContacts), []byte(ck), c)
}

// updateSession applies fn to the contact's session, if there is one.
func updateSession(tx *bolt.Tx, ks *keyset, ck string, fn func(*core.Session)) (bool, error) {
	b := tx.Bucket(bSessions)
	var sess core.Session
	found, err := ks.getJSON(b, string(bSessions), []byte(ck), &sess)
	if err != nil || !found {
		return false, err
	}
	if sess.Vars == nil {
		sess.Vars = map[string]any{}
	}
	fn(&sess)
	return true, ks.putJSON(b, string(bSessions), []byte(ck), sess)
}

// WithdrawConsent records the withdrawal of the contact's granted consents
// for purpose ("" for every purpose) and stops the conversation, since
// processing based on that consent stops. It returns core.ErrNotFound
// when no granted, unwithdrawn consent matches.
func (s *Store) WithdrawConsent(ctx context.Context, contact, purpose, actor string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	urn, err := core.NormalizeURN(contact)
	if err != nil {
		return fmt.Errorf("withdraw consent: %w", err)
	}
	now := s.now()
	err = s.withKeys(func(ks *keyset) error {
		return s.db.Update(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			ck := ks.contactKey(urn)
			purposes, err := withdrawRecords(tx, ks, ck, purpose, now)
			if err != nil {
				return err
			}
			if len(purposes) == 0 {
				return core.ErrNotFound
			}
			if _, err := updateSession(tx, ks, ck, func(sess *core.Session) {
				model.WithdrawInSession(sess, purposes, now)
			}); err != nil {
				return err
			}
			if err := refreshLead(tx, ks, ck, urn, model.LeadInputs{Activity: now, Now: now}); err != nil {
				return err
			}
			return appendAudit(tx, ks, core.AuditEntry{Time: now, Actor: actor, Action: "consent_withdraw", Contact: ck, Detail: strings.Join(purposes, ",")})
		})
	})
	if err != nil {
		return fmt.Errorf("withdraw consent: %w", err)
	}
	return nil
}

// withdrawRecords marks matching consent records withdrawn and returns
// their purposes.
func withdrawRecords(tx *bolt.Tx, ks *keyset, ck, purpose string, now time.Time) ([]string, error) {
	b := tx.Bucket(bConsents)
	type change struct {
		k []byte
		c core.ConsentRecord
	}
	var changes []change
	err := forPrefix(b, ckPrefix(ck), func(k, v []byte) error {
		var c core.ConsentRecord
		if err := ks.decode(string(bConsents), k, v, &c); err != nil {
			return err
		}
		if model.Withdrawable(&c, purpose) {
			c.Withdrawn = now
			changes = append(changes, change{bytes.Clone(k), c})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var purposes []string
	for _, ch := range changes {
		if err := ks.putJSON(b, string(bConsents), ch.k, ch.c); err != nil {
			return nil, err
		}
		purposes = append(purposes, ch.c.Purpose)
	}
	return purposes, nil
}
