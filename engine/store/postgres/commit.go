package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
	"github.com/allmyleads/allmyleads/engine/store/seal"
)

var (
	jsonMarshal   = json.Marshal
	jsonUnmarshal = json.Unmarshal
)

// Sealed value names (the additional data every value is sealed with,
// with its key): a value opens only in the place it was written for.
const (
	nSession     = "contacts.session"
	nContact     = "contacts.contact"
	nLastInbound = "contacts.last_inbound"
	nLead        = "contacts.lead"
	nStats       = "lead_stats"
	nSeen        = "seen"
	nMessages    = "messages"
	nProjects    = "projects"
	nQuotes      = "quotes"
	nQuoteRevs   = "quote_revs"
	nConsents    = "consents"
	nOptEvents   = "opt_events"
	nAI          = "ai_records"
	nNotes       = "notes"
	nAudit       = "audit"
	nMedia       = "media"
	nInbox       = "inbox"
	nTokens      = "tokens"
	nOwner       = "owner"
	nTimers      = "timers"
	nNoticeFails = "notice_failures"
	nPayments    = "payments"
)

// outboxName is the sealed name of a channel's outbox items.
func outboxName(channel string) string { return "outbox/" + channel }

// seenRecord is the sealed value of a seen inbound id: the id itself, so a
// rekey could hash it again.
type seenRecord struct {
	Channel string    `json:"channel"`
	ID      string    `json:"id"`
	Time    time.Time `json:"time"`
}

// lastInbound is the sealed value of a contact's last inbound time.
type lastInbound struct {
	Contact string    `json:"contact"`
	Time    time.Time `json:"time"`
}

// outboxRecord is the sealed value of an outbox item.
type outboxRecord struct {
	core.OutboxItem
	LastError string `json:"last_error,omitempty"`
}

// preparedMedia is one file to store, hashed and sealed before the
// transaction.
type preparedMedia struct {
	id    string
	value []byte
}

// prepareMedia hashes and seals a file with bytes, and fills in its id,
// hash and size. It returns false for media without bytes.
func (s *Store) prepareMedia(md *core.Media, now time.Time) (preparedMedia, bool) {
	if len(md.Data) == 0 {
		return preparedMedia{}, false
	}
	sum := sha256.Sum256(md.Data)
	id := hex.EncodeToString(sum[:])
	md.ID, md.SHA256, md.Size = id, id, len(md.Data)
	return preparedMedia{id: id, value: s.ks.Seal(nMedia, []byte(id), model.EncodeMedia(md, now))}, true
}

// seqID is the ordered, zero-padded form of a sequence number, as ids of
// outbox items and records are written.
func seqID(n int64) string { return fmt.Sprintf("%020d", n) }

// Commit applies one turn in one transaction, as the contract says (see
// the bbolt store's Commit for every rule; both pass the same suite). A
// turn whose inbound id was seen returns core.ErrDuplicate and changes
// nothing. Inside LockContact's hold it commits in the held transaction;
// (its context carries it); otherwise it takes the contact's advisory
// lock itself, so it waits for a turn of the contact in flight in any
// process.
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
	ck := s.ks.ContactKey(contact)
	now := s.now()
	c := &turnCommit{s: s, t: t, ck: ck, urn: seal.Normalize(contact), contact: contact, now: now}
	if err := c.prepare(); err != nil {
		return fmt.Errorf("commit turn of contact %s: %w", short(ck), err)
	}
	err := errHoldSpent
	if h := heldTurnOf(ctx, ck); h != nil {
		err = h.commit(func(tx dbtx) error { return c.run(ctx, tx, false) })
	}
	if errors.Is(err, errHoldSpent) {
		err = s.commitAlone(ctx, c)
	}
	if errors.Is(err, errDuplicate) {
		return core.ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("commit turn of contact %s: %w", short(ck), err)
	}
	for ch := range c.channels {
		s.notify(topicOutbox, ch) // the other processes' senders
	}
	if !t.Erase && !noticesOnly(t) {
		s.notify(topicLead, s.id+" "+model.LeadID(ck)) // the other processes' consoles
	}
	if t.Erase {
		s.log.Info("contact erased", "contact", short(ck), "actor", model.ChatEraseActor)
	}
	return nil
}

// commitAlone runs a turn's transaction on a connection of its own: BEGIN
// and the contact's lock go in the first batch, COMMIT in the last.
func (s *Store) commitAlone(ctx context.Context, c *turnCommit) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if err := c.run(ctx, conn, true); err != nil {
		rollback(conn)
		return err
	}
	return nil
}

// errDuplicate rolls back a duplicate turn's transaction.
var errDuplicate = errors.New("duplicate")

// turnCommit is one turn on its way into the database.
type turnCommit struct {
	s         *Store
	t         *core.Turn
	ck, urn   string
	contact   string
	now       time.Time
	media     []preparedMedia
	seenKey   []byte
	seenValue []byte
	session   []byte
	lastIn    []byte
	channels  map[string]bool // the outbound messages' channels
	timers    []preparedTimer // the session's timers, sealed
}

// prepare seals what does not depend on the database and fills in the
// outbound messages' defaults.
func (c *turnCommit) prepare() error {
	s, t := c.s, c.t
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
	for _, o := range c.queued() {
		if o.Media != nil {
			kept = append(kept, o.Media)
		}
	}
	for _, md := range kept {
		if pm, ok := s.prepareMedia(md, c.now); ok {
			c.media = append(c.media, pm)
		}
	}
	for _, o := range c.queued() {
		if o.Contact == "" {
			o.Contact = c.contact
		}
		if o.Channel == "" && t.Inbound != nil {
			o.Channel = t.Inbound.Channel
		}
		if o.Channel == "" {
			return errors.New("outbound message without a channel")
		}
		if o.Created.IsZero() {
			o.Created = c.now
		}
		if o.ReplyTo == "" && t.Inbound != nil && o.Notice == nil {
			o.ReplyTo = t.Inbound.ID
		}
	}
	var err error
	if in := t.Inbound; in != nil {
		c.seenKey = s.ks.SeenKey(in.Channel, in.ID)
		if c.seenValue, err = s.sealJSON(nSeen, string(c.seenKey), seenRecord{Channel: in.Channel, ID: in.ID, Time: c.now}); err != nil {
			return err
		}
	}
	if t.Erase {
		return nil
	}
	if in := t.Inbound; in != nil && !in.Echo {
		// An echo (the business's own message from the WhatsApp app)
		// opens no window: the customer's last message stays.
		at := in.Time
		if at.IsZero() {
			at = c.now
		}
		if c.lastIn, err = s.sealJSON(nLastInbound, c.ck, lastInbound{Contact: c.urn, Time: at}); err != nil {
			return err
		}
	}
	if t.Session != nil {
		if c.session, err = s.sealJSON(nSession, c.ck, t.Session); err != nil {
			return err
		}
		if c.timers, err = s.prepareTimers(c.ck, c.urn, t.Session.Timers); err != nil {
			return err
		}
	}
	if t.Project != nil && t.Project.ID == "" {
		return errors.New("project without an id")
	}
	for _, q := range t.Quotes {
		if q == nil || q.ID == "" {
			return errors.New("quote without an id")
		}
	}
	return nil
}

// queued are the turn's outbound messages and then its notices, in the
// order they are queued.
func (c *turnCommit) queued() []*core.Outbound {
	out := make([]*core.Outbound, 0, len(c.t.Outbound)+len(c.t.Notices))
	for i := range c.t.Outbound {
		out = append(out, &c.t.Outbound[i])
	}
	for i := range c.t.Notices {
		out = append(out, &c.t.Notices[i])
	}
	return out
}

// stored is what a turn reads of its contact in its first round trip.
type stored struct {
	session, contact, lead []byte
	once                   *time.Time
	outIDs, msgIDs         []int64
	quotes                 map[string][]byte
	consents               map[string][]byte
	recordIDs              []int64
}

// run is the turn's transaction: lock the contact's row, mark the inbound
// id seen (a duplicate stops here), read what the turn updates, then write
// everything in one batch.
//
// With begin, the first batch begins the transaction and takes the
// contact's lock; the last one commits it.
func (c *turnCommit) run(ctx context.Context, tx dbtx, begin bool) error {
	st, err := c.read(ctx, tx, begin)
	if err != nil {
		return err
	}
	if c.t.Once != nil && st.once != nil && c.now.Sub(*st.once) < c.t.Once.Within {
		return errDuplicate
	}
	b := &pgx.Batch{}
	if c.t.Once != nil {
		b.Queue(`INSERT INTO once (ck, key, at) VALUES ($1, $2, $3) ON CONFLICT (ck, key) DO UPDATE SET at = EXCLUDED.at`, c.ck, c.t.Once.Key, c.now)
	}
	if c.t.Erase {
		if err := c.s.auditBatch(b, c.t.Audit); err != nil {
			return err
		}
		if err := sendBatch(ctx, tx, b); err != nil {
			return err
		}
		if _, err := c.s.eraseTx(ctx, tx, c.urn, model.ChatEraseActor, c.now); err != nil {
			return err
		}
		b = &pgx.Batch{}
		c.queueMedia(b)
		if err := c.queueOutbound(b, st); err != nil {
			return err
		}
		b.Queue(`COMMIT`)
		return sendBatch(ctx, tx, b)
	}
	if err := c.queueRecords(b, st); err != nil {
		return err
	}
	if c.t.Session != nil {
		c.s.queueTimers(b, c.ck, c.timers)
	}
	c.queueSteps(b)
	c.queueMedia(b)
	if err := c.queueOutbound(b, st); err != nil {
		return err
	}
	lead, err := c.lead(st)
	if err != nil {
		return err
	}
	if lead != nil {
		if err := c.s.queueLeadRow(b, c.ck, lead.row); err != nil {
			return err
		}
	}
	if lead == nil || model.SameContribution(lead.old, lead.row) {
		b.Queue(`COMMIT`)
		return sendBatch(ctx, tx, b)
	}
	if err := sendBatch(ctx, tx, b); err != nil {
		return err
	}
	if err := c.s.moveStats(ctx, tx, c.ck, lead.old, lead.row); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `COMMIT`)
	return err
}

// read locks the contact's row, marks the inbound id seen, and reads the
// records the turn updates, in one round trip.
func (c *turnCommit) read(ctx context.Context, tx dbtx, begin bool) (*stored, error) {
	t := c.t
	st := &stored{quotes: map[string][]byte{}, consents: map[string][]byte{}}
	b := &pgx.Batch{}
	if begin {
		b.Queue(`BEGIN`)
		c.s.queueContactLock(b, c.ck)
	}
	b.Queue(`INSERT INTO contacts (ck) VALUES ($1) ON CONFLICT (ck) DO NOTHING`, c.ck)
	b.Queue(`SELECT session, contact, lead FROM contacts WHERE ck = $1 FOR UPDATE`, c.ck).QueryRow(func(r pgx.Row) error {
		return r.Scan(&st.session, &st.contact, &st.lead)
	})
	dup := false
	if t.Inbound != nil {
		b.Queue(`INSERT INTO seen (key, at, value) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`, c.seenKey, c.now, c.seenValue).
			Exec(func(tag pgconn.CommandTag) error {
				dup = tag.RowsAffected() == 0
				return nil
			})
	}
	if len(t.Payments) > 0 {
		ids := make([]string, len(t.Payments))
		for i, p := range t.Payments {
			ids[i] = p.ID
		}
		// A provider's retried event: the turn is a duplicate.
		b.Queue(`SELECT EXISTS (SELECT 1 FROM payments WHERE id = ANY($1))`, ids).QueryRow(func(r pgx.Row) error {
			var paid bool
			if err := r.Scan(&paid); err != nil {
				return err
			}
			dup = dup || paid
			return nil
		})
	}
	if t.Once != nil {
		b.Queue(`SELECT at FROM once WHERE ck = $1 AND key = $2`, c.ck, t.Once.Key).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var at time.Time
				if err := rows.Scan(&at); err != nil {
					return err
				}
				st.once = &at
			}
			return rows.Err()
		})
	}
	nMsgs := len(t.Outbound) // notices are not logged
	if t.Inbound != nil {
		nMsgs++
	}
	if t.Erase {
		nMsgs = 0
	}
	queueIDs(b, "outbox_ids", len(t.Outbound)+len(t.Notices), &st.outIDs)
	queueIDs(b, "messages_id_seq", nMsgs, &st.msgIDs)
	if !t.Erase {
		empty := 0
		for _, q := range t.Quotes {
			b.Queue(`SELECT value FROM quotes WHERE id = $1 FOR UPDATE`, q.ID).Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var v []byte
					if err := rows.Scan(&v); err != nil {
						return err
					}
					st.quotes[q.ID] = v
				}
				return rows.Err()
			})
		}
		for _, cr := range t.Consents {
			if cr.ID == "" {
				empty++
				continue
			}
			if cr.Text == "" {
				b.Queue(`SELECT value FROM consents WHERE ck = $1 AND id = $2`, c.ck, cr.ID).Query(func(rows pgx.Rows) error {
					for rows.Next() {
						var v []byte
						if err := rows.Scan(&v); err != nil {
							return err
						}
						st.consents[cr.ID] = v
					}
					return rows.Err()
				})
			}
		}
		queueIDs(b, "record_ids", empty, &st.recordIDs)
	}
	if err := sendBatch(ctx, tx, b); err != nil {
		return nil, err
	}
	if dup {
		return nil, errDuplicate
	}
	return st, nil
}

// queueIDs queues taking n numbers of a sequence into out.
func queueIDs(b *pgx.Batch, seq string, n int, out *[]int64) {
	if n == 0 {
		return
	}
	b.Queue(`SELECT nextval('`+seq+`') FROM generate_series(1, $1)`, n).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			*out = append(*out, id)
		}
		return rows.Err()
	})
}

// sendBatch runs a batch, returning the first error.
func sendBatch(ctx context.Context, tx dbtx, b *pgx.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// queueRecords queues the turn's inbound log entry, session, contact,
// project, quotes, consents, opt events, AI records and audit entries.
func (c *turnCommit) queueRecords(b *pgx.Batch, st *stored) error {
	s, t := c.s, c.t
	if in := t.Inbound; in != nil {
		// The log is keyed by when the turn ran, as its replies are, so a
		// customer's message always stands before the bot's answer to it.
		keyAt := in.Time
		if keyAt.IsZero() {
			keyAt = c.now
		}
		if t.Session != nil && !t.Session.Updated.IsZero() {
			keyAt = t.Session.Updated
		}
		id := st.msgIDs[0]
		st.msgIDs = st.msgIDs[1:]
		m := model.InboundMessage(in)
		if in.Echo {
			// The business wrote from its WhatsApp Business app: its
			// message, already delivered.
			m = model.EchoMessage(in)
		}
		v, err := s.sealJSON(nMessages, strconv.FormatInt(id, 10), m)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO messages (id, ck, at, value) VALUES ($1, $2, $3, $4)`, id, c.ck, keyAt, v)
		if c.lastIn != nil {
			b.Queue(`UPDATE contacts SET last_inbound = $2 WHERE ck = $1`, c.ck, c.lastIn)
		}
	}
	if c.session != nil {
		b.Queue(`UPDATE contacts SET session = $2 WHERE ck = $1`, c.ck, c.session)
	}
	if t.Contact != nil {
		cc := *t.Contact
		if cc.Created.IsZero() && st.contact != nil {
			var old core.Contact
			if err := s.openJSON(nContact, c.ck, st.contact, &old); err != nil {
				return err
			}
			cc.Created = old.Created
		}
		v, err := s.sealJSON(nContact, c.ck, cc)
		if err != nil {
			return err
		}
		b.Queue(`UPDATE contacts SET contact = $2 WHERE ck = $1`, c.ck, v)
	}
	if p := t.Project; p != nil {
		v, err := s.sealJSON(nProjects, c.ck+"/"+p.ID, p)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO projects (ck, id, retain_from, value) VALUES ($1, $2, $3, $4)
			ON CONFLICT (ck, id) DO UPDATE SET retain_from = EXCLUDED.retain_from, value = EXCLUDED.value`, c.ck, p.ID, model.ProjectEnd(p), v)
	}
	for _, q := range t.Quotes {
		if err := c.queueQuote(b, q, st.quotes[q.ID]); err != nil {
			return err
		}
	}
	for _, cr := range t.Consents {
		if cr.ID == "" {
			cr.ID = "c" + seqID(st.recordIDs[0])
			st.recordIDs = st.recordIDs[1:]
		}
		key := c.ck + "/" + cr.ID
		if raw := st.consents[cr.ID]; raw != nil {
			var old core.ConsentRecord
			if err := s.openJSON(nConsents, key, raw, &old); err != nil {
				return err
			}
			cr = model.MergeConsent(&old, cr)
		}
		v, err := s.sealJSON(nConsents, key, cr)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO consents (ck, id, value) VALUES ($1, $2, $3) ON CONFLICT (ck, id) DO UPDATE SET value = EXCLUDED.value`, c.ck, cr.ID, v)
	}
	for _, p := range t.Payments {
		if err := s.queuePayment(b, p); err != nil {
			return err
		}
	}
	for _, ev := range t.OptEvents {
		v, err := s.sealJSON(nOptEvents, c.ck, ev)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO opt_events (ck, at, value) VALUES ($1, $2, $3)`, c.ck, ev.Time, v)
	}
	for _, ai := range t.AI {
		v, err := s.sealJSON(nAI, c.ck, ai)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO ai_records (ck, at, value) VALUES ($1, $2, $3)`, c.ck, ai.Time, v)
	}
	return s.auditBatch(b, t.Audit)
}

// queueQuote queues a quote's upsert: when its priced content changed the
// stored version is kept as a revision; a paid quote is left as stored.
func (c *turnCommit) queueQuote(b *pgx.Batch, q *core.QuoteRecord, raw []byte) error {
	s := c.s
	var old *core.QuoteRecord
	if raw != nil {
		old = &core.QuoteRecord{}
		if err := s.openJSON(nQuotes, q.ID, raw, old); err != nil {
			return err
		}
	}
	rev, write := model.UpsertQuote(old, q, c.now)
	if !write {
		return nil
	}
	if rev != nil {
		v, err := s.sealJSON(nQuoteRevs, fmt.Sprintf("%s/%06d", q.ID, rev.Revision), rev)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO quote_revs (quote_id, revision, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, q.ID, rev.Revision, v)
	}
	v, err := s.sealJSON(nQuotes, q.ID, q)
	if err != nil {
		return err
	}
	ck := any(nil)
	if q.Contact != "" {
		ck = s.ks.ContactKey(q.Contact)
	}
	b.Queue(`INSERT INTO quotes (id, ck, value) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value, ck = coalesce(quotes.ck, EXCLUDED.ck)`, q.ID, ck, v)
	return nil
}

// queueMedia queues the turn's files and the contact's ownership of them.
func (c *turnCommit) queueMedia(b *pgx.Batch) {
	for _, pm := range c.media {
		b.Queue(`INSERT INTO media (id, value) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, pm.id, pm.value)
		b.Queue(`INSERT INTO media_owners (id, ck) VALUES ($1, $2) ON CONFLICT DO NOTHING`, pm.id, c.ck)
	}
}

// queueOutbound queues the turn's outbound messages and notices in the
// outbox, in order, with the messages' log entries (none for an erasing
// turn, never for a notice). The senders of the other processes are woken
// once the turn commits.
func (c *turnCommit) queueOutbound(b *pgx.Batch, st *stored) error {
	s, t := c.s, c.t
	c.channels = map[string]bool{}
	for i, o := range c.queued() {
		id := st.outIDs[i]
		o.ID = seqID(id)
		var msgID any
		if !t.Erase && o.Notice == nil {
			mid := st.msgIDs[0]
			st.msgIDs = st.msgIDs[1:]
			v, err := s.sealJSON(nMessages, strconv.FormatInt(mid, 10), model.OutboundMessage(o))
			if err != nil {
				return err
			}
			b.Queue(`INSERT INTO messages (id, ck, at, value) VALUES ($1, $2, $3, $4)`, mid, c.ck, o.Created, v)
			msgID = mid
		}
		v, err := s.sealJSON(outboxName(o.Channel), o.ID, outboxRecord{OutboxItem: core.OutboxItem{Outbound: *o}})
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO outbox (id, channel, ck, lane, message_id, value) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, o.Channel, s.ks.ContactKey(o.Contact), s.laneOf(o), msgID, v)
		c.channels[o.Channel] = true
	}
	return nil
}

// laneOf is the keyed hash of what orders an outbox item: its recipient,
// or a webhook's lead and receiver (core.Outbound.Lane). It holds no
// number and no URL.
func (s *Store) laneOf(o *core.Outbound) string {
	return hex.EncodeToString(s.ks.MAC("lane", o.Channel, seal.Normalize(o.Lane())))[:32]
}

// queueSteps counts the turn's funnel marks, each contact once per step
// and kind.
func (c *turnCommit) queueSteps(b *pgx.Batch) {
	for _, m := range c.t.Steps {
		if m.Flow == "" || m.Step == "" {
			continue
		}
		b.Queue(`INSERT INTO funnel_marks (ck, answered, flow, step) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, c.ck, m.Answered, m.Flow, m.Step)
	}
}

// auditBatch queues audit entries.
func (s *Store) auditBatch(b *pgx.Batch, entries []core.AuditEntry) error {
	for _, a := range entries {
		v, err := s.sealJSON(nAudit, "", a)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO audit (at, ck, value) VALUES ($1, $2, $3)`, a.Time, s.auditContact(a.Contact), v)
	}
	return nil
}

// auditContact is the contact key an audit entry is about (nil: none): the
// entry's contact is a contact key already, or a URN or number.
func (s *Store) auditContact(contact string) any {
	if contact == "" {
		return nil
	}
	if isContactKey(contact) {
		return contact
	}
	if n, err := core.NormalizeURN(contact); err == nil {
		return s.ks.ContactKey(n)
	}
	return nil
}

// isContactKey says whether s looks like a contact key (64 hex digits).
func isContactKey(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// turnLead is a turn's change of its contact's lead row.
type turnLead struct {
	old, row *model.LeadRecord
}

// lead computes the contact's new lead row from the turn and the stored
// records; nil when the turn does not change it.
func (c *turnCommit) lead(st *stored) (*turnLead, error) {
	s, t := c.s, c.t
	if noticesOnly(t) {
		return nil, nil // an event outside a conversation: the lead row stays
	}
	in := model.TurnInputs(c.now, t)
	if in.Session == nil && st.session != nil {
		var sess core.Session
		if err := s.openJSON(nSession, c.ck, st.session, &sess); err != nil {
			return nil, err
		}
		in.Session = &sess
	}
	if in.Contact == nil && st.contact != nil {
		var cc core.Contact
		if err := s.openJSON(nContact, c.ck, st.contact, &cc); err != nil {
			return nil, err
		}
		in.Contact = &cc
	}
	if in.Session == nil && in.Contact == nil {
		return nil, nil
	}
	old, err := s.decodeLead(c.ck, st.lead)
	if err != nil {
		return nil, err
	}
	var prev *model.LeadRecord
	if old != nil {
		cp := *old
		prev = &cp
	}
	return &turnLead{old: old, row: model.ComputeLead(c.ck, c.urn, prev, in)}, nil
}

// noticesOnly says whether a turn only queues notices (an event outside a
// conversation, Engine.Emit).
func noticesOnly(t *core.Turn) bool {
	return t.Inbound == nil && t.Session == nil && t.Contact == nil && t.Project == nil &&
		len(t.Quotes) == 0 && len(t.Outbound) == 0 && len(t.Notices) > 0
}

// Session returns the contact's session, or nil when there is none.
func (s *Store) Session(ctx context.Context, contact string) (*core.Session, error) {
	ck := s.ks.ContactKey(contact)
	var raw []byte
	var err error
	if h := heldTurnOf(ctx, ck); h != nil {
		if pre, ok := h.takeSession(); ok {
			return s.decodeSession(ck, pre)
		}
	}
	err = s.pool.QueryRow(ctx, `SELECT session FROM contacts WHERE ck = $1`, ck).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && raw == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	var sess core.Session
	if err := s.openJSON(nSession, ck, raw, &sess); err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	return &sess, nil
}

// decodeSession opens a stored session; nil for none.
func (s *Store) decodeSession(ck string, raw []byte) (*core.Session, error) {
	if raw == nil {
		return nil, nil
	}
	var sess core.Session
	if err := s.openJSON(nSession, ck, raw, &sess); err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	return &sess, nil
}

// Seen says whether an inbound message id was already handled.
func (s *Store) Seen(ctx context.Context, channel, id string) (bool, error) {
	var seen bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM seen WHERE key = $1)`, s.ks.SeenKey(channel, id)).Scan(&seen)
	if err != nil {
		return false, fmt.Errorf("seen: %w", err)
	}
	return seen, nil
}

// Media returns a stored file with its bytes, or core.ErrNotFound.
func (s *Store) Media(ctx context.Context, id string) (*core.Media, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM media WHERE id = $1`, id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("load media %s: %w", id, core.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load media %s: %w", id, err)
	}
	body, err := s.ks.Open(nMedia, []byte(id), raw)
	if err != nil {
		return nil, fmt.Errorf("load media %s: %w", id, err)
	}
	return model.DecodeMedia(id, body)
}

// LastInbound returns when the contact last wrote, or the zero time.
func (s *Store) LastInbound(ctx context.Context, contact string) (time.Time, error) {
	ck := s.ks.ContactKey(contact)
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT last_inbound FROM contacts WHERE ck = $1`, ck).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && raw == nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("last inbound: %w", err)
	}
	var li lastInbound
	if err := s.openJSON(nLastInbound, ck, raw, &li); err != nil {
		return time.Time{}, fmt.Errorf("last inbound: %w", err)
	}
	return li.Time, nil
}
