package owner

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
)

// apiRoutes lists every API route; the OpenAPI document describes each
// one (a test walks the router against it).
func (h *Handler) apiRoutes() []route {
	return append([]route{
		{http.MethodGet, "/leads", false, h.listLeads},
		{http.MethodGet, "/leads/{id}", false, h.getLead},
		{http.MethodPatch, "/leads/{id}", true, h.patchLead},
		{http.MethodDelete, "/leads/{id}", true, h.eraseLead},
		{http.MethodPost, "/leads/{id}/messages", true, h.postMessage},
		{http.MethodPost, "/leads/{id}/handoff", true, h.takeOver},
		{http.MethodPost, "/leads/{id}/release", true, h.release},
		{http.MethodPost, "/leads/{id}/corrections", true, h.correct},
		{http.MethodGet, "/leads/{id}/export", false, h.exportLead},
		{http.MethodGet, "/quotes/{id}", false, h.getQuote},
		{http.MethodPost, "/quotes/{id}/revisions", true, h.reviseQuote},
		{http.MethodPost, "/quotes/{id}/approval", true, h.approveQuote},
		{http.MethodPost, "/quotes/{id}/outcome", true, h.settleQuote},
		{http.MethodPost, "/quotes/{id}/payment-link", true, h.paymentLink},
		{http.MethodGet, "/media/{id}", false, h.getMedia},
		{http.MethodGet, "/events", false, h.eventsStream},
		{http.MethodGet, "/exports/leads.csv", false, h.leadsCSV},
		{http.MethodGet, "/exports/quotes.csv", false, h.quotesCSV},
		{http.MethodGet, "/canned-replies", false, h.getCanned},
		{http.MethodPut, "/canned-replies", true, h.putCanned},
		{http.MethodGet, "/templates", false, h.getTemplates},
		{http.MethodGet, "/audit", false, h.getAudit},
	}, h.alertRoutes()...)
}

// classify maps an error to its HTTP status, title and field.
func classify(err error) (int, string, string) {
	switch {
	case errors.Is(err, core.ErrNotFound), errors.Is(err, engine.ErrNoQuote):
		return http.StatusNotFound, "not found", "id"
	case errors.Is(err, core.ErrInvalidValue):
		return http.StatusBadRequest, "invalid request", "value"
	case errors.Is(err, engine.ErrBadRevision):
		return http.StatusBadRequest, "invalid request", revisionField(err)
	case errors.Is(err, engine.ErrEmptyMessage):
		return http.StatusBadRequest, "invalid request", "text"
	case errors.Is(err, engine.ErrWindowClosed):
		return http.StatusConflict, "the 24-hour window is closed", "template"
	case errors.Is(err, engine.ErrOptedOut):
		return http.StatusConflict, "the customer opted out", ""
	case errors.Is(err, engine.ErrNoPayments):
		return http.StatusConflict, "no payment provider is configured", ""
	case errors.Is(err, engine.ErrQuoteState):
		return http.StatusConflict, "the quote cannot change in its status", "status"
	case errors.Is(err, engine.ErrNoHandoff):
		return http.StatusConflict, "the bot has this conversation already", ""
	case errors.Is(err, engine.ErrNoConversation):
		return http.StatusConflict, "there is no conversation with this customer", ""
	case errors.Is(err, core.ErrExists):
		return http.StatusConflict, "already exists", "name"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "the request took too long", ""
	}
	return http.StatusInternalServerError, "internal error", ""
}

// revisionField finds the field an engine.ErrBadRevision names ("items[0].description: ...").
func revisionField(err error) string {
	msg := strings.TrimPrefix(err.Error(), engine.ErrBadRevision.Error()+": ")
	if f, _, ok := strings.Cut(msg, ":"); ok && !strings.Contains(f, " ") {
		return f
	}
	return "body"
}

// leadView is a lead as the API shows it.
type leadView struct {
	core.LeadRow
	DisplayName string     `json:"display_name"`
	NeedsMe     bool       `json:"needs_me"`
	WindowUntil *time.Time `json:"window_until,omitempty"`
	WindowOpen  bool       `json:"window_open"`
}

func (h *Handler) viewLead(r core.LeadRow) leadView {
	v := leadView{LeadRow: r, DisplayName: r.DisplayName(), NeedsMe: r.NeedsMe()}
	if w := r.WindowUntil(); !w.IsZero() && r.Channel == "whatsapp" {
		v.WindowUntil = &w
		v.WindowOpen = h.o.Clock().Before(w)
	} else if r.Channel != "whatsapp" {
		v.WindowOpen = true
	}
	return v
}

// leadQuery reads the lead list's parameters.
func leadQuery(r *http.Request) (core.LeadQuery, error) {
	p := r.URL.Query()
	q := core.LeadQuery{Tab: p.Get("tab"), Stage: p.Get("stage"), Search: p.Get("q"), Cursor: p.Get("cursor")}
	switch q.Tab {
	case "", core.TabAll, core.TabNeedsMe, core.TabBot:
	default:
		return q, invalid("tab", "want needs_me, bot or all, got %q", q.Tab)
	}
	if q.Stage != "" && !slices.Contains(core.Stages(), q.Stage) {
		return q, invalid("stage", "want one of %s, got %q", strings.Join(core.Stages(), ", "), q.Stage)
	}
	for _, d := range []struct {
		name string
		to   *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if v := p.Get(d.name); v != "" {
			t, err := parseDate(v)
			if err != nil {
				return q, invalid(d.name, "want a date (2026-01-31) or an RFC 3339 time, got %q", v)
			}
			*d.to = t
		}
	}
	if v := p.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return q, invalid("limit", "want a number from 1 to 200, got %q", v)
		}
		q.Limit = n
	}
	if len(q.Cursor) > 200 {
		return q, invalid("cursor", "not a cursor this server gave")
	}
	return q, nil
}

func parseDate(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", v)
}

// leadPage is the lead list's answer.
type leadPage struct {
	Leads      []leadView       `json:"leads"`
	NextCursor string           `json:"next_cursor,omitempty"`
	Stages     []core.StageStat `json:"stages"`
}

func (h *Handler) page(ctx context.Context, q core.LeadQuery) (*leadPage, error) {
	p, err := h.o.Records.LeadPage(ctx, q)
	if err != nil {
		if strings.Contains(err.Error(), "invalid cursor") {
			return nil, invalid("cursor", "not a cursor this server gave")
		}
		return nil, err
	}
	out := &leadPage{Leads: make([]leadView, 0, len(p.Leads)), NextCursor: p.NextCursor, Stages: p.Stages}
	for _, l := range p.Leads {
		out.Leads = append(out.Leads, h.viewLead(l))
	}
	return out, nil
}

func (h *Handler) listLeads(w http.ResponseWriter, r *http.Request, _ *actor) {
	q, err := leadQuery(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	p, err := h.page(r.Context(), q)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// leadDetail is a lead as its page shows it.
type leadDetail struct {
	*core.LeadDetail
	View leadView `json:"summary"`
}

// lead loads the lead of the {id} in the path.
func (h *Handler) lead(r *http.Request) (*core.LeadDetail, error) {
	return h.o.Records.Lead(r.Context(), mux.Vars(r)["id"])
}

func (h *Handler) getLead(w http.ResponseWriter, r *http.Request, _ *actor) {
	d, err := h.lead(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, leadDetail{LeadDetail: d, View: h.viewLead(d.Lead)})
}

// leadPatch changes a lead: its status (lost, or open again) and notes.
type leadPatch struct {
	Status *string `json:"status"` // lost, open
	Reason string  `json:"reason"` // why it was lost
	Note   *string `json:"note"`   // a private note to add
}

func (p *leadPatch) check() error {
	if p.Status == nil && p.Note == nil {
		return invalid("body", "give status or note")
	}
	if p.Status != nil && *p.Status != "lost" && *p.Status != "open" {
		return invalid("status", "want lost or open, got %q", *p.Status)
	}
	if p.Note != nil {
		n := strings.TrimSpace(*p.Note)
		if n == "" || utf8.RuneCountInString(n) > 5000 {
			return invalid("note", "want 1 to 5000 characters")
		}
	}
	if utf8.RuneCountInString(p.Reason) > 500 {
		return invalid("reason", "at most 500 characters")
	}
	return nil
}

func (h *Handler) patchLead(w http.ResponseWriter, r *http.Request, a *actor) {
	var p leadPatch
	if err := decodeJSON(w, r, &p); err != nil {
		h.fail(w, err)
		return
	}
	if err := p.check(); err != nil {
		h.fail(w, err)
		return
	}
	d, err := h.lead(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	if err := h.applyPatch(r.Context(), d, p, a); err != nil {
		h.fail(w, err)
		return
	}
	h.getLead(w, r, a)
}

func (h *Handler) applyPatch(ctx context.Context, d *core.LeadDetail, p leadPatch, a *actor) error {
	contact := d.Lead.Contact
	if p.Note != nil {
		if err := h.o.Owner.AddNote(ctx, core.Note{Contact: contact, Author: a.name, Text: strings.TrimSpace(*p.Note)}); err != nil {
			return err
		}
	}
	if p.Status != nil {
		err := h.o.Engine.Exclusive(contact, func() error {
			return h.o.Owner.MarkLost(ctx, contact, *p.Status == "lost", strings.TrimSpace(p.Reason), a.name)
		})
		if err != nil {
			return err
		}
	}
	h.Notify(contact)
	return nil
}

// messageRequest is a reply: text, a template, or a photo or document.
type messageRequest struct {
	Text     string         `json:"text"`
	Template *core.Template `json:"template"`
	Media    *mediaUpload   `json:"media"`
}

// mediaUpload is a photo or document sent in JSON, its bytes in base64.
type mediaUpload struct {
	Data     string `json:"data"`
	MIME     string `json:"mime"`
	Filename string `json:"filename"`
	Caption  string `json:"caption"`
}

// maxUpload bounds a photo or document sent to a customer (WhatsApp's
// limit for images is 5 MB, documents 100 MB; we keep files small).
const maxUpload = 10 << 20

// outbound turns a reply request into the message to send.
func (m *messageRequest) outbound() (core.Outbound, error) {
	n := 0
	for _, set := range []bool{strings.TrimSpace(m.Text) != "" && m.Media == nil, m.Template != nil, m.Media != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return core.Outbound{}, invalid("text", "give one of text, template or media")
	}
	if utf8.RuneCountInString(m.Text) > 4096 {
		return core.Outbound{}, invalid("text", "at most 4096 characters")
	}
	switch {
	case m.Template != nil:
		if strings.TrimSpace(m.Template.Name) == "" {
			return core.Outbound{}, invalid("template.name", "required")
		}
		return core.Outbound{Kind: core.OutTemplate, Template: m.Template}, nil
	case m.Media != nil:
		data, err := base64.StdEncoding.DecodeString(m.Media.Data)
		if err != nil || len(data) == 0 {
			return core.Outbound{}, invalid("media.data", "want the file's bytes in base64")
		}
		return mediaOutbound(data, m.Media.MIME, m.Media.Filename, firstNonEmpty(m.Media.Caption, m.Text))
	}
	return core.Outbound{Kind: core.OutText, Text: strings.TrimSpace(m.Text)}, nil
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// mediaOutbound makes an image or document message from a file.
func mediaOutbound(data []byte, mimeType, filename, caption string) (core.Outbound, error) {
	if len(data) > maxUpload {
		return core.Outbound{}, invalid("media", "larger than %d MB", maxUpload>>20)
	}
	if mimeType == "" || mimeType == "application/octet-stream" {
		mimeType = http.DetectContentType(data)
	}
	mimeType, _, _ = mime.ParseMediaType(mimeType)
	kind := core.OutDocument
	switch mimeType {
	case "image/jpeg", "image/png":
		kind = core.OutImage
	case "application/pdf", "text/plain", "text/csv", "application/msword",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
	default:
		return core.Outbound{}, invalid("media.mime", "WhatsApp takes JPEG or PNG photos and PDF, Word, Excel or text documents, not %q", mimeType)
	}
	if filename == "" && kind == core.OutDocument {
		filename = "document"
	}
	md := &core.Media{MIME: mimeType, Filename: filename, Caption: caption, Data: data}
	return core.Outbound{Kind: kind, Media: md}, nil
}

// readMessage reads a reply from JSON or a multipart form (text, file, caption).
func readMessage(w http.ResponseWriter, r *http.Request) (core.Outbound, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		var m messageRequest
		if err := decodeJSON(w, r, &m); err != nil {
			return core.Outbound{}, err
		}
		return m.outbound()
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
	if err := r.ParseMultipartForm(maxUpload); err != nil {
		return core.Outbound{}, invalid("file", "the form could not be read: %v", err)
	}
	f, fh, err := r.FormFile("file")
	if err == nil {
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxUpload+1))
		if err != nil {
			return core.Outbound{}, invalid("file", "could not be read")
		}
		return mediaOutbound(data, fh.Header.Get("Content-Type"), fh.Filename, firstNonEmpty(r.FormValue("caption"), r.FormValue("text")))
	}
	m := messageRequest{Text: r.FormValue("text")}
	if name := r.FormValue("template"); name != "" {
		m.Text = ""
		m.Template = &core.Template{Name: name, Language: r.FormValue("language")}
		if p := strings.TrimSpace(r.FormValue("params")); p != "" {
			for _, s := range strings.Split(p, "|") {
				m.Template.Params = append(m.Template.Params, strings.TrimSpace(s))
			}
		}
	}
	return m.outbound()
}

// messageView is a queued reply.
type messageView struct {
	ID     string            `json:"id"`
	Kind   core.OutboundKind `json:"kind"`
	Text   string            `json:"text,omitempty"`
	Media  *core.Media       `json:"media,omitempty"`
	Status string            `json:"status"`
	Author string            `json:"author"`
}

func (h *Handler) postMessage(w http.ResponseWriter, r *http.Request, a *actor) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		badRequest(w, "Idempotency-Key", "at most 200 characters")
		return
	}
	if key != "" && h.idem.replay(w, a.name+"\x00"+mux.Vars(r)["id"]+"\x00"+key) {
		return
	}
	out, err := readMessage(w, r)
	if err != nil {
		h.fail(w, err)
		return
	}
	if out.Kind == core.OutTemplate && out.Template.Language == "" {
		out.Template.Language = h.templateLanguage(out.Template.Name)
	}
	d, err := h.lead(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	sent, err := h.o.Engine.Reply(r.Context(), d.Lead.Contact, a.name, out)
	if err != nil {
		h.fail(w, err)
		return
	}
	v := messageView{ID: sent.ID, Kind: sent.Kind, Text: sent.Text, Status: core.StatusQueued, Author: a.name}
	if sent.Media != nil {
		md := *sent.Media
		md.Data = nil
		v.Media = &md
	}
	rec := newRecorder()
	writeJSON(rec, http.StatusCreated, v)
	if key != "" {
		h.idem.store(a.name+"\x00"+mux.Vars(r)["id"]+"\x00"+key, rec)
	}
	rec.copyTo(w)
}

// templateLanguage is the language of an approved template.
func (h *Handler) templateLanguage(name string) string {
	for _, t := range h.o.Templates {
		if t.Name == name && t.Language != "" {
			return t.Language
		}
	}
	return "en_US"
}

func (h *Handler) takeOver(w http.ResponseWriter, r *http.Request, a *actor) {
	h.conversationAction(w, r, func(ctx context.Context, contact string) error {
		return h.o.Engine.TakeOver(ctx, contact, a.name)
	})
}

func (h *Handler) release(w http.ResponseWriter, r *http.Request, a *actor) {
	h.conversationAction(w, r, func(ctx context.Context, contact string) error {
		return h.o.Engine.Release(ctx, contact, a.name)
	})
}

// conversationAction runs an engine action on the lead of the path and
// answers with the lead.
func (h *Handler) conversationAction(w http.ResponseWriter, r *http.Request, fn func(ctx context.Context, contact string) error) {
	d, err := h.lead(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	if err := fn(r.Context(), d.Lead.Contact); err != nil {
		h.fail(w, err)
		return
	}
	d, err = h.lead(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, leadDetail{LeadDetail: d, View: h.viewLead(d.Lead)})
}

// correction changes one field of the customer's data.
type correction struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

func (h *Handler) checkCorrection(c correction) error {
	if !slices.Contains(h.o.Rights.CorrectableFields(), c.Field) {
		return invalid("field", "want one of %s, got %q", strings.Join(h.o.Rights.CorrectableFields(), ", "), c.Field)
	}
	if strings.TrimSpace(c.Value) == "" {
		return invalid("value", "required")
	}
	return nil
}

func (h *Handler) correct(w http.ResponseWriter, r *http.Request, a *actor) {
	var c correction
	if err := decodeJSON(w, r, &c); err != nil {
		h.fail(w, err)
		return
	}
	if err := h.checkCorrection(c); err != nil {
		h.fail(w, err)
		return
	}
	h.conversationAction(w, r, func(ctx context.Context, contact string) error {
		return h.doCorrect(ctx, contact, c, a)
	})
}

func (h *Handler) doCorrect(ctx context.Context, contact string, c correction, a *actor) error {
	err := h.o.Engine.Exclusive(contact, func() error {
		return h.o.Rights.Correct(ctx, contact, c.Field, c.Value, a.name)
	})
	if errors.Is(err, core.ErrInvalidValue) {
		return invalid("value", "%s", strings.TrimPrefix(err.Error(), "correct "+c.Field+": correct: "))
	}
	h.Notify(contact)
	return err
}

func (h *Handler) exportLead(w http.ResponseWriter, r *http.Request, a *actor) {
	d, err := h.lead(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	data, name, err := h.export(r.Context(), d.Lead.Contact, a)
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	_, _ = w.Write(data)
}

// export makes the customer's export and audits who asked for it.
func (h *Handler) export(ctx context.Context, contact string, a *actor) ([]byte, string, error) {
	data, name, err := h.o.Rights.Export(ctx, contact)
	if err != nil {
		return nil, "", err
	}
	err = h.o.Owner.Audit(ctx, core.AuditEntry{Actor: a.name, Action: "export", Contact: contact, Detail: "downloaded from the console or API"})
	return data, name, err
}

func (h *Handler) eraseLead(w http.ResponseWriter, r *http.Request, a *actor) {
	d, err := h.lead(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	if err := h.erase(r.Context(), d.Lead.Contact, a); err != nil {
		h.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) erase(ctx context.Context, contact string, a *actor) error {
	err := h.o.Engine.Exclusive(contact, func() error { return h.o.Rights.Erase(ctx, contact, a.name) })
	if err == nil {
		h.Notify(contact)
	}
	return err
}

// quote loads the quote of the {id} in the path.
func (h *Handler) quote(r *http.Request) (*core.QuoteRecord, []core.QuoteRecord, error) {
	return h.o.Records.Quote(r.Context(), mux.Vars(r)["id"])
}

// quoteView is a quote with its earlier revisions and its lead.
type quoteView struct {
	*core.QuoteRecord
	Lead      string             `json:"lead,omitempty"`
	Revisions []core.QuoteRecord `json:"revisions"`
}

func (h *Handler) viewQuote(q *core.QuoteRecord, revs []core.QuoteRecord) quoteView {
	v := quoteView{QuoteRecord: q, Revisions: revs}
	if q.Contact != "" {
		v.Lead = h.o.Records.LeadID(q.Contact)
	}
	return v
}

func (h *Handler) getQuote(w http.ResponseWriter, r *http.Request, _ *actor) {
	q, revs, err := h.quote(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, h.viewQuote(q, revs))
}

// revisionRequest is an owner's new revision of a quote.
type revisionRequest struct {
	Items      []itemRequest  `json:"items"`
	Discount   *int64         `json:"discount"`    // minor units
	TaxRate    *float64       `json:"tax_rate"`    // 0.21
	ValidUntil *string        `json:"valid_until"` // a date
	Notes      *string        `json:"notes"`
	Set        map[string]any `json:"set"` // corrected values, priced again
	Send       *bool          `json:"send"`
}

// itemRequest is one line of a revised quote.
type itemRequest struct {
	Description string  `json:"description"`
	Quantity    float64 `json:"quantity"`
	Unit        string  `json:"unit"`
	UnitPrice   int64   `json:"unit_price"` // minor units
	Source      string  `json:"source"`
	Rule        string  `json:"rule"`
}

func (rr *revisionRequest) revision() (engine.QuoteRevision, error) {
	rev := engine.QuoteRevision{Discount: rr.Discount, TaxRate: rr.TaxRate, Notes: rr.Notes, Send: rr.Send == nil || *rr.Send}
	if len(rr.Set) > 0 && (rr.Items != nil || rr.Discount != nil || rr.TaxRate != nil) {
		return rev, invalid("set", "correct values (set) or edit lines, not both at once")
	}
	if rr.Items == nil && rr.Discount == nil && rr.TaxRate == nil && rr.ValidUntil == nil && rr.Notes == nil && len(rr.Set) == 0 && rr.Send != nil && !*rr.Send {
		return rev, invalid("body", "nothing to change")
	}
	for path, v := range rr.Set {
		if !strings.HasPrefix(path, "project.") {
			return rev, invalid("set."+path, "only project.* values can be corrected")
		}
		switch v.(type) {
		case float64, string, bool:
		default:
			return rev, invalid("set."+path, "want a number, text or true/false")
		}
	}
	rev.Set = rr.Set
	if rr.Items != nil {
		if len(rr.Items) == 0 {
			return rev, invalid("items", "a quote needs at least one line")
		}
		rev.Items = []core.QuoteItem{}
		for i, it := range rr.Items {
			if strings.TrimSpace(it.Description) == "" {
				return rev, invalid(fmt.Sprintf("items[%d].description", i), "required")
			}
			if it.Quantity < 0 || it.Quantity > 1e9 {
				return rev, invalid(fmt.Sprintf("items[%d].quantity", i), "want a number from 0 to 1e9")
			}
			if it.UnitPrice < 0 || it.UnitPrice > 1e13 {
				return rev, invalid(fmt.Sprintf("items[%d].unit_price", i), "want an amount in minor units from 0")
			}
			rev.Items = append(rev.Items, core.QuoteItem{Description: it.Description, Quantity: it.Quantity, Unit: it.Unit, UnitPrice: it.UnitPrice, Source: it.Source, Rule: it.Rule})
		}
	}
	if rr.Discount != nil && *rr.Discount < 0 {
		return rev, invalid("discount", "must not be negative")
	}
	if rr.TaxRate != nil && (*rr.TaxRate < 0 || *rr.TaxRate >= 1) {
		return rev, invalid("tax_rate", "want a fraction in [0, 1), e.g. 0.21")
	}
	if rr.ValidUntil != nil {
		t, err := parseDate(*rr.ValidUntil)
		if err != nil {
			return rev, invalid("valid_until", "want a date (2026-01-31)")
		}
		if t.Hour() == 0 && t.Minute() == 0 {
			t = t.Add(24*time.Hour - time.Second) // the whole day
		}
		rev.ValidUntil = &t
	}
	return rev, nil
}

func (h *Handler) reviseQuote(w http.ResponseWriter, r *http.Request, a *actor) {
	var rr revisionRequest
	if err := decodeJSON(w, r, &rr); err != nil {
		h.fail(w, err)
		return
	}
	rev, err := rr.revision()
	if err != nil {
		h.fail(w, err)
		return
	}
	h.quoteAction(w, r, http.StatusCreated, func(ctx context.Context, q *core.QuoteRecord) (*core.QuoteRecord, error) {
		return h.o.Engine.ReviseQuote(ctx, q.Contact, q.ID, a.name, rev)
	})
}

func (h *Handler) approveQuote(w http.ResponseWriter, r *http.Request, a *actor) {
	h.quoteAction(w, r, http.StatusOK, func(ctx context.Context, q *core.QuoteRecord) (*core.QuoteRecord, error) {
		return h.o.Engine.ApproveQuote(ctx, q.Contact, q.ID, a.name)
	})
}

// outcomeRequest records what became of a quote.
type outcomeRequest struct {
	Outcome    string `json:"outcome"` // won, lost, paid
	Reason     string `json:"reason"`
	PaymentRef string `json:"payment_ref"`
}

func (o *outcomeRequest) check() error {
	switch o.Outcome {
	case engine.OutcomeWon, engine.OutcomeLost, engine.OutcomePaid:
	default:
		return invalid("outcome", "want won, lost or paid, got %q", o.Outcome)
	}
	if utf8.RuneCountInString(o.Reason) > 500 || utf8.RuneCountInString(o.PaymentRef) > 200 {
		return invalid("reason", "too long")
	}
	return nil
}

func (h *Handler) settleQuote(w http.ResponseWriter, r *http.Request, a *actor) {
	var o outcomeRequest
	if err := decodeJSON(w, r, &o); err != nil {
		h.fail(w, err)
		return
	}
	if err := o.check(); err != nil {
		h.fail(w, err)
		return
	}
	h.quoteAction(w, r, http.StatusOK, func(ctx context.Context, q *core.QuoteRecord) (*core.QuoteRecord, error) {
		return h.o.Engine.SettleQuote(ctx, q.Contact, q.ID, a.name, o.Outcome, o.Reason, o.PaymentRef)
	})
}

// quoteAction runs an engine action on the quote of the path.
func (h *Handler) quoteAction(w http.ResponseWriter, r *http.Request, status int, fn func(ctx context.Context, q *core.QuoteRecord) (*core.QuoteRecord, error)) {
	q, _, err := h.quote(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	if q.Contact == "" {
		h.fail(w, fmt.Errorf("%w: the customer was erased", engine.ErrQuoteState))
		return
	}
	if _, err := fn(r.Context(), q); err != nil {
		h.fail(w, err)
		return
	}
	q, revs, err := h.quote(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, status, h.viewQuote(q, revs))
}

func (h *Handler) getMedia(w http.ResponseWriter, r *http.Request, _ *actor) {
	id := mux.Vars(r)["id"]
	md, err := h.o.Media.Media(r.Context(), id)
	if err != nil {
		h.fail(w, err)
		return
	}
	data, ctype := md.Data, md.MIME
	if r.URL.Query().Get("size") == "thumb" {
		data, ctype = h.thumbs.get(id, md)
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "private, max-age=86400, immutable")
	w.Header().Set("Content-Security-Policy", "sandbox")
	if !strings.HasPrefix(ctype, "image/") {
		name := md.Filename
		if name == "" {
			name = id[:min(16, len(id))]
		}
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

func (h *Handler) leadsCSV(w http.ResponseWriter, r *http.Request, a *actor) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="leads.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"lead_id", "name", "phone", "email", "company", "service", "stage", "quote_id", "quote_status", "currency", "quote_total", "created", "last_activity"})
	q := core.LeadQuery{Limit: 200}
	for {
		p, err := h.o.Records.LeadPage(r.Context(), q)
		if err != nil {
			h.log.Error("leads csv", "err", err)
			return
		}
		for _, l := range p.Leads {
			_ = cw.Write([]string{l.ID, csvSafe(l.Name), csvSafe(l.Phone), csvSafe(l.Email), csvSafe(l.Company), csvSafe(l.Service), l.Stage,
				l.QuoteID, l.QuoteStatus, l.Currency, decimal(l.QuoteTotal, l.Currency), l.Created.UTC().Format(time.RFC3339), l.Activity.UTC().Format(time.RFC3339)})
		}
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
	}
	cw.Flush()
	_ = h.o.Owner.Audit(r.Context(), core.AuditEntry{Actor: a.name, Action: "export_csv", Detail: "leads.csv"})
}

func (h *Handler) quotesCSV(w http.ResponseWriter, r *http.Request, a *actor) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="quotes.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"quote_id", "revision", "lead_id", "status", "currency", "subtotal", "discount", "tax", "total", "tax_rate", "created", "decided", "paid", "payment_ref"})
	err := h.o.Records.AllQuotes(r.Context(), func(q core.QuoteRecord) error {
		lead := ""
		if q.Contact != "" {
			lead = h.o.Records.LeadID(q.Contact)
		}
		return cw.Write([]string{q.ID, strconv.Itoa(q.Revision), lead, q.Status, q.Currency,
			decimal(q.Subtotal, q.Currency), decimal(q.Discount, q.Currency), decimal(q.Tax, q.Currency), decimal(q.Total, q.Currency),
			strconv.FormatFloat(q.TaxRate, 'f', -1, 64), date(q.Created), date(q.DecidedAt), date(q.PaidAt), csvSafe(q.PaymentRef)})
	})
	if err != nil {
		h.log.Error("quotes csv", "err", err)
	}
	cw.Flush()
	_ = h.o.Owner.Audit(r.Context(), core.AuditEntry{Actor: a.name, Action: "export_csv", Detail: "quotes.csv"})
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvSafe keeps a spreadsheet from reading a customer's text as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (h *Handler) getCanned(w http.ResponseWriter, r *http.Request, _ *actor) {
	c, err := h.o.Owner.CannedReplies(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"canned_replies": c})
}

// cannedRequest replaces the canned replies.
type cannedRequest struct {
	Replies []core.CannedReply `json:"canned_replies"`
}

func checkCanned(replies []core.CannedReply) error {
	seen := map[string]bool{}
	for i, c := range replies {
		if !validShortcut(c.Shortcut) {
			return invalid(fmt.Sprintf("canned_replies[%d].shortcut", i), "want 1 to 30 letters, digits, - or _")
		}
		if seen[c.Shortcut] {
			return invalid(fmt.Sprintf("canned_replies[%d].shortcut", i), "%q is used twice", c.Shortcut)
		}
		seen[c.Shortcut] = true
		if t := strings.TrimSpace(c.Text); t == "" || utf8.RuneCountInString(t) > 4096 {
			return invalid(fmt.Sprintf("canned_replies[%d].text", i), "want 1 to 4096 characters")
		}
	}
	if len(replies) > 200 {
		return invalid("canned_replies", "at most 200")
	}
	return nil
}

func validShortcut(s string) bool {
	if s == "" || len(s) > 30 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (h *Handler) putCanned(w http.ResponseWriter, r *http.Request, a *actor) {
	var c cannedRequest
	if err := decodeJSON(w, r, &c); err != nil {
		h.fail(w, err)
		return
	}
	if c.Replies == nil {
		h.fail(w, invalid("canned_replies", "required (an empty list removes them all)"))
		return
	}
	if err := checkCanned(c.Replies); err != nil {
		h.fail(w, err)
		return
	}
	if err := h.o.Owner.SetCannedReplies(r.Context(), c.Replies, a.name); err != nil {
		h.fail(w, err)
		return
	}
	h.getCanned(w, r, a)
}

func (h *Handler) getTemplates(w http.ResponseWriter, _ *http.Request, _ *actor) {
	t := h.o.Templates
	if t == nil {
		t = []core.Template{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": t})
}

func (h *Handler) getAudit(w http.ResponseWriter, r *http.Request, _ *actor) {
	since := h.o.Clock().Add(-30 * 24 * time.Hour)
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := parseDate(v)
		if err != nil {
			badRequest(w, "since", "want a date (2026-01-31) or an RFC 3339 time")
			return
		}
		since = t
	}
	log, err := h.o.Records.AuditLog(r.Context(), since)
	if err != nil {
		h.fail(w, err)
		return
	}
	if log == nil {
		log = []core.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"audit": log})
}

// recorder keeps a response to replay it for a retried request with the
// same Idempotency-Key.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{header: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}

// idempotency remembers the answers to sends with an Idempotency-Key for a
// day, so a client that retries does not send twice.
type idempotency struct {
	clock func() time.Time
	mu    sync.Mutex
	seen  map[string]idemEntry
}

type idemEntry struct {
	rec *recorder
	at  time.Time
}

func newIdempotency(clock func() time.Time) *idempotency {
	return &idempotency{clock: clock, seen: map[string]idemEntry{}}
}

func (i *idempotency) replay(w http.ResponseWriter, key string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	now := i.clock()
	for k, e := range i.seen {
		if now.Sub(e.at) > 24*time.Hour {
			delete(i.seen, k)
		}
	}
	e, ok := i.seen[key]
	if !ok {
		return false
	}
	w.Header().Set("Idempotent-Replayed", "true")
	e.rec.copyTo(w)
	return true
}

func (i *idempotency) store(key string, rec *recorder) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.seen[key] = idemEntry{rec: rec, at: i.clock()}
}
