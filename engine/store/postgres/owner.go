package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
)

// leadBatch is how many index rows a page reads at a time while it filters.
const leadBatch = 200

// LeadPage returns one page of the lead list, newest activity first.
func (s *Store) LeadPage(ctx context.Context, lq core.LeadQuery) (*core.LeadPage, error) {
	q := model.NewLeadQuery(lq)
	after, err := decodeCursor(q.Cursor)
	if err != nil {
		return nil, fmt.Errorf("list leads: %w", err)
	}
	now := s.now()
	page := &core.LeadPage{Leads: []core.LeadRow{}}
	err = s.inReadTx(ctx, func(tx pgx.Tx) error {
		page.Leads, page.NextCursor = []core.LeadRow{}, ""
		where := []string{"listed"}
		var args []any
		arg := func(v any) string {
			args = append(args, v)
			return "$" + strconv.Itoa(len(args))
		}
		switch stages := q.IndexStages(); {
		case stages != nil:
			where = append(where, "stage = ANY("+arg(stages)+")")
		case q.Tab == core.TabNeedsMe || q.Tab == core.TabBot:
			where = append(where, "tab = "+arg(q.Tab))
		}
		if !q.Since.IsZero() {
			where = append(where, "activity >= "+arg(q.Since))
		}
		if !q.Until.IsZero() {
			where = append(where, "activity < "+arg(q.Until))
		}
		cursorAt := len(args)
		for {
			w := where
			a := args[:cursorAt:cursorAt]
			if after != nil {
				a = append(a, after.activity, after.ck)
				w = append(w, fmt.Sprintf("(activity < $%d OR (activity = $%d AND ck > $%d))", len(a)-1, len(a)-1, len(a)))
			}
			a = append(a, leadBatch)
			sql := `SELECT ck, activity, lead FROM contacts WHERE ` + strings.Join(w, " AND ") +
				` ORDER BY activity DESC, ck LIMIT $` + strconv.Itoa(len(a))
			rows, err := tx.Query(ctx, sql, a...)
			if err != nil {
				return err
			}
			n, full := 0, false
			var last *leadCursor
			for rows.Next() {
				n++
				var c leadCursor
				var raw []byte
				if err := rows.Scan(&c.ck, &c.activity, &raw); err != nil {
					rows.Close()
					return err
				}
				after = &c
				if len(page.Leads) == q.Limit {
					full = true
					break
				}
				r, err := s.decodeLead(c.ck, raw)
				if err != nil {
					rows.Close()
					return err
				}
				if r == nil {
					continue
				}
				if row, ok := q.Keep(r, now); ok {
					page.Leads = append(page.Leads, row)
					cc := c
					last = &cc
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if last != nil {
				page.NextCursor = encodeCursor(last)
			}
			if full {
				return nil
			}
			if len(page.Leads) < q.Limit && n == leadBatch {
				continue
			}
			page.NextCursor = ""
			return nil
		}
	})
	if err != nil {
		return nil, fmt.Errorf("list leads: %w", err)
	}
	st, err := s.allStats(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list leads: %w", err)
	}
	page.Stages = st.Pipeline()
	return page, nil
}

// leadCursor is where a page of the lead list stopped.
type leadCursor struct {
	activity time.Time
	ck       string
}

func encodeCursor(c *leadCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.activity.UnixMicro(), 10) + "/" + c.ck))
}

func decodeCursor(s string) (*leadCursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, model.ErrBadCursor
	}
	at, ck, ok := strings.Cut(string(b), "/")
	us, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || !isContactKey(ck) {
		return nil, model.ErrBadCursor
	}
	return &leadCursor{activity: time.UnixMicro(us).UTC(), ck: ck}, nil
}

// leadIDRe is what a lead id looks like.
var leadIDRe = regexp.MustCompile(`^[0-9a-f]{24}$`)

// Lead returns everything about a lead, or core.ErrNotFound.
func (s *Store) Lead(ctx context.Context, id string) (*core.LeadDetail, error) {
	if !leadIDRe.MatchString(id) {
		return nil, fmt.Errorf("lead %s: %w", id, core.ErrNotFound)
	}
	var d *core.LeadDetail
	err := s.inReadTx(ctx, func(tx pgx.Tx) error {
		var ck string
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT ck, lead FROM contacts WHERE ck >= $1 AND ck < $2 AND lead IS NOT NULL ORDER BY ck LIMIT 1`, id, id+"g").Scan(&ck, &raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return core.ErrNotFound
		}
		if err != nil {
			return err
		}
		r, err := s.decodeLead(ck, raw)
		if err != nil {
			return err
		}
		row := r.LeadRow
		row.Stage = r.CurrentStage(s.now())
		e := model.NewExport(r.Contact, time.Time{})
		if err := s.collectExport(ctx, tx, e, false); err != nil {
			return err
		}
		d = e.Detail(row)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lead %s: %w", id, err)
	}
	return d, nil
}

// Quote returns a quote and its earlier revisions, or core.ErrNotFound.
func (s *Store) Quote(ctx context.Context, id string) (*core.QuoteRecord, []core.QuoteRecord, error) {
	var q core.QuoteRecord
	revs := []core.QuoteRecord{}
	err := s.inReadTx(ctx, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT value FROM quotes WHERE id = $1`, id).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return core.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := s.openJSON(nQuotes, id, raw, &q); err != nil {
			return err
		}
		return collect(ctx, s, tx, nQuoteRevs, func(k string) string { return k }, &revs,
			`SELECT quote_id || '/' || lpad(revision::text, 6, '0'), value FROM quote_revs WHERE quote_id = $1 ORDER BY revision`, id)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("quote %s: %w", id, err)
	}
	return &q, revs, nil
}

// AllQuotes calls fn for every quote, newest first.
func (s *Store) AllQuotes(ctx context.Context, fn func(core.QuoteRecord) error) error {
	quotes, err := s.Quotes(ctx, model.QuoteFilter{})
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

// Quotes returns the matching quotes, newest first.
func (s *Store) Quotes(ctx context.Context, f model.QuoteFilter) ([]core.QuoteRecord, error) {
	sql, args := `SELECT id, value FROM quotes`, []any{}
	if f.Contact != "" {
		urn, err := core.NormalizeURN(f.Contact)
		if err != nil {
			return nil, fmt.Errorf("list quotes: %w", err)
		}
		sql, args = sql+` WHERE ck = $1`, append(args, s.ks.ContactKey(urn))
	}
	var all []core.QuoteRecord
	if err := collect(ctx, s, s.pool, nQuotes, func(k string) string { return k }, &all, sql+` ORDER BY id`, args...); err != nil {
		return nil, fmt.Errorf("list quotes: %w", err)
	}
	quotes := []core.QuoteRecord{}
	for _, q := range all {
		if f.Status != "" && !strings.EqualFold(q.Status, f.Status) {
			continue
		}
		if !f.Since.IsZero() && q.Created.Before(f.Since) {
			continue
		}
		quotes = append(quotes, q)
	}
	sort.SliceStable(quotes, func(i, j int) bool { return quotes[i].Created.After(quotes[j].Created) })
	return quotes, nil
}

// Leads returns the contacts that match, most recently active first, with
// their latest project and quote.
func (s *Store) Leads(ctx context.Context, f model.LeadFilter) ([]model.Lead, error) {
	leads := []model.Lead{}
	err := s.inReadTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT ck, contact FROM contacts WHERE contact IS NOT NULL ORDER BY ck`)
		if err != nil {
			return err
		}
		type one struct {
			ck string
			c  core.Contact
		}
		var list []one
		for rows.Next() {
			var o one
			var raw []byte
			if err := rows.Scan(&o.ck, &raw); err != nil {
				rows.Close()
				return err
			}
			if err := s.openJSON(nContact, o.ck, raw, &o.c); err != nil {
				rows.Close()
				return err
			}
			if f.Status != "" && !strings.EqualFold(o.c.Status, f.Status) {
				continue
			}
			if !f.Since.IsZero() && o.c.Created.Before(f.Since) {
				continue
			}
			list = append(list, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range list {
			lead := model.Lead{Contact: o.c}
			var projects []core.Project
			if err := collect(ctx, s, tx, nProjects, func(k string) string { return o.ck + "/" + k }, &projects, `SELECT id, value FROM projects WHERE ck = $1 ORDER BY id`, o.ck); err != nil {
				return err
			}
			for i := range projects {
				if lead.Project == nil || projects[i].Updated.After(lead.Project.Updated) {
					lead.Project = &projects[i]
				}
			}
			var quotes []core.QuoteRecord
			if err := collect(ctx, s, tx, nQuotes, func(k string) string { return k }, &quotes, `SELECT id, value FROM quotes WHERE ck = $1 ORDER BY id`, o.ck); err != nil {
				return err
			}
			for _, q := range quotes {
				if lead.Quote == nil || q.Updated.After(lead.Quote.Updated) {
					lead.Quote = &model.QuoteSummary{ID: q.ID, Status: q.Status, Currency: q.Currency, Total: q.Total, Revision: q.Revision, Updated: q.Updated}
				}
			}
			leads = append(leads, lead)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list leads: %w", err)
	}
	sort.SliceStable(leads, func(i, j int) bool { return leads[i].Updated.After(leads[j].Updated) })
	return leads, nil
}

// MarkPaid records the payment provider's reference on a quote: status
// "paid", with the time. Draft and declined quotes cannot be paid; marking
// a paid quote again with the same reference changes nothing.
func (s *Store) MarkPaid(ctx context.Context, quoteID, ref, actor string) error {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return fmt.Errorf("mark paid %s: empty payment reference", quoteID)
	}
	now := s.now()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT value FROM quotes WHERE id = $1 FOR UPDATE`, quoteID).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return core.ErrNotFound
		}
		if err != nil {
			return err
		}
		var q core.QuoteRecord
		if err := s.openJSON(nQuotes, quoteID, raw, &q); err != nil {
			return err
		}
		if changed, err := model.MarkPaid(&q, ref, now); err != nil || !changed {
			return err
		}
		v, err := s.sealJSON(nQuotes, quoteID, q)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE quotes SET value = $2 WHERE id = $1`, quoteID, v); err != nil {
			return err
		}
		ck := ""
		if q.Contact != "" {
			ck = s.ks.ContactKey(q.Contact)
			if err := s.refreshLead(ctx, tx, ck, normalizeURN(q.Contact), model.LeadInputs{Activity: now, Now: now, Quote: &q}); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, core.AuditEntry{Time: now, Actor: actor, Action: "mark_paid", Contact: ck, Detail: "quote " + quoteID})
	})
	if err != nil {
		return fmt.Errorf("mark paid %s: %w", quoteID, err)
	}
	return nil
}

// normalizeURN is the contact's URN, or the text as it is.
func normalizeURN(contact string) string {
	if n, err := core.NormalizeURN(contact); err == nil {
		return n
	}
	return contact
}

// AddNote appends a private note to a contact's lead.
func (s *Store) AddNote(ctx context.Context, n core.Note) error {
	urn, err := core.NormalizeURN(n.Contact)
	if err != nil {
		return fmt.Errorf("add note: %w", err)
	}
	n.Contact = urn
	if n.Time.IsZero() {
		n.Time = s.now()
	}
	ck := s.ks.ContactKey(urn)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var hasLead bool
		err := tx.QueryRow(ctx, `SELECT lead IS NOT NULL FROM contacts WHERE ck = $1 FOR UPDATE`, ck).Scan(&hasLead)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !hasLead) {
			return core.ErrNotFound
		}
		if err != nil {
			return err
		}
		var seq int64
		if err := tx.QueryRow(ctx, `SELECT nextval('record_ids')`).Scan(&seq); err != nil {
			return err
		}
		if n.ID == "" {
			n.ID = "n" + seqID(seq)
		}
		v, err := s.sealJSON(nNotes, ck, n)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO notes (ck, at, value) VALUES ($1, $2, $3)`, ck, n.Time, v); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, core.AuditEntry{Time: n.Time, Actor: n.Author, Action: "note", Contact: ck, Detail: "note " + n.ID})
	})
	if err != nil {
		return fmt.Errorf("add note: %w", err)
	}
	return nil
}

// MarkLost marks a contact's lead lost with a reason, or open again.
func (s *Store) MarkLost(ctx context.Context, contact string, lost bool, reason, actor string) error {
	urn, err := core.NormalizeURN(contact)
	if err != nil {
		return fmt.Errorf("mark lost: %w", err)
	}
	now := s.now()
	ck := s.ks.ContactKey(urn)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var hasLead bool
		err := tx.QueryRow(ctx, `SELECT lead IS NOT NULL FROM contacts WHERE ck = $1 FOR UPDATE`, ck).Scan(&hasLead)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !hasLead) {
			return core.ErrNotFound
		}
		if err != nil {
			return err
		}
		err = s.changeLead(ctx, tx, ck, func(old *model.LeadRecord) *model.LeadRecord { return model.MarkLost(old, lost, reason, now) })
		if err != nil {
			return err
		}
		if !lost {
			// Work the stage out again from the records.
			if err := s.refreshLead(ctx, tx, ck, urn, model.LeadInputs{Activity: now, Now: now}); err != nil {
				return err
			}
		}
		action, detail := "lead_reopen", ""
		if lost {
			action, detail = "lead_lost", reason
		}
		return s.appendAudit(ctx, tx, core.AuditEntry{Time: now, Actor: actor, Action: action, Contact: ck, Detail: detail})
	})
	if err != nil {
		return fmt.Errorf("mark lost: %w", err)
	}
	return nil
}

// CreateToken stores a new API token; core.ErrExists for a name in use.
func (s *Store) CreateToken(ctx context.Context, t core.Token) error {
	if t.Name == "" || t.Hash == "" {
		return errors.New("create token: name and hash are required")
	}
	if t.Created.IsZero() {
		t.Created = s.now()
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		v, err := s.sealJSON(nTokens, t.Name, t)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO tokens (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, t.Name, v)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return core.ErrExists
		}
		detail := "token " + t.Name
		if t.ReadOnly {
			detail += " (read-only)"
		}
		return s.appendAudit(ctx, tx, core.AuditEntry{Time: t.Created, Actor: t.CreatedBy, Action: "token_create", Detail: detail})
	})
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.Name, err)
	}
	return nil
}

// Tokens lists the API tokens by name.
func (s *Store) Tokens(ctx context.Context) ([]core.Token, error) {
	out := []core.Token{}
	if err := collect(ctx, s, s.pool, nTokens, func(k string) string { return k }, &out, `SELECT name, value FROM tokens ORDER BY name`); err != nil {
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
	now := s.now()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM tokens WHERE name = $1`, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return core.ErrNotFound
		}
		return s.appendAudit(ctx, tx, core.AuditEntry{Time: now, Actor: actor, Action: "token_revoke", Detail: "token " + name})
	})
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", name, err)
	}
	return nil
}

// OwnerPassword returns the owner password's bcrypt hash, nil when none is set.
func (s *Store) OwnerPassword(ctx context.Context) ([]byte, error) {
	var hash []byte
	err := s.ownerGet(ctx, "password", &hash)
	return hash, err
}

// SetOwnerPassword stores the owner password's bcrypt hash.
func (s *Store) SetOwnerPassword(ctx context.Context, hash []byte, actor string) error {
	return s.ownerPut(ctx, "password", hash, core.AuditEntry{Actor: actor, Action: "owner_password"})
}

// CannedReplies returns the saved replies, by shortcut.
func (s *Store) CannedReplies(ctx context.Context) ([]core.CannedReply, error) {
	out := []core.CannedReply{}
	err := s.ownerGet(ctx, "canned", &out)
	return out, err
}

// SetCannedReplies replaces the saved replies.
func (s *Store) SetCannedReplies(ctx context.Context, replies []core.CannedReply, actor string) error {
	sort.Slice(replies, func(i, j int) bool { return replies[i].Shortcut < replies[j].Shortcut })
	return s.ownerPut(ctx, "canned", replies, core.AuditEntry{Actor: actor, Action: "canned_replies", Detail: fmt.Sprintf("%d replies", len(replies))})
}

func (s *Store) ownerGet(ctx context.Context, name string, v any) error {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM owner WHERE name = $1`, name).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err == nil {
		err = s.openJSON(nOwner, name, raw, v)
	}
	if err != nil {
		return fmt.Errorf("owner %s: %w", name, err)
	}
	return nil
}

func (s *Store) ownerPut(ctx context.Context, name string, v any, a core.AuditEntry) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("owner %s: %w", name, err)
	}
	a.Time = s.now()
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO owner (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
			name, s.ks.Seal(nOwner, []byte(name), body)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a)
	})
	if err != nil {
		return fmt.Errorf("owner %s: %w", name, err)
	}
	return nil
}

// Depths counts the inbox and each channel's outbox, without opening a
// record (for metrics, read at every scrape).
func (s *Store) Depths(ctx context.Context) (model.Depths, error) {
	d := model.Depths{Outbox: map[string]int{}}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM inbox`).Scan(&d.Inbox); err != nil {
		return d, fmt.Errorf("store depths: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT channel, count(*) FROM outbox GROUP BY channel`)
	if err != nil {
		return d, fmt.Errorf("store depths: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch string
		var n int
		if err := rows.Scan(&ch, &n); err != nil {
			return d, err
		}
		d.Outbox[ch] = n
	}
	return d, rows.Err()
}

// LeadStatuses counts the contacts by their status (new, consented,
// quoted, accepted...).
func (s *Store) LeadStatuses(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	var contacts []core.Contact
	rows, err := s.pool.Query(ctx, `SELECT ck, contact FROM contacts WHERE contact IS NOT NULL`)
	if err != nil {
		return out, fmt.Errorf("count leads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ck string
		var raw []byte
		if err := rows.Scan(&ck, &raw); err != nil {
			return out, err
		}
		var c core.Contact
		if err := s.openJSON(nContact, ck, raw, &c); err != nil {
			return out, err
		}
		contacts = append(contacts, c)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("count leads: %w", err)
	}
	for _, c := range contacts {
		out[c.Status]++
	}
	return out, nil
}
