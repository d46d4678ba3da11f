package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
)

// The business hearing what happens (core/events.go): notices that failed
// for good, the funnel's counts, and echoes of the business's own messages
// from the WhatsApp Business app in the transcript. Notices themselves are
// queued by Commit (Turn.Notices) without message log entries.

// Buckets of this file.
var (
	bNoticeFails = []byte("notice_failures") // time/seq -> FailedNotice (newest last)
	bFunnel      = []byte("funnel")          // flow \x00 step -> funnelCount
	bFunnelMarks = []byte("funnel_marks")    // ck/r|a/flow \x00 step -> sealed nothing: the contact counted
)

// maxNoticeFailures bounds the failed notices kept: the oldest go first.
const maxNoticeFailures = 1000

var (
	_ core.NoticeLog = (*Store)(nil)
	_ core.Funnel    = (*Store)(nil)
	_ core.Windows   = (*Store)(nil)
)

// recordNoticeFailure keeps a notice that failed for good, without its
// body or the contact: what the console needs to say which event did not
// reach whom.
func recordNoticeFailure(tx *bolt.Tx, ks *keyset, rec *outboxRecord, code int, reason string, now time.Time) error {
	n := rec.Notice
	if n == nil {
		return nil
	}
	f := core.FailedNotice{
		ID: rec.ID, Channel: rec.Channel, Event: n.Event, EventID: n.EventID, Lead: n.Lead,
		Target: core.NoticeTarget(n), Delivery: n.DeliveryID, Attempts: rec.Attempts + 1,
		Error: reason, Queued: rec.Created, Failed: now,
	}
	if f.Error == "" && code != 0 {
		f.Error = fmt.Sprintf("error %d", code)
	}
	b := tx.Bucket(bNoticeFails)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	if err := ks.putJSON(b, string(bNoticeFails), []byte(timeSeq(now, seq)), f); err != nil {
		return err
	}
	if n := b.Stats().KeyN; n > maxNoticeFailures {
		var old [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil && len(old) < n-maxNoticeFailures; k, _ = c.Next() {
			old = append(old, append([]byte(nil), k...))
		}
		return deleteKeys(b, old)
	}
	return nil
}

// FailedNotices returns up to limit notices that failed for good, newest first.
func (s *Store) FailedNotices(ctx context.Context, limit int) ([]core.FailedNotice, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	var out []core.FailedNotice
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bNoticeFails).Cursor()
			for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
				var f core.FailedNotice
				if err := ks.decode(string(bNoticeFails), k, v, &f); err != nil {
					return err
				}
				out = append(out, f)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("failed notices: %w", err)
	}
	return out, nil
}

// DismissNotice forgets a failed notice by its id, audited.
func (s *Store) DismissNotice(ctx context.Context, id, actor string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.withKeys(func(ks *keyset) error {
		return s.group.write(func(tx *bolt.Tx) error {
			b := tx.Bucket(bNoticeFails)
			var hit []byte
			var f core.FailedNotice
			err := b.ForEach(func(k, v []byte) error {
				if hit != nil {
					return nil
				}
				if err := ks.decode(string(bNoticeFails), k, v, &f); err != nil {
					return err
				}
				if f.ID == id {
					hit = append([]byte(nil), k...)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if hit == nil {
				return core.ErrNotFound
			}
			if err := b.Delete(hit); err != nil {
				return err
			}
			return appendAudit(tx, ks, auditEntry(s.now(), actor, "notice_dismiss", "", f.Event+" to "+f.Target))
		})
	})
	if err != nil {
		return fmt.Errorf("dismiss notice %s: %w", id, err)
	}
	return nil
}

// funnelCount is a step's count in the funnel bucket.
type funnelCount struct {
	Reached  int `json:"reached"`
	Answered int `json:"answered"`
}

// funnelKey is a step's key in the funnel bucket.
func funnelKey(flow, step string) []byte { return []byte(flow + "\x00" + step) }

// markSteps counts the turn's funnel marks, each contact once per step and kind.
func markSteps(tx *bolt.Tx, ks *keyset, ck string, marks []core.StepMark) error {
	if len(marks) == 0 {
		return nil
	}
	mb, fb := tx.Bucket(bFunnelMarks), tx.Bucket(bFunnel)
	for _, m := range marks {
		if m.Flow == "" || m.Step == "" {
			continue
		}
		kind := "r"
		if m.Answered {
			kind = "a"
		}
		mk := ckKey(ck, kind+"/"+string(funnelKey(m.Flow, m.Step)))
		if mb.Get(mk) != nil {
			continue
		}
		if err := mb.Put(mk, ks.seal(string(bFunnelMarks), mk, nil)); err != nil {
			return err
		}
		fk := funnelKey(m.Flow, m.Step)
		var c funnelCount
		if _, err := ks.getJSON(fb, string(bFunnel), fk, &c); err != nil {
			return err
		}
		if m.Answered {
			c.Answered++
		} else {
			c.Reached++
		}
		if err := ks.putJSON(fb, string(bFunnel), fk, c); err != nil {
			return err
		}
	}
	return nil
}

// Funnel returns every counted step, by flow then step name (the owner's
// side puts them in the flows' order).
func (s *Store) Funnel(ctx context.Context) ([]core.FunnelStep, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []core.FunnelStep
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			return tx.Bucket(bFunnel).ForEach(func(k, v []byte) error {
				flow, step, _ := strings.Cut(string(k), "\x00")
				var c funnelCount
				if err := ks.decode(string(bFunnel), k, v, &c); err != nil {
					return err
				}
				out = append(out, core.FunnelStep{Flow: flow, Step: step, Reached: c.Reached, Answered: c.Answered})
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("funnel: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Flow != out[j].Flow {
			return out[i].Flow < out[j].Flow
		}
		return out[i].Step < out[j].Step
	})
	return out, nil
}

// eraseFunnelMarks forgets which steps an erased contact reached; the
// counts, which name nobody, stay.
func eraseFunnelMarks(tx *bolt.Tx, ck string) error {
	b := tx.Bucket(bFunnelMarks)
	return deleteKeys(b, keysWithPrefix(b, ckPrefix(ck)))
}

// rekeyNotices seals the failed notices and the funnel again, moving each
// contact's marks to its new contact key (marks of a contact no other
// record names any more are dropped: nothing links them to anyone).
func (r *rekeyer) rekeyNotices() error {
	for _, b := range [][]byte{bNoticeFails, bFunnel} {
		if err := r.rewrite(b, same); err != nil {
			return err
		}
	}
	b := r.tx.Bucket(bFunnelMarks)
	type mark struct{ old, new []byte }
	var marks []mark
	err := b.ForEach(func(k, v []byte) error {
		if _, err := r.old.open(string(bFunnelMarks), k, v); err != nil && !errors.Is(err, errShredded) {
			return err // a mark under a destroyed key is dropped below
		}
		m := mark{old: append([]byte(nil), k...)}
		if ck, rest, ok := splitCK(k); ok {
			if nck, known := r.cks[ck]; known {
				m.new = ckKey(nck, rest)
			}
		}
		marks = append(marks, m)
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range marks {
		if err := b.Delete(m.old); err != nil {
			return err
		}
	}
	for _, m := range marks {
		if m.new != nil {
			if err := b.Put(m.new, r.new.seal(string(bFunnelMarks), m.new, nil)); err != nil {
				return err
			}
		}
	}
	return nil
}

// noticesOnly says whether a turn only queues notices (an event outside a
// conversation, Engine.Emit): no lead row changes for it.
func noticesOnly(t *core.Turn) bool {
	return t.Inbound == nil && t.Session == nil && t.Contact == nil && t.Project == nil &&
		len(t.Quotes) == 0 && len(t.Outbound) == 0 && len(t.Notices) > 0
}
