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
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
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

// leadID is a lead's id from its contact key.
func leadID(ck string) string { return model.LeadID(ck) }

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

// indexKeys are the marker keys of a listed row.
func indexKeys(ck string, r *model.LeadRecord) (timeKey, stageKey, tabKey []byte) {
	suffix := invTime(r.Activity) + "/" + ck
	timeKey = []byte(suffix)
	stageKey = []byte(r.Stage + "/" + suffix)
	if tab := r.Tab(); tab != "" {
		tabKey = []byte(tab + "/" + suffix)
	}
	return
}

// getLead reads a contact's row.
func getLead(tx *bolt.Tx, ks *keyset, ck string) (*model.LeadRecord, error) {
	var r model.LeadRecord
	found, err := ks.getJSON(tx.Bucket(bLeadRows), string(bLeadRows), []byte(ck), &r)
	if err != nil || !found {
		return nil, err
	}
	return &r, nil
}

// putLead writes a contact's row (nil deletes it) and moves its index
// entries and totals from old to the new row.
func putLead(tx *bolt.Tx, ks *keyset, ck string, old, r *model.LeadRecord) error {
	if old != nil && old.IsListed() {
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
	if r.IsListed() {
		return index(tx, ks, ck, r)
	}
	return nil
}

// index writes a listed row's marker keys. Markers are sealed like every
// value (an empty body), so the file holds nothing unsealed.
func index(tx *bolt.Tx, ks *keyset, ck string, r *model.LeadRecord) error {
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

func unindex(tx *bolt.Tx, ck string, r *model.LeadRecord) error {
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

func getStats(tx *bolt.Tx, ks *keyset) (model.Stats, error) {
	st := model.Stats{}
	_, err := ks.getJSON(tx.Bucket(bLeadStats), string(bLeadStats), statsKey, &st)
	return st, err
}

// changeLead applies fn to the contact's row (nil when there is none; fn
// returns the new row, nil to delete) and keeps the indexes and totals.
func changeLead(tx *bolt.Tx, ks *keyset, ck string, fn func(old *model.LeadRecord) *model.LeadRecord) error {
	old, err := getLead(tx, ks, ck)
	if err != nil {
		return err
	}
	var prev *model.LeadRecord
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
	if model.SameContribution(prev, r) {
		return nil // most turns move no lead to another stage: the totals stay
	}
	st, err := getStats(tx, ks)
	if err != nil {
		return err
	}
	st.Add(prev, -1)
	st.Add(r, +1)
	return ks.putJSON(tx.Bucket(bLeadStats), string(bLeadStats), statsKey, st)
}

// refreshLead recomputes a contact's row after a change.
func refreshLead(tx *bolt.Tx, ks *keyset, ck, urn string, in model.LeadInputs) error {
	if in.Session == nil {
		var sess core.Session
		found, err := ks.getJSON(tx.Bucket(bSessions), string(bSessions), []byte(ck), &sess)
		if err != nil {
			return err
		}
		if found {
			in.Session = &sess
		}
	}
	if in.Contact == nil {
		var c core.Contact
		found, err := ks.getJSON(tx.Bucket(bContacts), string(bContacts), []byte(ck), &c)
		if err != nil {
			return err
		}
		if found {
			in.Contact = &c
		}
	}
	if in.Session == nil && in.Contact == nil {
		return nil // nothing about the contact is kept (an erasing turn's outbox)
	}
	return changeLead(tx, ks, ck, func(old *model.LeadRecord) *model.LeadRecord { return model.ComputeLead(ck, urn, old, in) })
}

// sendOutcome records on the contact's row that a message went out
// (failures are forgotten) or failed.
func sendOutcome(tx *bolt.Tx, ks *keyset, contact string, failed bool) error {
	ck := ks.contactKey(contact)
	old, err := getLead(tx, ks, ck)
	if err != nil || model.SendOutcome(old, failed) == nil {
		return err
	}
	return changeLead(tx, ks, ck, func(old *model.LeadRecord) *model.LeadRecord { return model.SendOutcome(old, failed) })
}

// dropLead removes a contact's row and its index entries.
func dropLead(tx *bolt.Tx, ks *keyset, ck string) error {
	return changeLead(tx, ks, ck, func(*model.LeadRecord) *model.LeadRecord { return nil })
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
		if err := refreshLead(tx, ks, td.ck, normalize(c.URN), model.LeadInputs{Contact: &c, Activity: activity, Now: now}); err != nil {
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
	st := model.Stats{}
	err := tx.Bucket(bLeadRows).ForEach(func(k, v []byte) error {
		var r model.LeadRecord
		if err := ks.decode(string(bLeadRows), k, v, &r); err != nil {
			return err
		}
		if !r.IsListed() {
			return nil
		}
		st.Add(&r, +1)
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
var ErrBadCursor = model.ErrBadCursor

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

// queryLeads reads one page of the lead list.
func queryLeads(tx *bolt.Tx, ks *keyset, lq core.LeadQuery, now time.Time) (*core.LeadPage, error) {
	q := model.NewLeadQuery(lq)
	after, err := decodeCursor(q.Cursor)
	if err != nil {
		return nil, err
	}
	if after == nil && !q.Until.IsZero() {
		// Start just before the first key of Until (activity < Until).
		after = []byte(invTime(q.Until.Add(-time.Nanosecond))[:16] + "/")
	}
	var bucket *bolt.Bucket
	var prefixes []string
	switch stages := q.IndexStages(); {
	case stages != nil:
		bucket = tx.Bucket(bLeadStage)
		for _, st := range stages {
			prefixes = append(prefixes, st+"/")
		}
	case q.Tab == core.TabNeedsMe || q.Tab == core.TabBot:
		bucket, prefixes = tx.Bucket(bLeadTab), []string{q.Tab + "/"}
	default:
		bucket, prefixes = tx.Bucket(bLeadTime), []string{""}
	}
	var sinceKey string
	if !q.Since.IsZero() {
		sinceKey = invTime(q.Since)
	}
	page := &core.LeadPage{Leads: []core.LeadRow{}}
	var last []byte
	rows := tx.Bucket(bLeadRows)
	err = scanIndex(bucket, prefixes, after, func(suffix []byte) (bool, error) {
		if sinceKey != "" && string(suffix[:16]) > sinceKey {
			return false, nil // older than Since: the rest is older still
		}
		if len(page.Leads) == q.Limit {
			page.NextCursor = encodeCursor(last)
			return false, nil
		}
		ck := string(suffix[17:])
		var r model.LeadRecord
		raw := rows.Get([]byte(ck))
		if raw == nil {
			return true, nil
		}
		if err := ks.decode(string(bLeadRows), []byte(ck), raw, &r); err != nil {
			return false, err
		}
		row, ok := q.Keep(&r, now)
		if !ok {
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
	page.Stages = st.Pipeline()
	return page, nil
}
