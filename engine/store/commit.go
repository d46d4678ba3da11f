package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// seenRecord is the sealed value of a seen inbound id: when it was
// handled, for retention. The id is in the key only, hashed under the seen
// key (a message id can spell the sender's number).
type seenRecord struct {
	Time time.Time `json:"time"`
}

// legacySeen is a format-2 seen record, which held the id for rekeys.
type legacySeen struct {
	Channel string    `json:"channel"`
	ID      string    `json:"id"`
	Time    time.Time `json:"time"`
}

// lastInbound is the sealed value of a contact's last inbound time.
type lastInbound struct {
	Contact string    `json:"contact"`
	Time    time.Time `json:"time"`
}

// ownerRecord is the sealed value of index entries that point at a contact.
type ownerRecord struct {
	Contact string `json:"contact"`
}

// outboxRecord is the sealed value of an outbox entry: the item and the key
// of its message log entry.
type outboxRecord struct {
	core.OutboxItem
	MessageKey string `json:"message_key"`
	LastError  string `json:"last_error,omitempty"`
	// About is the contact key of the contact a notice is about (it goes
	// to someone else: the owner, a webhook): it is sealed under that
	// contact's data key, so their erasure shreds it (subjects.go).
	About string `json:"about,omitempty"`
}

// preparedMedia is one file to store, sealed before the transaction.
type preparedMedia struct {
	id    string
	value []byte
}

// Commit applies one turn in one transaction, batched with other
// contacts' turns so they share an fsync. A turn whose inbound id was seen
// before returns core.ErrDuplicate and changes nothing. Commit fills in
// the ids it assigns: Outbound[i].ID and, for media with bytes, Media.ID,
// SHA256 and Size (the hex SHA-256 of the bytes is the media id), and the
// quotes' revision numbers (a quote already marked paid is left as stored,
// and the turn's copy is set to it).
//
// A turn with Erase set (DELETE MY DATA confirmed in the chat) erases the
// contact in the same transaction, exactly as Erase does, audited with the
// actor "customer" and the contact key only. Its inbound id is marked seen,
// so a redelivery is still a duplicate, but nothing else of the turn that
// is about the customer is written: no session, contact, project, quotes,
// consents, opt events, AI records, message log entries, last-inbound time
// or photos. The turn's audit entries are written before the erasure, so
// they too keep the contact key only. Its outbound messages (the
// confirmation) are then queued: each outbox item holds the phone number
// the sender needs, sealed like every outbox item, and has no message log
// entry, so once MarkSent or MarkFailed removes it nothing of the contact
// is left. A file an erasing turn sends is kept, owned by the contact,
// until the next erasure or retention run.
func (s *Store) Commit(ctx context.Context, t *core.Turn) error {
	if t == nil {
		return errors.New("commit: nil turn")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	contact := model.TurnContact(t)
	if contact == "" {
		return errors.New("commit: the turn names no contact")
	}
	now := s.now()
	if t.Erase {
		// An erasure destroys the contact's data keys: it runs alone.
		return s.exclusive(func() error { return s.commitTurn(t, contact, now) })
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.commitTurn(t, contact, now)
}

// commitTurn is Commit once the store's lock is held (for writing when the
// turn erases).
func (s *Store) commitTurn(t *core.Turn, contact string, now time.Time) error {
	ks := s.ring.unbound()
	ck := ks.contactKey(contact)

	// Media bytes are hashed and sealed before the transaction: their keys
	// do not depend on it, and big files should not hold the writer.
	// An erasing turn keeps only the files its outbound messages send.
	var media []preparedMedia
	var kept []*core.Media // filled in place: Commit reports ids on the turn
	if !t.Erase {
		if t.Inbound != nil {
			for i := range t.Inbound.Media {
				kept = append(kept, &t.Inbound.Media[i])
			}
		}
		for i := range t.Media {
			kept = append(kept, &t.Media[i])
		}
	}
	for _, md := range kept {
		if pm, ok := prepareMedia(ks, md, now); ok {
			media = append(media, pm)
		}
	}
	if !t.Erase {
		for i := range t.Outbound {
			if t.Outbound[i].Media != nil {
				if pm, ok := prepareMedia(ks, t.Outbound[i].Media, now); ok {
					media = append(media, pm)
				}
			}
		}
	}
	pre, err := prepareTurn(ks, s.seqs, ck, contact, now, t)
	if err == nil {
		err = ks.failed()
	}
	if err != nil {
		return fmt.Errorf("commit turn of contact %s: %w", short(ck), err)
	}
	used := *ks.used

	var dup bool
	var erased EraseReport
	write := func(tx *bolt.Tx, kt *keyset) error {
		dup, erased = false, EraseReport{}
		if err := kt.persist(used); err != nil {
			return err
		}
		return commitTx(tx, kt, ck, contact, now, t, pre, media, &dup, &erased)
	}
	if t.Erase {
		// The files an erasing turn sends are sealed in its transaction,
		// after the erasure (commitErase), so not under destroyed keys.
		err = s.shredUpdate(write)
	} else {
		err = s.group.write(func(tx *bolt.Tx) error { return write(tx, s.ring.bind(tx)) })
	}
	if err != nil {
		return fmt.Errorf("commit turn of contact %s: %w", short(ck), err)
	}
	for _, u := range used {
		u.dk.SetStored() // the transaction that holds them committed
	}
	if dup {
		return core.ErrDuplicate
	}
	if t.Erase {
		s.leads.forget(ck)
	} else if pre.session != nil {
		s.leads.remember(ck, cachedLead{sessRaw: pre.session, sess: t.Session, contRaw: pre.contact, cont: t.Contact})
	}
	s.leads.poke()
	s.claims.release(pre.released)
	if t.Erase {
		s.log.Info("contact erased", "contact", short(erased.ContactKey), "actor", chatEraseActor)
	}
	return nil
}

// chatEraseActor is the audit actor of an erasure asked for in the chat.
const chatEraseActor = "customer"

// short is a contact key cut for logs and errors.
func short(ck string) string {
	if len(ck) > 16 {
		return ck[:16]
	}
	return ck
}

// prepared holds the sealed values of a turn whose keys are known before
// the transaction, so the single writer only checks, puts and fsyncs.
type prepared struct {
	session          []byte
	contact          []byte
	project, projKey []byte

	seenKey, seen []byte // the inbound id, its record
	inKey, inMsg  []byte // the inbound message's log entry
	lastIn        []byte
	out           []preparedOut
	maxMsg        uint64 // the highest message and outbox sequence used
	maxOut        uint64

	timers   []preparedTimer // the session's timers, indexed when session is set
	released [][]byte        // index keys the committed transaction removed
}

// preparedOut is one outbound message: its outbox entry and its log entry.
type preparedOut struct {
	channel       string
	id, item      []byte
	msgKey, entry []byte
}

// sequences hands out message and outbox sequence numbers without the
// writer; every transaction raises the buckets' stored sequence to the
// highest number it uses, so they continue after a restart.
type sequences struct {
	msgs, outbox atomic.Uint64
}

// prepareTurn seals the turn's records. For an erasing turn it seals only
// what commitErase writes: the seen id and the outbox items, without
// message log entries.
func prepareTurn(ks *keyset, seqs *sequences, ck, contact string, now time.Time, t *core.Turn) (*prepared, error) {
	p := &prepared{}
	if err := prepareRecords(ks, seqs, p, ck, contact, now, t); err != nil {
		return nil, err
	}
	for i := range t.Outbound {
		if err := prepareOut(ks, seqs, p, ck, contact, now, t, &t.Outbound[i], !t.Erase); err != nil {
			return nil, err
		}
	}
	for i := range t.Notices {
		// Notices go to others about the contact: queued, never logged in
		// the contact's transcript (notices.go).
		if err := prepareOut(ks, seqs, p, ck, contact, now, t, &t.Notices[i], false); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// prepareOut assigns an outbound message its outbox id and seals its
// outbox entry and, when logged, its message log entry.
func prepareOut(ks *keyset, seqs *sequences, p *prepared, ck, contact string, now time.Time, t *core.Turn, o *core.Outbound, logged bool) error {
	if o.Contact == "" {
		o.Contact = contact
	}
	if o.Channel == "" && t.Inbound != nil {
		o.Channel = t.Inbound.Channel
	}
	if o.Channel == "" {
		return errors.New("outbound message without a channel")
	}
	if o.Created.IsZero() {
		o.Created = now
	}
	if o.ReplyTo == "" && t.Inbound != nil && o.Notice == nil {
		o.ReplyTo = t.Inbound.ID
	}
	p.maxOut = seqs.outbox.Add(1)
	o.ID = seqID(p.maxOut)
	po := preparedOut{channel: o.Channel, id: []byte(o.ID)}
	rec := outboxRecord{OutboxItem: core.OutboxItem{Outbound: *o}}
	if o.Notice != nil && !t.Erase {
		rec.About = ck
	}
	if logged {
		p.maxMsg = seqs.msgs.Add(1)
		po.msgKey = ckKey(ck, timeSeq(o.Created, p.maxMsg))
		po.entry = sealJSON(ks, bMessages, po.msgKey, model.OutboundMessage(o))
		rec.MessageKey = string(po.msgKey)
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode outbound: %w", err)
	}
	po.item = ks.sealRef(outboxSubject(ks, rec), outboxName(o.Channel), po.id, body)
	p.out = append(p.out, po)
	return nil
}

// prepareRecords seals the turn's inbound bookkeeping, session, contact
// and project into p; for an erasing turn only the seen id.
func prepareRecords(ks *keyset, seqs *sequences, p *prepared, ck, contact string, now time.Time, t *core.Turn) error {
	if in := t.Inbound; in != nil {
		p.seenKey = ks.seenKey(in.Channel, in.ID)
		p.seen = sealJSON(ks, bSeen, p.seenKey, seenRecord{Time: now})
	}
	if t.Erase {
		return nil
	}
	if in := t.Inbound; in != nil {
		at := in.Time
		if at.IsZero() {
			at = now
		}
		// The log is keyed by when the turn ran, as its replies are, so a
		// customer's message always stands before the bot's answer to it
		// (the sender's clock, kept in the entry, counts whole seconds and
		// may be behind ours).
		keyAt := at
		if t.Session != nil && !t.Session.Updated.IsZero() {
			keyAt = t.Session.Updated
		}
		p.maxMsg = seqs.msgs.Add(1)
		p.inKey = ckKey(ck, timeSeq(keyAt, p.maxMsg))
		if in.Echo {
			// The business wrote from its WhatsApp Business app: its
			// message, already delivered, that opens no window.
			p.inMsg = sealJSON(ks, bMessages, p.inKey, model.EchoMessage(in))
		} else {
			p.inMsg = sealJSON(ks, bMessages, p.inKey, model.InboundMessage(in))
			p.lastIn = sealJSON(ks, bLastIn, []byte(ck), lastInbound{Contact: contact, Time: at})
		}
	}
	if t.Session != nil {
		body, err := json.Marshal(t.Session)
		if err != nil {
			return fmt.Errorf("encode session: %w", err)
		}
		p.session = ks.seal(string(bSessions), []byte(ck), body)
		if p.timers, err = prepareTimers(ks, ck, contact, t.Session.Timers); err != nil {
			return err
		}
	}
	if t.Contact != nil {
		body, err := json.Marshal(t.Contact)
		if err != nil {
			return fmt.Errorf("encode contact: %w", err)
		}
		p.contact = ks.seal(string(bContacts), []byte(ck), body)
	}
	if t.Project != nil {
		if t.Project.ID == "" {
			return errors.New("project without an id")
		}
		body, err := json.Marshal(t.Project)
		if err != nil {
			return fmt.Errorf("encode project: %w", err)
		}
		p.projKey = ckKey(ck, t.Project.ID)
		p.project = ks.seal(string(bProjects), p.projKey, body)
	}
	for _, q := range t.Quotes {
		if q == nil || q.ID == "" {
			return errors.New("quote without an id")
		}
	}
	return nil
}

// sealJSON encodes and seals a record for a top-level bucket; the records
// it takes always encode.
func sealJSON(ks *keyset, bucket, key []byte, v any) []byte {
	body, _ := json.Marshal(v)
	return ks.seal(string(bucket), key, body)
}

// prepareMedia hashes and seals a file with bytes, and fills in its id,
// hash and size. It returns false for media without bytes.
func prepareMedia(ks *keyset, md *core.Media, now time.Time) (preparedMedia, bool) {
	if len(md.Data) == 0 {
		return preparedMedia{}, false
	}
	sum := sha256.Sum256(md.Data)
	id := hex.EncodeToString(sum[:])
	md.ID, md.SHA256, md.Size = id, id, len(md.Data)
	return preparedMedia{id: id, value: ks.seal(string(bMedia), []byte(id), model.EncodeMedia(md, now))}, true
}

// commitTx is the body of one turn's transaction. The group commit may run
// it more than once, so it derives everything from the transaction's state.
// An erasing turn's report goes to erased.
func commitTx(tx *bolt.Tx, ks *keyset, ck, contact string, now time.Time, t *core.Turn, pre *prepared, media []preparedMedia, dup *bool, erased *EraseReport) error {
	if t.Inbound != nil && tx.Bucket(bSeen).Get(pre.seenKey) != nil {
		*dup = true
		return nil
	}
	for _, p := range t.Payments {
		if tx.Bucket(bPayments).Get([]byte(p.ID)) != nil {
			*dup = true // a provider's event delivered again
			return nil
		}
	}
	if t.Once != nil {
		ok, err := claimOnce(tx, ks, ck, contact, now, t.Once)
		if err != nil || !ok {
			*dup = !ok
			return err
		}
	}
	if t.Inbound != nil {
		if err := tx.Bucket(bSeen).Put(pre.seenKey, pre.seen); err != nil {
			return err
		}
	}
	if t.Erase {
		return commitErase(tx, ks, ck, contact, now, t, pre, erased)
	}
	if t.Inbound != nil {
		if err := tx.Bucket(bMessages).Put(pre.inKey, pre.inMsg); err != nil {
			return err
		}
		if pre.lastIn != nil {
			if err := tx.Bucket(bLastIn).Put([]byte(ck), pre.lastIn); err != nil {
				return err
			}
		}
	}
	if err := putMedia(tx, ks, ck, contact, media); err != nil {
		return err
	}
	pre.released = nil
	if pre.session != nil {
		if err := tx.Bucket(bSessions).Put([]byte(ck), pre.session); err != nil {
			return err
		}
		removed, err := syncTimers(tx, ck, pre.timers)
		if err != nil {
			return err
		}
		pre.released = removed
	}
	if err := putContact(tx, ks, ck, t.Contact, pre.contact); err != nil {
		return err
	}
	if pre.project != nil {
		if err := tx.Bucket(bProjects).Put(pre.projKey, pre.project); err != nil {
			return err
		}
	}
	for _, q := range t.Quotes {
		if err := upsertQuote(tx, ks, ck, q, now); err != nil {
			return err
		}
	}
	if _, err := putPayments(tx, ks, t.Payments); err != nil {
		return err
	}
	if err := putConsents(tx, ks, ck, t.Consents); err != nil {
		return err
	}
	for _, ev := range t.OptEvents {
		if err := appendTimed(tx, ks, bOptEvents, ck, ev.Time, ev); err != nil {
			return err
		}
	}
	for _, ai := range t.AI {
		if err := appendTimed(tx, ks, bAI, ck, ai.Time, ai); err != nil {
			return err
		}
	}
	for _, a := range t.Audit {
		if err := appendAudit(tx, ks, a); err != nil {
			return err
		}
	}
	if err := markSteps(tx, ks, ck, t.Steps); err != nil {
		return err
	}
	if !noticesOnly(t) {
		if err := noteLead(tx, ks, ck, normalize(contact), model.TurnInputs(now, t)); err != nil {
			return err
		}
	}
	return enqueue(tx, pre)
}

// commitErase is the rest of an erasing turn's transaction, once its
// inbound id is marked seen: the turn's audit entries, the erasure and its
// audit entry, then the outbound messages (and files they send), queued
// without message log entries.
func commitErase(tx *bolt.Tx, ks *keyset, ck, contact string, now time.Time, t *core.Turn, pre *prepared, erased *EraseReport) error {
	for _, a := range t.Audit {
		if err := appendAudit(tx, ks, a); err != nil {
			return err
		}
	}
	rep, err := eraseContact(tx, ks, normalize(contact), chatEraseActor, now)
	if err != nil {
		return err
	}
	*erased = rep
	var media []preparedMedia
	for i := range t.Outbound {
		if t.Outbound[i].Media != nil {
			if pm, ok := prepareMedia(ks, t.Outbound[i].Media, now); ok {
				media = append(media, pm)
			}
		}
	}
	if err := putMedia(tx, ks, ck, contact, media); err != nil {
		return err
	}
	return enqueue(tx, pre)
}

// putMedia stores files not stored yet and records the contact as an owner.
func putMedia(tx *bolt.Tx, ks *keyset, ck, contact string, media []preparedMedia) error {
	mb, owners := tx.Bucket(bMedia), tx.Bucket(bMediaOwners)
	for _, pm := range media {
		if mb.Get([]byte(pm.id)) == nil {
			if err := mb.Put([]byte(pm.id), pm.value); err != nil {
				return err
			}
		}
		ok := []byte(pm.id + "/" + ck)
		if owners.Get(ok) == nil {
			if err := ks.putJSON(owners, string(bMediaOwners), ok, ownerRecord{Contact: contact}); err != nil {
				return err
			}
		}
	}
	return nil
}

// putContact upserts the contact, keeping the first Created time.
func putContact(tx *bolt.Tx, ks *keyset, ck string, c *core.Contact, sealed []byte) error {
	if c == nil {
		return nil
	}
	b := tx.Bucket(bContacts)
	if c.Created.IsZero() {
		var old core.Contact
		found, err := ks.getJSON(b, string(bContacts), []byte(ck), &old)
		if err != nil {
			return err
		}
		if found {
			cc := *c
			cc.Created = old.Created
			return ks.putJSON(b, string(bContacts), []byte(ck), cc)
		}
	}
	return b.Put([]byte(ck), sealed)
}

// upsertQuote saves a quote. When its priced content changed, the stored
// version is kept as a revision and the revision number goes up. A quote
// the business marked paid is not changed by the conversation any more
// (but for the balance paid after a deposit): model.UpsertQuote.
func upsertQuote(tx *bolt.Tx, ks *keyset, ck string, q *core.QuoteRecord, now time.Time) error {
	b := tx.Bucket(bQuotes)
	key := []byte(q.ID)
	var old *core.QuoteRecord
	var stored core.QuoteRecord
	found, err := ks.getJSON(b, string(bQuotes), key, &stored)
	if err != nil {
		return err
	}
	if found {
		old = &stored
	}
	rev, write := model.UpsertQuote(old, q, now)
	if !write {
		return nil
	}
	if rev != nil {
		rk := []byte(fmt.Sprintf("%s/%06d", q.ID, rev.Revision))
		if err := ks.putJSON(tx.Bucket(bQuoteRevs), string(bQuoteRevs), rk, rev); err != nil {
			return err
		}
	}
	if err := ks.putJSON(b, string(bQuotes), key, q); err != nil {
		return err
	}
	ik := ckKey(ck, q.ID)
	idx := tx.Bucket(bQuoteIndex)
	if idx.Get(ik) == nil {
		return ks.putJSON(idx, string(bQuoteIndex), ik, ownerRecord{Contact: q.Contact})
	}
	return nil
}

// putConsents appends consent records or updates them by id. An update
// without the text shown (a withdrawal) only records the withdrawal, so the
// proof of what was agreed stays.
func putConsents(tx *bolt.Tx, ks *keyset, ck string, consents []core.ConsentRecord) error {
	if len(consents) == 0 {
		return nil
	}
	b := tx.Bucket(bConsents)
	for _, c := range consents {
		if c.ID == "" {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			c.ID = "c" + seqID(seq)
		}
		key := ckKey(ck, c.ID)
		if c.Text == "" {
			var old core.ConsentRecord
			found, err := ks.getJSON(b, string(bConsents), key, &old)
			if err != nil {
				return err
			}
			if found {
				if !c.Withdrawn.IsZero() && old.Withdrawn.IsZero() {
					old.Withdrawn = c.Withdrawn
				}
				c = old
			}
		}
		if err := ks.putJSON(b, string(bConsents), key, c); err != nil {
			return err
		}
	}
	return nil
}

// appendTimed appends a record under ck/time/seq.
func appendTimed(tx *bolt.Tx, ks *keyset, bucket []byte, ck string, at time.Time, v any) error {
	b := tx.Bucket(bucket)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	return ks.putJSON(b, string(bucket), ckKey(ck, timeSeq(at, seq)), v)
}

// appendAudit appends an audit entry under time/seq.
func appendAudit(tx *bolt.Tx, ks *keyset, a core.AuditEntry) error {
	b := tx.Bucket(bAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	return ks.putJSON(b, string(bAudit), []byte(timeSeq(a.Time, seq)), a)
}

// enqueue puts the turn's outbound messages in their channels' outboxes
// and logs them as queued (except an erasing turn's), and raises the
// stored sequences.
func enqueue(tx *bolt.Tx, pre *prepared) error {
	ob, mb := tx.Bucket(bOutbox), tx.Bucket(bMessages)
	for _, po := range pre.out {
		cb, err := ob.CreateBucketIfNotExists([]byte(po.channel))
		if err != nil {
			return err
		}
		if err := cb.Put(po.id, po.item); err != nil {
			return err
		}
		if po.msgKey == nil {
			continue // an erasing turn's message: queued, not logged
		}
		if err := mb.Put(po.msgKey, po.entry); err != nil {
			return err
		}
	}
	if mb.Sequence() < pre.maxMsg {
		if err := mb.SetSequence(pre.maxMsg); err != nil {
			return err
		}
	}
	if ob.Sequence() < pre.maxOut {
		return ob.SetSequence(pre.maxOut)
	}
	return nil
}

// outboxName is the additional-data name of a channel's outbox bucket.
func outboxName(channel string) string { return "outbox/" + channel }

// Session returns the contact's session, or nil when there is none.
func (s *Store) Session(ctx context.Context, contact string) (*core.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var sess *core.Session
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			var v core.Session
			found, err := ks.getJSON(tx.Bucket(bSessions), string(bSessions), []byte(ks.contactKey(contact)), &v)
			if found {
				sess = &v
			}
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	return sess, nil
}

// Media returns a stored file with its bytes, or core.ErrNotFound.
func (s *Store) Media(ctx context.Context, id string) (*core.Media, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var md *core.Media
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			raw := tx.Bucket(bMedia).Get([]byte(id))
			if raw == nil {
				return core.ErrNotFound
			}
			body, err := ks.open(string(bMedia), []byte(id), raw)
			if err != nil {
				return err
			}
			md, err = model.DecodeMedia(id, body)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load media %s: %w", id, err)
	}
	return md, nil
}

// Seen says whether an inbound message id was already handled.
func (s *Store) Seen(ctx context.Context, channel, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var seen bool
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			seen = tx.Bucket(bSeen).Get(ks.seenKey(channel, id)) != nil
			return nil
		})
	})
	return seen, err
}

// LastInbound returns when the contact last wrote, or the zero time.
func (s *Store) LastInbound(ctx context.Context, contact string) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	var li lastInbound
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			_, err := ks.getJSON(tx.Bucket(bLastIn), string(bLastIn), []byte(ks.contactKey(contact)), &li)
			return err
		})
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("last inbound: %w", err)
	}
	return li.Time, nil
}

// onceRecord is the sealed value of the once bucket: when a turn with that
// key was last committed for the contact.
type onceRecord struct {
	Contact string    `json:"contact"`
	Key     string    `json:"key"`
	At      time.Time `json:"at"`
}

// claimOnce records a Once turn for the contact, unless one with the same
// key was committed less than Within before now.
func claimOnce(tx *bolt.Tx, ks *keyset, ck, contact string, now time.Time, once *core.Once) (bool, error) {
	b := tx.Bucket(bOnce)
	key := ckKey(ck, once.Key)
	var last onceRecord
	found, err := ks.getJSON(b, string(bOnce), key, &last)
	if err != nil {
		return false, err
	}
	if found && now.Sub(last.At) < once.Within {
		return false, nil
	}
	return true, ks.putJSON(b, string(bOnce), key, onceRecord{Contact: contact, Key: once.Key, At: now})
}
