package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// Export collects everything held about the contact. A contact the store
// knows nothing about gives an empty export, not an error.
func (s *Store) Export(ctx context.Context, contact string) (*model.Export, error) {
	urn, err := core.NormalizeURN(contact)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	e := model.NewExport(urn, s.now().UTC())
	err = s.inReadTx(ctx, func(tx pgx.Tx) error { return s.collectExport(ctx, tx, e, true) })
	if err != nil {
		return nil, fmt.Errorf("export contact %s: %w", short(s.ContactKey(urn)), err)
	}
	return e, nil
}

// inReadTx runs fn in a repeatable-read, read-only transaction: one
// consistent view of the records.
func (s *Store) inReadTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
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

// collect decodes every row a query returns (a key column and a sealed
// value) into out.
func collect[T any](ctx context.Context, s *Store, q querier, name string, key func(k string) string, out *[]T, sql string, args ...any) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var raw []byte
		if err := rows.Scan(&k, &raw); err != nil {
			return err
		}
		var v T
		if err := s.openJSON(name, key(k), raw, &v); err != nil {
			return err
		}
		*out = append(*out, v)
	}
	return rows.Err()
}

// collectExport fills e with the records of the contact e.URN, and with
// the media's bytes when withMedia.
func (s *Store) collectExport(ctx context.Context, q querier, e *model.Export, withMedia bool) error {
	ck := s.ks.ContactKey(e.URN)
	var sessRaw, contactRaw []byte
	err := q.QueryRow(ctx, `SELECT session, contact FROM contacts WHERE ck = $1`, ck).Scan(&sessRaw, &contactRaw)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if contactRaw != nil {
		e.Contact = &core.Contact{}
		if err := s.openJSON(nContact, ck, contactRaw, e.Contact); err != nil {
			return err
		}
	}
	if sessRaw != nil {
		e.Conversation = &core.Session{}
		if err := s.openJSON(nSession, ck, sessRaw, e.Conversation); err != nil {
			return err
		}
	}
	byCK := func(string) string { return ck }
	withCK := func(k string) string { return ck + "/" + k }
	if err := collect(ctx, s, q, nProjects, withCK, &e.Projects, `SELECT id, value FROM projects WHERE ck = $1 ORDER BY id`, ck); err != nil {
		return err
	}
	if err := collect(ctx, s, q, nConsents, withCK, &e.Consents, `SELECT id, value FROM consents WHERE ck = $1 ORDER BY id`, ck); err != nil {
		return err
	}
	if err := collect(ctx, s, q, nOptEvents, byCK, &e.OptEvents, `SELECT ck, value FROM opt_events WHERE ck = $1 ORDER BY at, id`, ck); err != nil {
		return err
	}
	if err := collect(ctx, s, q, nMessages, func(k string) string { return k }, &e.Messages, `SELECT id::text, value FROM messages WHERE ck = $1 ORDER BY at, id`, ck); err != nil {
		return err
	}
	if err := collect(ctx, s, q, nAI, byCK, &e.AIRecords, `SELECT ck, value FROM ai_records WHERE ck = $1 ORDER BY at, id`, ck); err != nil {
		return err
	}
	if err := collect(ctx, s, q, nQuotes, func(k string) string { return k }, &e.Quotes, `SELECT id, value FROM quotes WHERE ck = $1 ORDER BY id`, ck); err != nil {
		return err
	}
	if err := collect(ctx, s, q, nQuoteRevs, func(k string) string { return k }, &e.Revisions,
		`SELECT r.quote_id || '/' || lpad(r.revision::text, 6, '0'), r.value FROM quote_revs r JOIN quotes q ON q.id = r.quote_id
		WHERE q.ck = $1 ORDER BY r.quote_id, r.revision`, ck); err != nil {
		return err
	}
	if err := collect(ctx, s, q, nNotes, byCK, &e.Notes, `SELECT ck, value FROM notes WHERE ck = $1 ORDER BY at, id`, ck); err != nil {
		return err
	}
	if err := collect(ctx, s, q, nPayments, func(k string) string { return k }, &e.Payments, `SELECT id, value FROM payments WHERE ck = $1 ORDER BY id`, ck); err != nil {
		return err
	}
	if withMedia {
		if err := s.collectMedia(ctx, q, ck, e); err != nil {
			return err
		}
	}
	return collect(ctx, s, q, nAudit, func(string) string { return "" }, &e.Audit, `SELECT '', value FROM audit WHERE ck = $1 ORDER BY at, id`, ck)
}

// collectMedia lists the contact's files with their bytes.
func (s *Store) collectMedia(ctx context.Context, q querier, ck string, e *model.Export) error {
	rows, err := q.Query(ctx, `SELECT m.id, m.value FROM media_owners o JOIN media m ON m.id = o.id WHERE o.ck = $1 ORDER BY m.id`, ck)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return err
		}
		body, err := s.ks.Open(nMedia, []byte(id), raw)
		if err != nil {
			return err
		}
		md, err := model.DecodeMedia(id, body)
		if err != nil {
			return err
		}
		e.AddMedia(md)
	}
	return rows.Err()
}

// ChatRights returns the store as the engine's Rights: the export and
// erasure a customer asks for in the chat (MY DATA, DELETE MY DATA).
func (s *Store) ChatRights() core.Rights { return chatRights{s} }

type chatRights struct{ st *Store }

var _ core.Rights = chatRights{}

// Export returns the contact's export document and its file name.
func (r chatRights) Export(ctx context.Context, contact string) ([]byte, string, error) {
	return r.st.ExportJSON(ctx, contact)
}

// Erase erases the contact's personal data.
func (r chatRights) Erase(ctx context.Context, contact, actor string) error {
	_, err := r.st.Erase(ctx, contact, actor)
	return err
}

// Erase removes the contact's personal data as the bbolt store's Erase
// does (the same rules: paid quotes stay without personal fields, seen ids
// stay as bare hashes, audit entries keep the contact key only) and
// audits it.
func (s *Store) Erase(ctx context.Context, contact, actor string) (model.EraseReport, error) {
	urn, err := core.NormalizeURN(contact)
	if err != nil {
		return model.EraseReport{}, fmt.Errorf("erase: %w", err)
	}
	now := s.now()
	var rep model.EraseReport
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		rep, err = s.eraseTx(ctx, tx, urn, actor, now)
		return err
	})
	if err != nil {
		return model.EraseReport{}, fmt.Errorf("erase: %w", err)
	}
	s.log.Info("contact erased", "contact", short(rep.ContactKey), "actor", actor)
	return rep, nil
}

// eraseTx erases the contact (a normalised URN) in the transaction and
// appends the audit entry, by actor at now, that names it by its key only.
func (s *Store) eraseTx(ctx context.Context, tx dbtx, urn, actor string, now time.Time) (model.EraseReport, error) {
	ck := s.ks.ContactKey(urn)
	rep := model.EraseReport{ContactKey: ck}
	var hasContact, hasSession bool
	err := tx.QueryRow(ctx, `SELECT contact IS NOT NULL, session IS NOT NULL FROM contacts WHERE ck = $1 FOR UPDATE`, ck).Scan(&hasContact, &hasSession)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return rep, err
	}
	rep.Contact, rep.Session = hasContact, hasSession
	if err := s.changeLead(ctx, tx, ck, func(*model.LeadRecord) *model.LeadRecord { return nil }); err != nil {
		return rep, err
	}
	counts := []struct {
		sql string
		n   *int
	}{
		{`DELETE FROM contacts WHERE ck = $1`, nil},
		{`DELETE FROM once WHERE ck = $1`, nil},
		{`DELETE FROM projects WHERE ck = $1`, &rep.Projects},
		{`DELETE FROM consents WHERE ck = $1`, &rep.Consents},
		{`DELETE FROM opt_events WHERE ck = $1`, &rep.OptEvents},
		{`DELETE FROM ai_records WHERE ck = $1`, &rep.AIRecords},
		{`DELETE FROM messages WHERE ck = $1`, &rep.Messages},
		{`DELETE FROM outbox WHERE ck = $1`, &rep.Outbox},
		{`DELETE FROM notes WHERE ck = $1`, nil},
		{`DELETE FROM timers WHERE ck = $1`, nil},
		// The funnel's counts stay; nothing links them to the contact.
		{`UPDATE funnel_marks SET ck = NULL WHERE ck = $1`, nil},
	}
	for _, c := range counts {
		tag, err := tx.Exec(ctx, c.sql, ck)
		if err != nil {
			return rep, err
		}
		if c.n != nil {
			*c.n = int(tag.RowsAffected())
		}
	}
	if err := s.eraseInbox(ctx, tx, urn, ck, &rep); err != nil {
		return rep, err
	}
	if err := s.eraseQuotes(ctx, tx, ck, &rep); err != nil {
		return rep, err
	}
	if err := s.depersonalisePayments(ctx, tx, ck); err != nil {
		return rep, err
	}
	n, err := s.dropOwners(ctx, tx, ck, nil)
	if err != nil {
		return rep, err
	}
	rep.Media = n
	if err := s.pseudonymiseAudit(ctx, tx, ck); err != nil {
		return rep, err
	}
	b := &pgx.Batch{}
	if err := s.auditBatch(b, []core.AuditEntry{{Time: now, Actor: actor, Action: "erase", Contact: ck, Detail: rep.String()}}); err != nil {
		return rep, err
	}
	return rep, sendBatch(ctx, tx, b)
}

// eraseInbox cuts the contact out of the webhook payloads not yet
// processed (model.EraseFromPayload), and out of their lanes.
func (s *Store) eraseInbox(ctx context.Context, tx dbtx, urn, ck string, rep *model.EraseReport) error {
	rows, err := tx.Query(ctx, `SELECT id, channel, value FROM inbox ORDER BY id FOR UPDATE`)
	if err != nil {
		return err
	}
	type change struct {
		id      int64
		channel string
		body    []byte
	}
	var changes []change
	for rows.Next() {
		var c change
		var raw []byte
		if err := rows.Scan(&c.id, &c.channel, &raw); err != nil {
			rows.Close()
			return err
		}
		body, err := s.ks.Open(nInbox, []byte(c.channel), raw)
		if err != nil {
			rows.Close()
			return err
		}
		if cut, changed := model.EraseFromPayload(body, urn); changed {
			c.body = cut
			changes = append(changes, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range changes {
		if c.body == nil {
			_, err = tx.Exec(ctx, `DELETE FROM inbox WHERE id = $1`, c.id)
		} else {
			_, err = tx.Exec(ctx, `UPDATE inbox SET value = $2, lanes = array_remove(lanes, $3) WHERE id = $1`, c.id, s.ks.Seal(nInbox, []byte(c.channel), c.body), ck)
		}
		if err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE inbox SET lanes = array_remove(lanes, $1) WHERE lanes && ARRAY[$1]::text[]`, ck); err != nil {
		return err
	}
	rep.Inbox += len(changes)
	return nil
}

// eraseQuotes deletes the contact's quotes, except paid ones, which stay
// (with their revisions) without personal fields.
func (s *Store) eraseQuotes(ctx context.Context, tx dbtx, ck string, rep *model.EraseReport) error {
	var quotes []core.QuoteRecord
	if err := collect(ctx, s, tx, nQuotes, func(k string) string { return k }, &quotes, `SELECT id, value FROM quotes WHERE ck = $1 ORDER BY id FOR UPDATE`, ck); err != nil {
		return err
	}
	for _, q := range quotes {
		if !model.IsPaid(&q) {
			rep.Quotes++
			if _, err := tx.Exec(ctx, `DELETE FROM quote_revs WHERE quote_id = $1`, q.ID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM quotes WHERE id = $1`, q.ID); err != nil {
				return err
			}
			continue
		}
		rep.KeptPayments++
		v, err := s.sealJSON(nQuotes, q.ID, model.Depersonalise(q))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE quotes SET ck = NULL, value = $2 WHERE id = $1`, q.ID, v); err != nil {
			return err
		}
		if err := s.depersonaliseRevisions(ctx, tx, q.ID); err != nil {
			return err
		}
	}
	return nil
}

// depersonaliseRevisions strips a kept quote's earlier revisions too.
func (s *Store) depersonaliseRevisions(ctx context.Context, tx dbtx, quoteID string) error {
	type rev struct {
		n int
		q core.QuoteRecord
	}
	rows, err := tx.Query(ctx, `SELECT revision, value FROM quote_revs WHERE quote_id = $1 FOR UPDATE`, quoteID)
	if err != nil {
		return err
	}
	var revs []rev
	for rows.Next() {
		var r rev
		var raw []byte
		if err := rows.Scan(&r.n, &raw); err != nil {
			rows.Close()
			return err
		}
		if err := s.openJSON(nQuoteRevs, revKey(quoteID, r.n), raw, &r.q); err != nil {
			rows.Close()
			return err
		}
		revs = append(revs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range revs {
		v, err := s.sealJSON(nQuoteRevs, revKey(quoteID, r.n), model.Depersonalise(r.q))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE quote_revs SET value = $3 WHERE quote_id = $1 AND revision = $2`, quoteID, r.n, v); err != nil {
			return err
		}
	}
	return nil
}

// revKey is the sealed key of a quote's earlier revision.
func revKey(quoteID string, n int) string { return fmt.Sprintf("%s/%06d", quoteID, n) }

// dropOwners removes the contact's ownership of media, except the ids in
// keep, and deletes media nobody owns any more. It returns how many of the
// contact's media it dropped.
func (s *Store) dropOwners(ctx context.Context, tx dbtx, ck string, keep map[string]bool) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM media_owners WHERE ck = $1 ORDER BY id`, ck)
	if err != nil {
		return 0, err
	}
	var drop []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		if !keep[id] {
			drop = append(drop, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(drop) == 0 {
		return 0, nil
	}
	_, err = tx.Exec(ctx, `DELETE FROM media_owners WHERE ck = $1 AND id = ANY($2)`, ck, drop)
	if err != nil {
		return 0, err
	}
	_, err = tx.Exec(ctx, `DELETE FROM media m WHERE m.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM media_owners o WHERE o.id = m.id)`, drop)
	return len(drop), err
}

// pseudonymiseAudit replaces the URN with the contact key in audit
// entries about the contact.
func (s *Store) pseudonymiseAudit(ctx context.Context, tx dbtx, ck string) error {
	rows, err := tx.Query(ctx, `SELECT id, value FROM audit WHERE ck = $1 FOR UPDATE`, ck)
	if err != nil {
		return err
	}
	type change struct {
		id int64
		a  core.AuditEntry
	}
	var changes []change
	for rows.Next() {
		var c change
		var raw []byte
		if err := rows.Scan(&c.id, &raw); err != nil {
			rows.Close()
			return err
		}
		if err := s.openJSON(nAudit, "", raw, &c.a); err != nil {
			rows.Close()
			return err
		}
		if c.a.Contact != ck {
			c.a.Contact = ck
			changes = append(changes, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range changes {
		v, err := s.sealJSON(nAudit, "", c.a)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE audit SET value = $2 WHERE id = $1`, c.id, v); err != nil {
			return err
		}
	}
	return nil
}

// CorrectableFields returns the paths Correct accepts.
func (s *Store) CorrectableFields() []string { return model.CorrectableFields() }

// Correct changes one field of what is held about the contact, in the
// contact record and in the conversation's variables alike, and audits it
// (the field, not the value).
func (s *Store) Correct(ctx context.Context, contact, path, value, actor string) error {
	urn, err := core.NormalizeURN(contact)
	if err != nil {
		return fmt.Errorf("correct: %w", err)
	}
	value, err = model.CheckCorrection(path, value)
	if err != nil {
		return fmt.Errorf("correct: %w", err)
	}
	now := s.now()
	ck := s.ks.ContactKey(urn)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		rec, err := s.lockContact(ctx, tx, ck)
		if err != nil {
			return err
		}
		if rec.contact == nil && rec.session == nil {
			return core.ErrNotFound
		}
		b := &pgx.Batch{}
		if rec.contact != nil {
			model.CorrectContact(rec.contact, path, value, now)
			if err := rec.queueContact(s, b, ck); err != nil {
				return err
			}
		}
		if rec.session != nil {
			model.CorrectSession(rec.session, path, value, now)
			if err := rec.queueSession(s, b, ck); err != nil {
				return err
			}
		}
		if err := sendBatch(ctx, tx, b); err != nil {
			return err
		}
		if err := s.refreshLead(ctx, tx, ck, urn, model.LeadInputs{Activity: now, Now: now}); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, core.AuditEntry{Time: now, Actor: actor, Action: "correct", Contact: ck, Detail: path})
	})
	if err != nil {
		return fmt.Errorf("correct %s: %w", path, err)
	}
	return nil
}

// contactRecords are a contact's session and record, read with its row locked.
type contactRecords struct {
	session *core.Session
	contact *core.Contact
}

// lockContact locks the contact's row and reads its session and record.
func (s *Store) lockContact(ctx context.Context, tx dbtx, ck string) (*contactRecords, error) {
	var sessRaw, contactRaw []byte
	err := tx.QueryRow(ctx, `SELECT session, contact FROM contacts WHERE ck = $1 FOR UPDATE`, ck).Scan(&sessRaw, &contactRaw)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	rec := &contactRecords{}
	if sessRaw != nil {
		rec.session = &core.Session{}
		if err := s.openJSON(nSession, ck, sessRaw, rec.session); err != nil {
			return nil, err
		}
	}
	if contactRaw != nil {
		rec.contact = &core.Contact{}
		if err := s.openJSON(nContact, ck, contactRaw, rec.contact); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

func (rec *contactRecords) queueSession(s *Store, b *pgx.Batch, ck string) error {
	v, err := s.sealJSON(nSession, ck, rec.session)
	if err != nil {
		return err
	}
	b.Queue(`UPDATE contacts SET session = $2 WHERE ck = $1`, ck, v)
	return nil
}

func (rec *contactRecords) queueContact(s *Store, b *pgx.Batch, ck string) error {
	v, err := s.sealJSON(nContact, ck, rec.contact)
	if err != nil {
		return err
	}
	b.Queue(`UPDATE contacts SET contact = $2 WHERE ck = $1`, ck, v)
	return nil
}

// WithdrawConsent records the withdrawal of the contact's granted consents
// for purpose ("" for every purpose) and stops the conversation. It
// returns core.ErrNotFound when no granted, unwithdrawn consent matches.
func (s *Store) WithdrawConsent(ctx context.Context, contact, purpose, actor string) error {
	urn, err := core.NormalizeURN(contact)
	if err != nil {
		return fmt.Errorf("withdraw consent: %w", err)
	}
	now := s.now()
	ck := s.ks.ContactKey(urn)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		rec, err := s.lockContact(ctx, tx, ck)
		if err != nil {
			return err
		}
		type consent struct {
			id string
			c  core.ConsentRecord
		}
		var all []consent
		rows, err := tx.Query(ctx, `SELECT id, value FROM consents WHERE ck = $1 ORDER BY id FOR UPDATE`, ck)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c consent
			var raw []byte
			if err := rows.Scan(&c.id, &raw); err != nil {
				rows.Close()
				return err
			}
			if err := s.openJSON(nConsents, ck+"/"+c.id, raw, &c.c); err != nil {
				rows.Close()
				return err
			}
			all = append(all, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var purposes []string
		b := &pgx.Batch{}
		for _, c := range all {
			if !model.Withdrawable(&c.c, purpose) {
				continue
			}
			c.c.Withdrawn = now
			v, err := s.sealJSON(nConsents, ck+"/"+c.id, c.c)
			if err != nil {
				return err
			}
			b.Queue(`UPDATE consents SET value = $3 WHERE ck = $1 AND id = $2`, ck, c.id, v)
			purposes = append(purposes, c.c.Purpose)
		}
		if len(purposes) == 0 {
			return core.ErrNotFound
		}
		if rec.session != nil {
			model.WithdrawInSession(rec.session, purposes, now)
			if err := rec.queueSession(s, b, ck); err != nil {
				return err
			}
		}
		if err := sendBatch(ctx, tx, b); err != nil {
			return err
		}
		if err := s.refreshLead(ctx, tx, ck, urn, model.LeadInputs{Activity: now, Now: now}); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, core.AuditEntry{Time: now, Actor: actor, Action: "consent_withdraw", Contact: ck, Detail: strings.Join(purposes, ",")})
	})
	if err != nil {
		return fmt.Errorf("withdraw consent: %w", err)
	}
	return nil
}

// appendAudit writes one audit entry in the transaction.
func (s *Store) appendAudit(ctx context.Context, tx dbtx, a core.AuditEntry) error {
	b := &pgx.Batch{}
	if err := s.auditBatch(b, []core.AuditEntry{a}); err != nil {
		return err
	}
	return sendBatch(ctx, tx, b)
}

// Audit appends an entry to the audit log (time defaults to now).
func (s *Store) Audit(ctx context.Context, a core.AuditEntry) error {
	if a.Time.IsZero() {
		a.Time = s.now()
	}
	if err := s.inTx(ctx, func(tx pgx.Tx) error { return s.appendAudit(ctx, tx, a) }); err != nil {
		return fmt.Errorf("audit %s: %w", a.Action, err)
	}
	return nil
}

// AuditLog returns the audit entries from since on, oldest first.
func (s *Store) AuditLog(ctx context.Context, since time.Time) ([]core.AuditEntry, error) {
	var out []core.AuditEntry
	err := collect(ctx, s, s.pool, nAudit, func(string) string { return "" }, &out, `SELECT '', value FROM audit WHERE at >= $1 ORDER BY at, id`, since)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}
