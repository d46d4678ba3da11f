package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// The owner's records: notes on leads, API tokens (hashes only), the owner
// password's bcrypt hash and canned replies, and the read model the
// console and API show (core.Records). Every change is audited.

var (
	bNotes  = []byte("notes")  // ck/time/seq -> Note
	bTokens = []byte("tokens") // name -> Token
	bOwner  = []byte("owner")  // "password" -> bcrypt hash; "canned" -> []CannedReply
)

var (
	_ core.Records    = (*Store)(nil)
	_ core.OwnerStore = (*Store)(nil)
)

var (
	ownerPassword = []byte("password")
	ownerCanned   = []byte("canned")
)

// LeadPage returns one page of the lead list.
func (s *Store) LeadPage(ctx context.Context, q core.LeadQuery) (*core.LeadPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.foldPending(ctx); err != nil {
		return nil, err
	}
	var page *core.LeadPage
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			var err error
			page, err = queryLeads(tx, ks, q, s.now())
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list leads: %w", err)
	}
	return page, nil
}

// leadIDRe is what a lead id looks like.
var leadIDRe = regexp.MustCompile(`^[0-9a-f]{24}$`)

// findLead returns the contact key of a lead id, or "".
func findLead(tx *bolt.Tx, id string) string {
	if !leadIDRe.MatchString(id) {
		return ""
	}
	k, _ := tx.Bucket(bLeadRows).Cursor().Seek([]byte(id))
	if k == nil || !strings.HasPrefix(string(k), id) {
		return ""
	}
	return string(k)
}

// Lead returns everything about a lead, or core.ErrNotFound.
func (s *Store) Lead(ctx context.Context, id string) (*core.LeadDetail, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.foldPending(ctx); err != nil {
		return nil, err
	}
	var d *core.LeadDetail
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			ck := findLead(tx, id)
			if ck == "" {
				return core.ErrNotFound
			}
			r, err := getLead(tx, ks, ck)
			if err != nil {
				return err
			}
			d, err = leadDetail(tx, ks, ck, r, s.now())
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("lead %s: %w", id, err)
	}
	return d, nil
}

func leadDetail(tx *bolt.Tx, ks *keyset, ck string, r *model.LeadRecord, now time.Time) (*core.LeadDetail, error) {
	row := r.LeadRow
	row.Stage = r.CurrentStage(now)
	e := model.NewExport(r.Contact, time.Time{})
	if err := collectExportRecords(tx, ks, e, false); err != nil {
		return nil, err
	}
	return e.Detail(row), nil
}

// Quote returns a quote and its earlier revisions, or core.ErrNotFound.
func (s *Store) Quote(ctx context.Context, id string) (*core.QuoteRecord, []core.QuoteRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var q core.QuoteRecord
	revs := []core.QuoteRecord{}
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			found, err := ks.getJSON(tx.Bucket(bQuotes), string(bQuotes), []byte(id), &q)
			if err != nil {
				return err
			}
			if !found {
				return core.ErrNotFound
			}
			return forPrefix(tx.Bucket(bQuoteRevs), []byte(id+"/"), func(k, v []byte) error {
				var r core.QuoteRecord
				if err := ks.decode(string(bQuoteRevs), k, v, &r); err != nil {
					return err
				}
				revs = append(revs, r)
				return nil
			})
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("quote %s: %w", id, err)
	}
	return &q, revs, nil
}

// AllQuotes calls fn for every quote, newest first.
func (s *Store) AllQuotes(ctx context.Context, fn func(core.QuoteRecord) error) error {
	quotes, err := s.Quotes(ctx, QuoteFilter{})
	if err != nil {
		return err
	}
	for _, q := range quotes {
		if err := fn(q); err != nil {
			return err
		}
	}
	return nil
}

// AddNote appends a private note to a contact's lead.
func (s *Store) AddNote(ctx context.Context, n core.Note) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.foldPending(ctx); err != nil {
		return err
	}
	urn, err := core.NormalizeURN(n.Contact)
	if err != nil {
		return fmt.Errorf("add note: %w", err)
	}
	n.Contact = urn
	if n.Time.IsZero() {
		n.Time = s.now()
	}
	err = s.withKeys(func(ks *keyset) error {
		return s.db.Update(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			ck := ks.contactKey(urn)
			if tx.Bucket(bLeadRows).Get([]byte(ck)) == nil {
				return core.ErrNotFound
			}
			b := tx.Bucket(bNotes)
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if n.ID == "" {
				n.ID = "n" + seqID(seq)
			}
			if err := ks.putJSON(b, string(bNotes), ckKey(ck, timeSeq(n.Time, seq)), n); err != nil {
				return err
			}
			return appendAudit(tx, ks, core.AuditEntry{Time: n.Time, Actor: n.Author, Action: "note", Contact: ck, Detail: "note " + n.ID})
		})
	})
	if err != nil {
		return fmt.Errorf("add note: %w", err)
	}
	return nil
}

// MarkLost marks a contact's lead lost with a reason, or open again.
func (s *Store) MarkLost(ctx context.Context, contact string, lost bool, reason, actor string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.foldPending(ctx); err != nil {
		return err
	}
	urn, err := core.NormalizeURN(contact)
	if err != nil {
		return fmt.Errorf("mark lost: %w", err)
	}
	now := s.now()
	err = s.withKeys(func(ks *keyset) error {
		return s.db.Update(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			ck := ks.contactKey(urn)
			if tx.Bucket(bLeadRows).Get([]byte(ck)) == nil {
				return core.ErrNotFound
			}
			err := changeLead(tx, ks, ck, func(old *model.LeadRecord) *model.LeadRecord {
				return model.MarkLost(old, lost, reason, now)
			})
			if err != nil {
				return err
			}
			if !lost {
				// Work the stage out again from the records.
				if err := refreshLead(tx, ks, ck, urn, model.LeadInputs{Activity: now, Now: now}); err != nil {
					return err
				}
			}
			action, detail := "lead_reopen", ""
			if lost {
				action, detail = "lead_lost", reason
			}
			return appendAudit(tx, ks, core.AuditEntry{Time: now, Actor: actor, Action: action, Contact: ck, Detail: detail})
		})
	})
	if err != nil {
		return fmt.Errorf("mark lost: %w", err)
	}
	return nil
}

// CreateToken stores a new API token; core.ErrExists for a name in use.
func (s *Store) CreateToken(ctx context.Context, t core.Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.Name == "" || t.Hash == "" {
		return errors.New("create token: name and hash are required")
	}
	if t.Created.IsZero() {
		t.Created = s.now()
	}
	err := s.withKeys(func(ks *keyset) error {
		return s.db.Update(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			b := tx.Bucket(bTokens)
			if b.Get([]byte(t.Name)) != nil {
				return core.ErrExists
			}
			if err := ks.putJSON(b, string(bTokens), []byte(t.Name), t); err != nil {
				return err
			}
			detail := "token " + t.Name
			if t.ReadOnly {
				detail += " (read-only)"
			}
			return appendAudit(tx, ks, core.AuditEntry{Time: t.Created, Actor: t.CreatedBy, Action: "token_create", Detail: detail})
		})
	})
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.Name, err)
	}
	return nil
}

// Tokens lists the API tokens by name.
func (s *Store) Tokens(ctx context.Context) ([]core.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := []core.Token{}
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			return tx.Bucket(bTokens).ForEach(func(k, v []byte) error {
				var t core.Token
				if err := ks.decode(string(bTokens), k, v, &t); err != nil {
					return err
				}
				out = append(out, t)
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	return out, nil
}

// TokenByHash finds a token by the hash of its secret, or core.ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*core.Token, error) {
	tokens, err := s.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	for i := range tokens {
		if tokens[i].Hash == hash {
			return &tokens[i], nil
		}
	}
	return nil, core.ErrNotFound
}

// RevokeToken deletes a token; core.ErrNotFound when there is none.
func (s *Store) RevokeToken(ctx context.Context, name, actor string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.now()
	err := s.withKeys(func(ks *keyset) error {
		return s.db.Update(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			found, err := deleteKey(tx.Bucket(bTokens), []byte(name))
			if err != nil {
				return err
			}
			if !found {
				return core.ErrNotFound
			}
			return appendAudit(tx, ks, core.AuditEntry{Time: now, Actor: actor, Action: "token_revoke", Detail: "token " + name})
		})
	})
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", name, err)
	}
	return nil
}

// OwnerPassword returns the owner password's bcrypt hash, nil when none is set.
func (s *Store) OwnerPassword(ctx context.Context) ([]byte, error) {
	var hash []byte
	err := s.ownerGet(ctx, ownerPassword, &hash)
	return hash, err
}

// SetOwnerPassword stores the owner password's bcrypt hash.
func (s *Store) SetOwnerPassword(ctx context.Context, hash []byte, actor string) error {
	return s.ownerPut(ctx, ownerPassword, hash, core.AuditEntry{Actor: actor, Action: "owner_password"})
}

// CannedReplies returns the saved replies, by shortcut.
func (s *Store) CannedReplies(ctx context.Context) ([]core.CannedReply, error) {
	out := []core.CannedReply{}
	err := s.ownerGet(ctx, ownerCanned, &out)
	return out, err
}

// SetCannedReplies replaces the saved replies.
func (s *Store) SetCannedReplies(ctx context.Context, replies []core.CannedReply, actor string) error {
	sort.Slice(replies, func(i, j int) bool { return replies[i].Shortcut < replies[j].Shortcut })
	return s.ownerPut(ctx, ownerCanned, replies, core.AuditEntry{Actor: actor, Action: "canned_replies", Detail: fmt.Sprintf("%d replies", len(replies))})
}

func (s *Store) ownerGet(ctx context.Context, key []byte, v any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.withKeys(func(ks *keyset) error {
		return s.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			_, err := ks.getJSON(tx.Bucket(bOwner), string(bOwner), key, v)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("owner %s: %w", key, err)
	}
	return nil
}

func (s *Store) ownerPut(ctx context.Context, key []byte, v any, a core.AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("owner %s: %w", key, err)
	}
	a.Time = s.now()
	err = s.withKeys(func(ks *keyset) error {
		return s.db.Update(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			if err := ks.putBody(tx.Bucket(bOwner), string(bOwner), key, body); err != nil {
				return err
			}
			return appendAudit(tx, ks, a)
		})
	})
	if err != nil {
		return fmt.Errorf("owner %s: %w", key, err)
	}
	return nil
}
