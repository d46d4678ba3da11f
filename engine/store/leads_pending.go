package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// The console's lead rows and their indexes are not written by the turn's
// own transaction: a turn notes what changed for its contact in
// bLeadPending (one small value in one bucket), and the lead indexer
// folds those notes into the rows and indexes in one transaction for many
// contacts at a time. A contact that writes three messages in a second
// costs one index update instead of three, and the turn's transaction —
// which every message waits for — touches five buckets fewer. Every read
// of the rows (LeadPage, Lead, the totals) folds the notes first, so the
// console never shows less than what is committed; a crash leaves the
// notes in the file, folded on the next open.
var bLeadPending = []byte("lead_pending") // ck -> pendingLead

// pendingLead is what a turn tells about its contact's row beyond the
// records the indexer reads itself (session, contact).
type pendingLead struct {
	Contact  string    `json:"contact"` // URN
	Activity time.Time `json:"activity"`
	LastText string    `json:"last_text,omitempty"`
	Service  string    `json:"service,omitempty"` // the project's, when the turn wrote one
}

// noteLead records, in the turn's transaction, that the contact's row must
// be refreshed, merging with a note not folded yet.
func noteLead(tx *bolt.Tx, ks *keyset, ck, urn string, in model.LeadInputs) error {
	b := tx.Bucket(bLeadPending)
	var p pendingLead
	if _, err := ks.getJSON(b, string(bLeadPending), []byte(ck), &p); err != nil {
		return err
	}
	p.Contact = urn
	if in.Activity.After(p.Activity) {
		p.Activity = in.Activity
	}
	if in.LastText != "" {
		p.LastText = in.LastText
	}
	if in.Project != nil && in.Project.Service != "" {
		p.Service = in.Project.Service
	}
	return ks.putJSON(b, string(bLeadPending), []byte(ck), p)
}

// cachedLead is a committed turn's session and contact record, kept in
// memory with the sealed bytes the turn stored, so folding the contact's
// note need not read and open them again: they are used only while the
// stored bytes are still exactly these (no later write changed them).
type cachedLead struct {
	sessRaw []byte
	sess    *core.Session
	contRaw []byte
	cont    *core.Contact
}

// remember keeps a committed turn's records for the next fold.
func (l *leadIndexer) remember(ck string, c cachedLead) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.recent == nil {
		l.recent = map[string]cachedLead{}
	}
	l.recent[ck] = c
}

// take removes and returns what a turn left for the contact's fold.
func (l *leadIndexer) take(ck string) (cachedLead, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.recent[ck]
	delete(l.recent, ck)
	return c, ok
}

// forget drops what is kept for contacts: one after its erasure, every
// one (no cks) after a rekey changed every contact key.
func (l *leadIndexer) forget(cks ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(cks) == 0 {
		l.recent = nil
	}
	for _, ck := range cks {
		delete(l.recent, ck)
	}
}

// cachedInputs fills in the session and contact a turn left for ck, when
// they are still what the store holds.
func cachedInputs(tx *bolt.Tx, c cachedLead, ck string, in *model.LeadInputs) {
	if c.sess != nil && c.sessRaw != nil && bytes.Equal(tx.Bucket(bSessions).Get([]byte(ck)), c.sessRaw) {
		in.Session = c.sess
	}
	if c.cont != nil && c.contRaw != nil && bytes.Equal(tx.Bucket(bContacts).Get([]byte(ck)), c.contRaw) {
		in.Contact = c.cont
	}
}

// foldLeads refreshes the rows of up to limit noted contacts and removes
// their notes, in tx; take gives what a turn left in memory for a contact.
// It reports how many it folded.
func foldLeads(tx *bolt.Tx, ks *keyset, now time.Time, limit int, take func(ck string) (cachedLead, bool)) (int, error) {
	b := tx.Bucket(bLeadPending)
	type note struct {
		ck string
		p  pendingLead
	}
	var notes []note
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(notes) < limit; k, v = c.Next() {
		var p pendingLead
		if err := ks.decode(string(bLeadPending), k, v, &p); err != nil {
			return 0, err
		}
		notes = append(notes, note{string(k), p})
	}
	for _, n := range notes {
		in := model.LeadInputs{Activity: n.p.Activity, LastText: n.p.LastText, Now: now}
		if n.p.Service != "" {
			in.Project = &core.Project{Service: n.p.Service}
		}
		if c, ok := take(n.ck); ok {
			cachedInputs(tx, c, n.ck, &in)
		}
		if err := refreshLead(tx, ks, n.ck, normalize(n.p.Contact), in); err != nil {
			return 0, fmt.Errorf("lead row: %w", err)
		}
		if err := b.Delete([]byte(n.ck)); err != nil {
			return 0, err
		}
	}
	return len(notes), nil
}

// leadIndexer folds the notes in the background, shortly after commits.
type leadIndexer struct {
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	stopped sync.Once

	mu     sync.Mutex
	recent map[string]cachedLead // by contact key: the last committed turn's records
}

// Batch sizes of the indexer: notes folded per transaction, and how long
// it lets notes gather after a wake-up (turns of the same contact fold
// into one update).
const (
	foldBatch = 1024
	foldDelay = 20 * time.Millisecond
)

func (s *Store) startLeadIndexer() {
	s.leads = &leadIndexer{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go s.runLeadIndexer()
	s.leads.poke() // notes left by a crash
}

func (l *leadIndexer) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (s *Store) runLeadIndexer() {
	l := s.leads
	defer close(l.done)
	for {
		select {
		case <-l.stop:
			return
		case <-l.wake:
		}
		t := time.NewTimer(foldDelay)
		select {
		case <-l.stop:
			t.Stop()
			return
		case <-t.C:
		}
		if err := s.foldPending(context.Background()); err != nil {
			s.log.Error("lead indexer", "err", err)
		}
	}
}

// stopLeadIndexer ends the background folding (the notes stay in the file).
func (s *Store) stopLeadIndexer() {
	if s.leads == nil {
		return
	}
	s.leads.stopped.Do(func() { close(s.leads.stop) })
	<-s.leads.done
}

// foldPending folds every note now; reads of the rows call it first.
func (s *Store) foldPending(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		empty := true
		_ = s.withKeys(func(*keyset) error {
			return s.db.View(func(tx *bolt.Tx) error {
				k, _ := tx.Bucket(bLeadPending).Cursor().First()
				empty = k == nil
				return nil
			})
		})
		if empty {
			return nil
		}
		var n int
		err := s.withKeys(func(ks *keyset) error {
			return s.db.Update(func(tx *bolt.Tx) (err error) {
				n, err = foldLeads(tx, ks.in(tx), s.now(), foldBatch, s.leads.take)
				return err
			})
		})
		if errors.Is(err, berrors.ErrDatabaseNotOpen) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("fold lead rows: %w", err)
		}
		if n < foldBatch {
			return nil
		}
	}
}

// dropLeadNote removes a contact's note (erasure: it holds the last text).
func dropLeadNote(tx *bolt.Tx, ck string) error {
	b := tx.Bucket(bLeadPending)
	if b.Get([]byte(ck)) == nil {
		return nil
	}
	return b.Delete([]byte(ck))
}
