package store

// The lead index: one row per contact (lead_rows, sealed, keyed by contact
// key) that every turn keeps up to date, and three sorted indexes of
// marker keys that let a page of the lead list read only its own rows:
//
//	lead_time   INV/ck            every listed lead, newest activity first
//	lead_stage  STAGE/INV/ck      by pipeline stage
//	lead_tab    TAB/INV/ck        needs_me or bot
//
// INV is 16 hex digits of MaxUint64 minus the activity's Unix nanoseconds,
// so a forward cursor walks from the newest. The keys hold no personal
// data (a stage name, a time, a contact key); the values are sealed empty
// bodies. The
// totals per stage (lead_stats) change with each row. Rekey re-seals the
// rows like every contact-keyed record and rebuilds the indexes from them;
// a database written before the index existed gets rows built from its
// contacts on open.

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/allmyleads/allmyleads/engine/core"
)

var (
	bLeadRows  = []byte("lead_rows")  // ck -> LeadRow
	bLeadTime  = []byte("lead_time")  // INV/ck -> marker
	bLeadStage = []byte("lead_stage") // stage/INV/ck -> marker
	bLeadTab   = []byte("lead_tab")   // tab/INV/ck -> marker
	bLeadStats = []byte("lead_stats") // "stats" -> map stage -> StageStat
)

// leadIndexVersion is written to meta once the rows exist for every contact.
const leadIndexVersion = "1"

var (
	metaLeadIndex = []byte("lead_index")
	statsKey      = []byte("stats")
)

// leadIDLen is the length of a lead id: the start of its contact key.
const leadIDLen = 24

// leadID is a lead's id from its contact key.
func leadID(ck string) string { return ck[:leadIDLen] }

// LeadID returns the lead id of a contact.
func (s *Store) LeadID(contact string) string { return leadID(s.ContactKey(contact)) }

// invTime is the part of index keys that sorts newest first.
func invTime(t time.Time) string {
	ns := t.UnixNano()
	if ns < 0 || t.IsZero() {
		ns = 0
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], math.MaxUint64-uint64(ns))
	return hex.EncodeToString(b[:])
}

// rowTab is the tab a row is listed under besides All ("" for none).
func rowTab(r *core.LeadRow) string {
	if r.NeedsMe() {
		return core.TabNeedsMe
	}
	switch r.Stage {
	case core.StageNew, core.StageConversation, core.StageQuoted:
		return core.TabBot
	}
	return ""
}

// listed says whether a row shows in the lead list: a contact who
// declined or withdrew consent is not a lead, unless they wait for a person.
func listed(r *core.LeadRow, hidden bool) bool {
	return !hidden || r.NeedsMe()
}

// leadRecord is the sealed value of lead_rows: the row and what the index
// needs to find its keys again.
type leadRecord struct {
	core.LeadRow
	Hidden bool `json:"hidden,omitempty"` // no consent: not listed
}

func (r *leadRecord) isListed() bool { return listed(&r.LeadRow, r.Hidden) }

// indexKeys are the marker keys of a listed row.
func indexKeys(ck string, r *leadRecord) (timeKey, stageKey, tabKey []byte) {
	suffix := invTime(r.Activity) + "/" + ck
	timeKey = []byte(suffix)
	stageKey = []byte(r.Stage + "/" + suffix)
	if tab := rowTab(&r.LeadRow); tab != "" {
		tabKey = []byte(tab + "/" + suffix)
	}
	return
}

// getLead reads a contact's row.
func getLead(tx *bolt.Tx, ks *keyset, ck string) (*leadRecord, error) {
	var r leadRecord
	found, err := ks.getJSON(tx.Bucket(bLeadRows), string(bLeadRows), []byte(ck), &r)
	if err != nil || !found {
		return nil, err
	}
	return &r, nil
}

// putLead writes a contact's row (nil deletes it) and moves its index
// entries and totals from old to the new row.
func putLead(tx *bolt.Tx, ks *keyset, ck string, old, r *leadRecord) error {
	if old != nil && old.isListed() {
		if err := unindex(tx, ck, old); err != nil {
			return err
		}
	}
	if r == nil {
		if old == nil {
			return nil
		}
		return tx.Bucket(bLeadRows).Delete([]byte(ck))
	}
	if err := ks.putJSON(tx.Bucket(bLeadRows), string(bLeadRows), []byte(ck), r); err != nil {
		return err
	}
	if r.isListed() {
		return index(tx, ks, ck, r)
	}
	return nil
}

// index writes a listed row's marker keys. Markers are sealed like every
// value (an empty body), so the file holds nothing unsealed.
func index(tx *bolt.Tx, ks *keyset, ck string, r *leadRecord) error {
	tk, sk, ak := indexKeys(ck, r)
	for _, e := range []struct {
		bucket, key []byte
	}{{bLeadTime, tk}, {bLeadStage, sk}, {bLeadTab, ak}} {
		if e.key == nil {
			continue
		}
		if err := tx.Bucket(e.bucket).Put(e.key, ks.seal(string(e.bucket), e.key, nil)); err != nil {
			return err
		}
	}
	return nil
}

func unindex(tx *bolt.Tx, ck string, r *leadRecord) error {
	tk, sk, ak := indexKeys(ck, r)
	if err := tx.Bucket(bLeadTime).Delete(tk); err != nil {
		return err
	}
	if err := tx.Bucket(bLeadStage).Delete(sk); err != nil {
		return err
	}
	if ak != nil {
		return tx.Bucket(bLeadTab).Delete(ak)
	}
	return nil
}

// stats are the totals per stage.
type stats map[string]*core.StageStat

func getStats(tx *bolt.Tx, ks *keyset) (stats, error) {
	st := stats{}
	_, err := ks.getJSON(tx.Bucket(bLeadStats), string(bLeadStats), statsKey, &st)
	return st, err
}

func (st stats) add(r *leadRecord, sign int) {
	if r == nil || !r.isListed() {
		return
	}
	s := st[r.Stage]
	if s == nil {
		s = &core.StageStat{Stage: r.Stage}
		st[r.Stage] = s
	}
	s.Count += sign
	if r.Currency != "" && r.QuoteTotal != 0 {
		if s.Value == nil {
			s.Value = map[string]int64{}
		}
		s.Value[r.Currency] += int64(sign) * r.QuoteTotal
		if s.Value[r.Currency] == 0 {
			delete(s.Value, r.Currency)
		}
	}
}

// changeLead applies fn to the contact's row (nil when there is none; fn
// returns the new row, nil to delete) and keeps the indexes and totals.
func changeLead(tx *bolt.Tx, ks *keyset, ck string, fn func(old *leadRecord) *leadRecord) error {
	old, err := getLead(tx, ks, ck)
	if err != nil {
		return err
	}
	var prev *leadRecord
	if old != nil {
		cp := *old
		prev = &cp
	}
	r := fn(old)
	if r == nil && prev == nil {
		return nil
	}
	if err := putLead(tx, ks, ck, prev, r); err != nil {
		return err
	}
	if sameContribution(prev, r) {
		return nil // most turns move no lead to another stage: the totals stay
	}
	st, err := getStats(tx, ks)
	if err != nil {
		return err
	}
	st.add(prev, -1)
	st.add(r, +1)
	return ks.putJSON(tx.Bucket(bLeadStats), string(bLeadStats), statsKey, st)
}

// sameContribution says whether two versions of a row count the same in
// the totals per stage.
func sameContribution(a, b *leadRecord) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.isListed() == b.isListed() && a.Stage == b.Stage && a.Currency == b.Currency && a.QuoteTotal == b.QuoteTotal
}

// leadInputs are what a row is computed from; nil fields are read from
// the transaction when needed.
type leadInputs struct {
	session  *core.Session
	contact  *core.Contact
	project  *core.Project
	activity time.Time
	lastText string
	now      time.Time
	// quote is the contact's latest quote as stored, when the caller just
	// changed it outside the conversation (mark paid); nil: the
	// conversation's copy, unless the row knows it paid or lost.
	quote *core.QuoteRecord
}

// refreshLead recomputes a contact's row after a change.
func refreshLead(tx *bolt.Tx, ks *keyset, ck, urn string, in leadInputs) error {
	if in.session == nil {
		var sess core.Session
		found, err := ks.getJSON(tx.Bucket(bSessions), string(bSessions), []byte(ck), &sess)
		if err != nil {
			return err
		}
		if found {
			in.session = &sess
		}
	}
	if in.contact == nil {
		var c core.Contact
		found, err := ks.getJSON(tx.Bucket(bContacts), string(bContacts), []byte(ck), &c)
		if err != nil {
			return err
		}
		if found {
			in.contact = &c
		}
	}
	if in.session == nil && in.contact == nil {
		return nil // nothing about the contact is kept (an erasing turn's outbox)
	}
	return changeLead(tx, ks, ck, func(old *leadRecord) *leadRecord { return computeLead(ck, urn, old, in) })
}

// computeLead is a contact's new row from its old one and its records.
func computeLead(ck, urn string, old *leadRecord, in leadInputs) *leadRecord {
	quote := in.quote
	if in.session != nil && in.session.Quote != nil && (quote == nil || quote.ID != in.session.Quote.ID) {
		quote, in.quote = in.session.Quote, nil // the conversation has moved on to a newer quote
	}
	r := &leadRecord{}
	if old != nil {
		*r = *old
	}
	if in.quote == nil && quote != nil && old != nil && old.QuoteID == quote.ID && quote.Status != old.QuoteStatus &&
		(old.QuoteStatus == core.QuotePaid || old.QuoteStatus == core.QuoteLost) && quote.Status != core.QuotePaid {
		// The business marked it paid or lost outside the conversation
		// (the store kept it so): the conversation's older copy does not
		// undo that.
		kept := *quote
		kept.Status = old.QuoteStatus
		quote = &kept
	}
	r.ID, r.Contact = leadID(ck), urn
	r.Phone, _ = core.URNPhone(urn)
	fillRow(r, in, quote)
	return r
}

// fillRow sets a row's fields from a contact's records.
func fillRow(r *leadRecord, in leadInputs, quote *core.QuoteRecord) {
	sess, c := in.session, in.contact
	if c != nil {
		r.Name, r.Email, r.Company = c.Name, c.Email, c.Company
		if r.Name == "" {
			r.Name = c.ProfileName
		}
		if r.Created.IsZero() || (!c.Created.IsZero() && c.Created.Before(r.Created)) {
			r.Created = c.Created
		}
		r.Hidden = (c.Status == "no_consent" || c.Status == "consent_withdrawn")
		if !c.LastInbound.IsZero() {
			r.LastInbound = c.LastInbound
		}
	}
	if sess != nil {
		r.Channel = sess.Channel
		r.Language = str(sess.Vars, "lead.language")
		if s := str(sess.Vars, "project.service"); s != "" {
			r.Service = s
		}
		if !sess.LastInbound.IsZero() {
			r.LastInbound = sess.LastInbound
		}
		if r.Created.IsZero() {
			r.Created = sess.Started
		}
	}
	if in.project != nil && in.project.Service != "" {
		r.Service = in.project.Service
	}
	r.Handler = core.HandlerBot
	if sess != nil && sess.Handoff {
		r.Handler = core.HandlerPerson
	}
	if quote != nil {
		r.QuoteID, r.QuoteStatus, r.QuoteRev = quote.ID, quote.Status, quote.Revision
		r.Currency, r.QuoteTotal, r.ValidUntil = quote.Currency, quote.Total, quote.ValidUntil
		if quote.Status == core.QuoteLost {
			r.Lost, r.LostReason = true, quote.LostReason
		}
	} else if sess != nil {
		r.QuoteID, r.QuoteStatus, r.QuoteRev, r.Currency, r.QuoteTotal, r.ValidUntil = "", "", 0, "", 0, time.Time{}
	}
	if in.activity.After(r.Activity) {
		r.Activity = in.activity
	}
	if r.Activity.IsZero() {
		r.Activity = in.now
	}
	if in.lastText != "" {
		r.LastText = preview(in.lastText)
	}
	r.Stage = core.LeadStage(sess, c, quote, r.Lost, in.now)
}

// str reads a string at a dotted path of variables.
func str(vars map[string]any, path string) string {
	var v any = vars
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// preview is the start of a message for the inbox.
func preview(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 90
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// turnInputs are what a turn tells about its contact's row.
func turnInputs(now time.Time, t *core.Turn) leadInputs {
	in := leadInputs{session: t.Session, contact: t.Contact, project: t.Project, now: now}
	if t.Session != nil && !t.Session.Updated.IsZero() {
		in.activity = t.Session.Updated
	} else {
		in.activity = now
	}
	if t.Inbound != nil {
		in.lastText = t.Inbound.Text
		if in.lastText == "" {
			in.lastText = t.Inbound.ReplyTitle
		}
		if in.lastText == "" && len(t.Inbound.Media) > 0 {
			in.lastText = "[" + string(t.Inbound.Kind) + "]"
		}
		if t.Inbound.Echo && in.lastText != "" {
			in.lastText = core.AuthorOwnerApp + ": " + in.lastText
		}
	}
	for _, o := range t.Outbound {
		if o.Author != "" && o.Text != "" {
			in.lastText = o.Author + ": " + o.Text
		}
	}
	return in
}

// sendOutcome records on the contact's row that a message went out
// (failures are forgotten) or failed.
func sendOutcome(tx *bolt.Tx, ks *keyset, contact string, failed bool) error {
	ck := ks.contactKey(contact)
	old, err := getLead(tx, ks, ck)
	if err != nil || old == nil || (!failed && old.FailedSends == 0) {
		return err
	}
	return changeLead(tx, ks, ck, func(old *leadRecord) *leadRecord {
		r := *old
		if failed {
			r.FailedSends++
		} else {
			r.FailedSends = 0
		}
		return &r
	})
}

// dropLead removes a contact's row and its index entries.
func dropLead(tx *bolt.Tx, ks *keyset, ck string) error {
	return changeLead(tx, ks, ck, func(*leadRecord) *leadRecord { return nil })
}

// ensureLeadIndex builds the rows of a database written before the lead
// index existed, once.
func ensureLeadIndex(tx *bolt.Tx, ks *keyset, now time.Time) error {
	meta := tx.Bucket(bMeta)
	if string(meta.Get(metaLeadIndex)) == leadIndexVersion {
		return nil
	}
	if err := buildLeadRows(tx, ks, now); err != nil {
		return fmt.Errorf("build lead index: %w", err)
	}
	return meta.Put(metaLeadIndex, []byte(leadIndexVersion))
}

// buildLeadRows makes a row for every contact that has none.
func buildLeadRows(tx *bolt.Tx, ks *keyset, now time.Time) error {
	type todo struct {
		ck string
		c  core.Contact
	}
	var list []todo
	err := tx.Bucket(bContacts).ForEach(func(k, v []byte) error {
		if tx.Bucket(bLeadRows).Get(k) != nil {
			return nil
		}
		var c core.Contact
		if err := ks.decode(string(bContacts), k, v, &c); err != nil {
			return err
		}
		list = append(list, todo{string(k), c})
		return nil
	})
	if err != nil {
		return err
	}
	for _, td := range list {
		c := td.c
		activity := c.Updated
		if c.LastInbound.After(activity) {
			activity = c.LastInbound
		}
		if err := refreshLead(tx, ks, td.ck, normalize(c.URN), leadInputs{contact: &c, activity: activity, now: now}); err != nil {
			return err
		}
	}
	return nil
}

// rebuildLeadIndexes empties the marker indexes and totals and makes them
// again from the rows (after a rekey changed every contact key).
func rebuildLeadIndexes(tx *bolt.Tx, ks *keyset) error {
	for _, name := range [][]byte{bLeadTime, bLeadStage, bLeadTab, bLeadStats} {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	st := stats{}
	err := tx.Bucket(bLeadRows).ForEach(func(k, v []byte) error {
		var r leadRecord
		if err := ks.decode(string(bLeadRows), k, v, &r); err != nil {
			return err
		}
		if !r.isListed() {
			return nil
		}
		st.add(&r, +1)
		return index(tx, ks, string(k), &r)
	})
	if err != nil {
		return err
	}
	return ks.putJSON(tx.Bucket(bLeadStats), string(bLeadStats), statsKey, st)
}

// Lead list cursors are the index key's suffix (INV/ck), base64url.

func encodeCursor(suffix []byte) string { return base64.RawURLEncoding.EncodeToString(suffix) }

// ErrBadCursor is returned for a cursor this store did not make.
var ErrBadCursor = errors.New("invalid cursor")

func decodeCursor(c string) ([]byte, error) {
	if c == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 16+1+ckLen || b[16] != '/' {
		return nil, ErrBadCursor
	}
	return b, nil
}

// scanIndex walks the index keys under the prefixes (several are merged by
// key order) from after the cursor, giving fn each suffix INV/ck until fn
// returns false.
func scanIndex(b *bolt.Bucket, prefixes []string, after []byte, fn func(suffix []byte) (bool, error)) error {
	type head struct {
		c      *bolt.Cursor
		prefix []byte
		suffix []byte
	}
	var heads []*head
	for _, p := range prefixes {
		h := &head{c: b.Cursor(), prefix: []byte(p)}
		seek := append(append([]byte(nil), h.prefix...), after...)
		k, _ := h.c.Seek(seek)
		if after != nil && k != nil && bytes.Equal(k, seek) {
			k, _ = h.c.Next()
		}
		if k != nil && bytes.HasPrefix(k, h.prefix) {
			h.suffix = k[len(h.prefix):]
			heads = append(heads, h)
		}
	}
	for len(heads) > 0 {
		best := 0
		for i := range heads {
			if bytes.Compare(heads[i].suffix, heads[best].suffix) < 0 {
				best = i
			}
		}
		h := heads[best]
		more, err := fn(h.suffix)
		if err != nil || !more {
			return err
		}
		k, _ := h.c.Next()
		if k != nil && bytes.HasPrefix(k, h.prefix) {
			h.suffix = k[len(h.prefix):]
		} else {
			heads = slices.Delete(heads, best, best+1)
		}
	}
	return nil
}

// maxLeadPage bounds a page of the lead list.
const maxLeadPage = 200

// queryLeads reads one page of the lead list.
func queryLeads(tx *bolt.Tx, ks *keyset, q core.LeadQuery, now time.Time) (*core.LeadPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, maxLeadPage)
	after, err := decodeCursor(q.Cursor)
	if err != nil {
		return nil, err
	}
	if after == nil && !q.Until.IsZero() {
		// Start just before the first key of Until (activity < Until).
		after = []byte(invTime(q.Until.Add(-time.Nanosecond))[:16] + "/")
	}
	stage := q.Stage
	var bucket *bolt.Bucket
	var prefixes []string
	switch {
	case stage == core.StageExpired:
		bucket, prefixes = tx.Bucket(bLeadStage), []string{core.StageQuoted + "/", core.StageExpired + "/"}
	case stage != "":
		bucket, prefixes = tx.Bucket(bLeadStage), []string{stage + "/"}
	case q.Tab == core.TabNeedsMe || q.Tab == core.TabBot:
		bucket, prefixes = tx.Bucket(bLeadTab), []string{q.Tab + "/"}
	default:
		bucket, prefixes = tx.Bucket(bLeadTime), []string{""}
	}
	var sinceKey string
	if !q.Since.IsZero() {
		sinceKey = invTime(q.Since)
	}
	search := strings.ToLower(strings.TrimSpace(q.Search))
	digits := onlyDigits(search)
	page := &core.LeadPage{Leads: []core.LeadRow{}}
	var last []byte
	rows := tx.Bucket(bLeadRows)
	err = scanIndex(bucket, prefixes, after, func(suffix []byte) (bool, error) {
		if sinceKey != "" && string(suffix[:16]) > sinceKey {
			return false, nil // older than Since: the rest is older still
		}
		if len(page.Leads) == limit {
			page.NextCursor = encodeCursor(last)
			return false, nil
		}
		ck := string(suffix[17:])
		var r leadRecord
		raw := rows.Get([]byte(ck))
		if raw == nil {
			return true, nil
		}
		if err := ks.decode(string(bLeadRows), []byte(ck), raw, &r); err != nil {
			return false, err
		}
		row := r.LeadRow
		row.Stage = currentStage(&r, now)
		if stage != "" && row.Stage != stage {
			return true, nil
		}
		if q.Tab == core.TabBot && row.Stage == core.StageExpired {
			return true, nil
		}
		if search != "" && !matchesSearch(&row, search, digits) {
			return true, nil
		}
		page.Leads = append(page.Leads, row)
		last = append(last[:0], suffix...)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	st, err := getStats(tx, ks)
	if err != nil {
		return nil, err
	}
	for _, name := range core.Stages() {
		if s := st[name]; s != nil && s.Count > 0 {
			page.Stages = append(page.Stages, *s)
		} else {
			page.Stages = append(page.Stages, core.StageStat{Stage: name})
		}
	}
	return page, nil
}

// currentStage is a row's stage now: an unanswered quote whose validity
// passed since the row was written has expired.
func currentStage(r *leadRecord, now time.Time) string {
	stored := r.LeadRow.Stage
	if r.Hidden && stored == "" {
		return core.StageConversation
	}
	if stored == core.StageQuoted && !r.ValidUntil.IsZero() && now.After(r.ValidUntil) {
		return core.StageExpired
	}
	return stored
}

func matchesSearch(r *core.LeadRow, search, digits string) bool {
	if strings.Contains(strings.ToLower(r.Name), search) || strings.Contains(strings.ToLower(r.Email), search) ||
		strings.Contains(strings.ToLower(r.Company), search) {
		return true
	}
	return len(digits) >= 3 && strings.Contains(onlyDigits(r.Phone+" "+core.URNPath(r.Contact)), digits)
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
