package model

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/allmyleads/allmyleads/engine/core"
)

// LeadIDLen is the length of a lead id: the start of its contact key.
const LeadIDLen = 24

// LeadID is a lead's id from its contact key.
func LeadID(ck string) string { return ck[:LeadIDLen] }

// LeadRecord is what a store keeps for each contact's lead row, sealed:
// the row and whether the contact is listed at all.
type LeadRecord struct {
	core.LeadRow
	Hidden bool `json:"hidden,omitempty"` // no consent: not listed
}

// IsListed says whether the row shows in the lead list: a contact who
// declined or withdrew consent is not a lead, unless they wait for a person.
func (r *LeadRecord) IsListed() bool { return !r.Hidden || r.NeedsMe() }

// Tab is the tab a row is listed under besides All ("" for none).
func (r *LeadRecord) Tab() string {
	if r.NeedsMe() {
		return core.TabNeedsMe
	}
	switch r.Stage {
	case core.StageNew, core.StageConversation, core.StageQuoted:
		return core.TabBot
	}
	return ""
}

// CurrentStage is a row's stage now: an unanswered quote whose validity
// passed since the row was written has expired.
func (r *LeadRecord) CurrentStage(now time.Time) string {
	stored := r.LeadRow.Stage
	if r.Hidden && stored == "" {
		return core.StageConversation
	}
	if stored == core.StageQuoted && !r.ValidUntil.IsZero() && now.After(r.ValidUntil) {
		return core.StageExpired
	}
	return stored
}

// Stats are the lead list's totals per stage.
type Stats map[string]*core.StageStat

// Add counts a row in (sign +1) or out (-1) of the totals.
func (st Stats) Add(r *LeadRecord, sign int) {
	if r == nil || !r.IsListed() {
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

// Merge adds other's totals to st.
func (st Stats) Merge(other Stats) {
	for name, o := range other {
		s := st[name]
		if s == nil {
			s = &core.StageStat{Stage: name}
			st[name] = s
		}
		s.Count += o.Count
		for cur, v := range o.Value {
			if s.Value == nil {
				s.Value = map[string]int64{}
			}
			s.Value[cur] += v
			if s.Value[cur] == 0 {
				delete(s.Value, cur)
			}
		}
	}
}

// Pipeline is every stage in order with its totals, for a page.
func (st Stats) Pipeline() []core.StageStat {
	var out []core.StageStat
	for _, name := range core.Stages() {
		if s := st[name]; s != nil && s.Count > 0 {
			out = append(out, *s)
		} else {
			out = append(out, core.StageStat{Stage: name})
		}
	}
	return out
}

// SameContribution says whether two versions of a row count the same in
// the totals per stage.
func SameContribution(a, b *LeadRecord) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.IsListed() == b.IsListed() && a.Stage == b.Stage && a.Currency == b.Currency && a.QuoteTotal == b.QuoteTotal
}

// LeadInputs are what a row is computed from; nil fields are read from
// the store by the caller when needed.
type LeadInputs struct {
	Session  *core.Session
	Contact  *core.Contact
	Project  *core.Project
	Activity time.Time
	LastText string
	Now      time.Time
	// Quote is the contact's latest quote as stored, when the caller just
	// changed it outside the conversation (mark paid); nil: the
	// conversation's copy, unless the row knows it paid or lost.
	Quote *core.QuoteRecord
}

// ComputeLead is a contact's new row from its old one (nil for none) and
// its records; ck is the contact key, urn the contact.
func ComputeLead(ck, urn string, old *LeadRecord, in LeadInputs) *LeadRecord {
	quote := in.Quote
	if in.Session != nil && in.Session.Quote != nil && (quote == nil || quote.ID != in.Session.Quote.ID) {
		quote, in.Quote = in.Session.Quote, nil // the conversation has moved on to a newer quote
	}
	r := &LeadRecord{}
	if old != nil {
		*r = *old
	}
	if in.Quote == nil && quote != nil && old != nil && old.QuoteID == quote.ID && quote.Status != old.QuoteStatus &&
		(old.QuoteStatus == core.QuotePaid || old.QuoteStatus == core.QuoteLost) && quote.Status != core.QuotePaid {
		// The business marked it paid or lost outside the conversation
		// (the store kept it so): the conversation's older copy does not
		// undo that.
		kept := *quote
		kept.Status = old.QuoteStatus
		quote = &kept
	}
	r.ID, r.Contact = LeadID(ck), urn
	r.Phone, _ = core.URNPhone(urn)
	fillRow(r, in, quote)
	return r
}

// fillRow sets a row's fields from a contact's records.
func fillRow(r *LeadRecord, in LeadInputs, quote *core.QuoteRecord) {
	sess, c := in.Session, in.Contact
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
	if in.Project != nil && in.Project.Service != "" {
		r.Service = in.Project.Service
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
	if in.Activity.After(r.Activity) {
		r.Activity = in.Activity
	}
	if r.Activity.IsZero() {
		r.Activity = in.Now
	}
	if in.LastText != "" {
		r.LastText = preview(in.LastText)
	}
	r.Stage = core.LeadStage(sess, c, quote, r.Lost, in.Now)
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

// TurnInputs are what a committed turn tells about its contact's row.
func TurnInputs(now time.Time, t *core.Turn) LeadInputs {
	in := LeadInputs{Session: t.Session, Contact: t.Contact, Project: t.Project, Now: now}
	if t.Session != nil && !t.Session.Updated.IsZero() {
		in.Activity = t.Session.Updated
	} else {
		in.Activity = now
	}
	if t.Inbound != nil {
		in.LastText = t.Inbound.Text
		if in.LastText == "" {
			in.LastText = t.Inbound.ReplyTitle
		}
		if in.LastText == "" && len(t.Inbound.Media) > 0 {
			in.LastText = "[" + string(t.Inbound.Kind) + "]"
		}
		if t.Inbound.Echo && in.LastText != "" {
			in.LastText = core.AuthorOwnerApp + ": " + in.LastText
		}
	}
	for _, o := range t.Outbound {
		if o.Author != "" && o.Text != "" {
			in.LastText = o.Author + ": " + o.Text
		}
	}
	return in
}

// SendOutcome is the row after a message to the contact went out (failed
// false: earlier failures are forgotten) or failed; nil when it does not
// change.
func SendOutcome(old *LeadRecord, failed bool) *LeadRecord {
	if old == nil || (!failed && old.FailedSends == 0) {
		return nil
	}
	r := *old
	if failed {
		r.FailedSends++
	} else {
		r.FailedSends = 0
	}
	return &r
}

// MarkLost is the row after the owner marked the lead lost (with a
// reason) or open again at now.
func MarkLost(old *LeadRecord, lost bool, reason string, now time.Time) *LeadRecord {
	r := *old
	r.Lost, r.LostReason = lost, ""
	if lost {
		r.LostReason = reason
	}
	r.Activity = now
	if lost {
		r.Stage = core.StageLost
	} else if r.Stage == core.StageLost {
		r.Stage = core.StageConversation
	}
	return &r
}

// LeadQuery is a page request read for a backend: the filters normalised.
type LeadQuery struct {
	core.LeadQuery
	Limit  int    // 1 to MaxLeadPage
	Search string // lower case, trimmed
	Digits string // the search's digits
}

// MaxLeadPage bounds a page of the lead list.
const MaxLeadPage = 200

// NewLeadQuery normalises a page request.
func NewLeadQuery(q core.LeadQuery) LeadQuery {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	search := strings.ToLower(strings.TrimSpace(q.Search))
	return LeadQuery{LeadQuery: q, Limit: min(limit, MaxLeadPage), Search: search, Digits: onlyDigits(search)}
}

// Keep says whether a listed row read from an index belongs on the page,
// and returns it as shown now (its current stage).
func (q LeadQuery) Keep(r *LeadRecord, now time.Time) (core.LeadRow, bool) {
	row := r.LeadRow
	row.Stage = r.CurrentStage(now)
	if q.Stage != "" && row.Stage != q.Stage {
		return row, false
	}
	if q.Tab == core.TabBot && row.Stage == core.StageExpired {
		return row, false
	}
	if q.Search != "" && !matchesSearch(&row, q.Search, q.Digits) {
		return row, false
	}
	return row, true
}

// IndexStages are the stored stages a page for the query's stage reads:
// an expired lead may still be stored as quoted.
func (q LeadQuery) IndexStages() []string {
	if q.Stage == core.StageExpired {
		return []string{core.StageQuoted, core.StageExpired}
	}
	if q.Stage != "" {
		return []string{q.Stage}
	}
	return nil
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
