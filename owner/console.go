package owner

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages renders the console: server-side html/template pages, forms that
// post and redirect, and app.js for live updates and the reply box.
type pages struct {
	h    *Handler
	base string // the console's path, e.g. /console
	tpl  map[string]*template.Template
}

func newPages(h *Handler) (*pages, error) {
	p := &pages{h: h, base: h.o.Prefix + "/console", tpl: map[string]*template.Template{}}
	funcs := template.FuncMap{
		"money":     money,
		"stage":     stageLabel,
		"when":      func(t time.Time) string { return p.when(t) },
		"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"ago":       func(t time.Time) string { return ago(h.o.Clock(), t) },
		"base":      func() string { return p.base },
		"api":       func() string { return h.o.Prefix + "/api/v1" },
		"pct":       func(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" },
		"qty":       func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
		"decimal":   decimal,
		"value":     func(v any) string { return displayValue(v) },
		"lower":     strings.ToLower,
		"statusTxt": statusText,
		"title":     func(s string) string { return strings.ToUpper(s[:min(1, len(s))]) + s[min(1, len(s)):] },
		"isImage":   func(m core.Media) bool { return strings.HasPrefix(m.MIME, "image/") },
		"date":      func(t time.Time) string { return dateInput(t) },
		"stages":    stageList,
		"json": func(v any) (template.JS, error) {
			b, err := json.Marshal(v)
			return template.JS(b), err
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("owner: console layout: %w", err)
	}
	for _, name := range []string{"login", "leads", "inbox", "lead", "settings", "error", "funnel"} {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("owner: console page %s: %w", name, err)
		}
		p.tpl[name] = t
	}
	return p, nil
}

func stageList() []string { return core.Stages() }

// stageLabel names a stage for people.
func stageLabel(s string) string {
	switch s {
	case core.StageNew:
		return "New"
	case core.StageConversation:
		return "In conversation"
	case core.StageWaitingPerson:
		return "Waiting for a person"
	case core.StageAwaitingApproval:
		return "Awaiting approval"
	case core.StageQuoted:
		return "Quoted"
	case core.StageAccepted:
		return "Accepted"
	case core.StagePaid:
		return "Paid"
	case core.StageDeclined:
		return "Declined"
	case core.StageExpired:
		return "Expired"
	case core.StageLost:
		return "Lost"
	case core.StageOptedOut:
		return "Opted out"
	}
	return s
}

// statusText says how far an outbound message got, for people.
func statusText(m core.MessageRecord) string {
	switch m.Status {
	case core.StatusQueued:
		return "queued"
	case core.StatusSent:
		return "sent ✓"
	case core.StatusDelivered:
		return "delivered ✓✓"
	case core.StatusRead:
		return "read ✓✓ (seen)"
	case core.StatusFailed:
		if m.Error != "" {
			return "failed: " + m.Error
		}
		return "failed"
	case core.StatusNeedsTemplate:
		return "not sent: the 24-hour window had closed"
	}
	return m.Status
}

func displayValue(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return "—"
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func dateInput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

func (p *pages) when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2 Jan 2006 15:04")
}

// ago says how long ago t was: "5 min ago", "3 h ago", "2 days ago".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// routes mounts the console under base.
func (p *pages) routes(r *mux.Router, base string) {
	static, _ := fs.Sub(staticFS, "static")
	r.PathPrefix(base + "/static/").Handler(http.StripPrefix(base+"/static/", cacheStatic(http.FileServer(http.FS(static)))))
	r.Handle(base, http.RedirectHandler(base+"/", http.StatusFound))
	r.HandleFunc(base+"/login", p.loginPage).Methods(http.MethodGet)
	r.HandleFunc(base+"/login", p.loginPost).Methods(http.MethodPost)
	r.Handle(base+"/logout", p.form(p.logout)).Methods(http.MethodPost)
	r.Handle(base+"/", p.page(p.leadsPage)).Methods(http.MethodGet)
	r.Handle(base+"/inbox", p.page(p.inboxPage)).Methods(http.MethodGet)
	r.Handle(base+"/settings", p.page(p.settingsPage)).Methods(http.MethodGet)
	r.Handle(base+"/settings/canned", p.form(p.saveCanned)).Methods(http.MethodPost)
	r.Handle(base+"/leads/{id}", p.page(p.leadPage)).Methods(http.MethodGet)
	r.Handle(base+"/leads/{id}/export", p.form(p.exportForm)).Methods(http.MethodPost)
	for name, fn := range map[string]func(r *http.Request, s *session, d *core.LeadDetail) (string, error){
		"takeover": p.takeOver, "release": p.release, "reply": p.reply, "note": p.note, "lost": p.lost,
		"correct": p.correctForm, "erase": p.eraseForm,
	} {
		r.Handle(base+"/leads/{id}/"+name, p.form(p.onLead(fn))).Methods(http.MethodPost)
	}
	for name, fn := range map[string]func(r *http.Request, s *session, q *core.QuoteRecord) error{
		"revise": p.revise, "approve": p.approve, "outcome": p.outcome, "payment-link": p.paymentLink,
	} {
		r.Handle(base+"/quotes/{id}/"+name, p.form(p.onQuote(fn))).Methods(http.MethodPost)
	}
	p.alertRoutes(r, base) // alerts.go: the funnel, failed notices
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// view is what every page gets.
type view struct {
	Title    string
	Business string
	Session  *session
	Flash    string
	Error    string
	Nav      string
	Data     any
}

// securityHeaders are set on every console page.
func securityHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("Cache-Control", "no-store")
}

// render writes a page.
func (p *pages) render(w http.ResponseWriter, status int, name string, v view) {
	v.Business = p.h.o.Business
	var buf bytes.Buffer
	if err := p.tpl[name].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		p.h.log.Error("console: render", "page", name, "err", err)
		http.Error(w, "the page could not be shown; it is logged", http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// page wraps a page that needs a login.
func (p *pages) page(fn func(w http.ResponseWriter, r *http.Request, s *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer p.recover(w)
		s := p.h.auth.sessionOf(r)
		if s == nil {
			http.Redirect(w, r, p.base+"/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		fn(w, r, s)
	})
}

func (p *pages) recover(w http.ResponseWriter) {
	if v := recover(); v != nil {
		p.h.log.Error("console: panic", "panic", fmt.Sprint(v))
		http.Error(w, "something went wrong; it is logged", http.StatusInternalServerError)
	}
}

// form wraps a form post: a login, its CSRF token, a writable login; fn
// returns where to go next. Errors come back to the page as a message.
func (p *pages) form(fn func(r *http.Request, s *session) (string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer p.recover(w)
		s := p.h.auth.sessionOf(r)
		if s == nil {
			http.Redirect(w, r, p.base+"/login", http.StatusSeeOther)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			_ = r.ParseMultipartForm(maxUpload)
		} else {
			_ = r.ParseForm()
		}
		if !s.csrfOK(r.PostFormValue("csrf")) {
			p.render(w, http.StatusForbidden, "error", view{Title: "Form expired", Session: s, Error: "This form has expired or came from another site. Go back, reload the page and try again."})
			return
		}
		if s.readOnly {
			p.render(w, http.StatusForbidden, "error", view{Title: "Read-only", Session: s, Error: "You are logged in with a read-only token: nothing can be changed."})
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), writerKey{}, w))
		next, err := fn(r, s)
		back := r.Referer()
		if u, perr := url.Parse(back); perr != nil || back == "" || (u.Host != "" && u.Host != r.Host) {
			back = p.base + "/"
		}
		if err != nil {
			p.flash(s, "", p.explain(err))
			next = back
		}
		if next == "" {
			next = back
		}
		if next == "-" {
			return // fn wrote the answer (a download)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
}

// explain turns an action's error into a sentence for the page.
func (p *pages) explain(err error) string {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.field + ": " + fe.msg
	}
	status, title, _ := classify(err)
	if status == http.StatusInternalServerError {
		p.h.log.Error("console: action failed", "err", err)
		return "That did not work; the error is logged."
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && status != http.StatusBadRequest {
		msg = msg[i+2:]
	}
	if title != "" && !strings.Contains(strings.ToLower(msg), strings.ToLower(title)) {
		return title + ": " + msg
	}
	return msg
}

// flash keeps a message for the next page of the session.
func (p *pages) flash(s *session, ok, errMsg string) {
	p.h.auth.mu.Lock()
	defer p.h.auth.mu.Unlock()
	s.flash, s.flashErr = ok, errMsg
}

// takeFlash returns and clears the session's message.
func (p *pages) takeFlash(s *session) (string, string) {
	p.h.auth.mu.Lock()
	defer p.h.auth.mu.Unlock()
	ok, e := s.flash, s.flashErr
	s.flash, s.flashErr = "", ""
	return ok, e
}

func (p *pages) show(w http.ResponseWriter, s *session, name, title, nav string, data any) {
	ok, e := p.takeFlash(s)
	p.render(w, http.StatusOK, name, view{Title: title, Session: s, Flash: ok, Error: e, Nav: nav, Data: data})
}

// loginData is the login form.
type loginData struct {
	CSRF, Next, Error string
}

func (p *pages) loginPage(w http.ResponseWriter, r *http.Request) {
	if p.h.auth.sessionOf(r) != nil {
		http.Redirect(w, r, p.base+"/", http.StatusSeeOther)
		return
	}
	p.loginForm(w, r, http.StatusOK, "")
}

func (p *pages) loginForm(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := randomToken()
	p.h.auth.cookie(w, r, loginCookie, tok, 3600)
	p.render(w, status, "login", view{Title: "Log in", Data: loginData{CSRF: tok, Next: safeNext(p.base, r.FormValue("next")), Error: msg}})
}

// safeNext keeps a redirect after login within the console.
func safeNext(base, next string) string {
	if strings.HasPrefix(next, base+"/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return base + "/"
}

func (p *pages) loginPost(w http.ResponseWriter, r *http.Request) {
	defer p.recover(w)
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	_ = r.ParseForm()
	c, err := r.Cookie(loginCookie)
	if err != nil || !equal(c.Value, r.PostFormValue("csrf")) {
		p.loginForm(w, r, http.StatusForbidden, "The form expired. Please try again.")
		return
	}
	if !p.h.auth.allow(r) {
		w.Header().Set("Retry-After", "60")
		p.loginForm(w, r, http.StatusTooManyRequests, "Too many attempts. Wait a minute and try again.")
		return
	}
	s, err := p.h.auth.login(r, r.PostFormValue("secret"))
	if err != nil {
		p.h.log.Warn("console: login refused", "remote", r.RemoteAddr)
		p.loginForm(w, r, http.StatusUnauthorized, "Wrong password or token.")
		return
	}
	_ = p.h.o.Owner.Audit(r.Context(), core.AuditEntry{Actor: s.actor, Action: "login", Detail: "console"})
	p.h.auth.cookie(w, r, loginCookie, "", -1)
	p.h.auth.cookie(w, r, sessionCookie, s.id, int(p.h.o.SessionTTL.Seconds()))
	http.Redirect(w, r, safeNext(p.base, r.PostFormValue("next")), http.StatusSeeOther)
}

func (p *pages) logout(r *http.Request, s *session) (string, error) {
	p.h.auth.end(s)
	return p.base + "/login", nil
}

// leadsData is the lead list page.
type leadsData struct {
	Query   core.LeadQuery
	Tab     string
	Since   string
	Page    *leadPage
	NextURL string
	Tabs    []tabLink
	Total   []stageLine
	Failed  []core.FailedNotice // notices that failed for good (Needs me)
}

type tabLink struct {
	Name, Label, URL string
	Current          bool
}

type stageLine struct {
	core.StageStat
	Values []string
}

func (p *pages) leadsPage(w http.ResponseWriter, r *http.Request, s *session) {
	q, err := leadQuery(r)
	d := leadsData{Query: q, Tab: q.Tab, Since: r.URL.Query().Get("since")}
	if d.Tab == "" {
		d.Tab = core.TabNeedsMe
		q.Tab = d.Tab
	}
	if err != nil {
		p.flash(s, "", p.explain(err))
		q = core.LeadQuery{Tab: d.Tab}
	}
	page, err := p.h.page(r.Context(), q)
	if err != nil {
		p.flash(s, "", p.explain(err))
		page = &leadPage{}
	}
	d.Page = page
	if d.Tab == core.TabNeedsMe {
		if d.Failed, err = p.h.failedNotices(r.Context(), 20); err != nil {
			p.flash(s, "", p.explain(err))
		}
	}
	for _, t := range [][2]string{{core.TabNeedsMe, "Needs me"}, {core.TabBot, "Bot handling"}, {core.TabAll, "All"}} {
		v := url.Values{"tab": {t[0]}}
		d.Tabs = append(d.Tabs, tabLink{Name: t[0], Label: t[1], URL: p.base + "/?" + v.Encode(), Current: t[0] == d.Tab})
	}
	for _, st := range page.Stages {
		line := stageLine{StageStat: st}
		cur := make([]string, 0, len(st.Value))
		for c := range st.Value {
			cur = append(cur, c)
		}
		sort.Strings(cur)
		for _, c := range cur {
			line.Values = append(line.Values, money(st.Value[c], c))
		}
		d.Total = append(d.Total, line)
	}
	if page.NextCursor != "" {
		v := r.URL.Query()
		v.Set("cursor", page.NextCursor)
		d.NextURL = p.base + "/?" + v.Encode()
	}
	p.show(w, s, "leads", "Leads", "leads", d)
}

// inboxData is the inbox: conversations waiting for a person first.
type inboxData struct {
	Waiting []leadView
	Others  []leadView
}

func (p *pages) inboxPage(w http.ResponseWriter, r *http.Request, s *session) {
	var d inboxData
	needs, err := p.h.page(r.Context(), core.LeadQuery{Tab: core.TabNeedsMe, Limit: 100})
	if err == nil {
		d.Waiting = needs.Leads
		var bot *leadPage
		bot, err = p.h.page(r.Context(), core.LeadQuery{Tab: core.TabBot, Limit: 50})
		if err == nil {
			d.Others = bot.Leads
		}
	}
	if err != nil {
		p.flash(s, "", p.explain(err))
	}
	p.show(w, s, "inbox", "Inbox", "inbox", d)
}

// leadData is the lead page.
type leadData struct {
	Lead       leadView
	D          *core.LeadDetail
	Transcript []core.MessageRecord
	Quote      *quoteData
	Older      []quoteData
	Evidence   []evidenceLine
	Timeline   []timelineEntry
	Templates  []core.Template
	Canned     []core.CannedReply
	Fields     []string
	WindowText string
}

type quoteData struct {
	Q         core.QuoteRecord
	Lines     []lineData
	Revisions []core.QuoteRecord
	Editable  bool
	Pending   bool
	Payable   bool
	Linkable  bool // a payment link can be sent (payments.go)
}

type lineData struct {
	core.QuoteItem
	Index    int
	Evidence *core.Evidence
}

type evidenceLine struct {
	Path string
	core.Evidence
}

type timelineEntry struct {
	Time time.Time
	Who  string
	What string
}

func (p *pages) leadPage(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := p.h.lead(r)
	if errors.Is(err, core.ErrNotFound) {
		p.render(w, http.StatusNotFound, "error", view{Title: "Not found", Session: s, Error: "There is no such lead. It may have been erased."})
		return
	}
	if err != nil {
		p.render(w, http.StatusInternalServerError, "error", view{Title: "Error", Session: s, Error: p.explain(err)})
		return
	}
	ld := leadData{Lead: p.h.viewLead(d.Lead), D: d, Transcript: d.Messages, Templates: p.h.o.Templates, Fields: p.h.o.Rights.CorrectableFields()}
	ld.Canned, _ = p.h.o.Owner.CannedReplies(r.Context())
	if w := ld.Lead.WindowUntil; w != nil {
		if left := w.Sub(p.h.o.Clock()); left > 0 {
			ld.WindowText = fmt.Sprintf("open for %d h %02d min", int(left.Hours()), int(left.Minutes())%60)
		} else {
			ld.WindowText = "closed: only an approved template can be sent"
		}
	}
	revs := map[string][]core.QuoteRecord{}
	for _, rv := range d.Revisions {
		revs[rv.ID] = append(revs[rv.ID], rv)
	}
	for i, q := range d.Quotes {
		qd := quoteData{Q: q, Revisions: revs[q.ID]}
		slices.SortFunc(qd.Revisions, func(a, b core.QuoteRecord) int { return b.Revision - a.Revision })
		qd.Pending = q.Status == core.QuotePending
		qd.Editable = i == 0 && q.Status != core.QuotePaid && q.Contact != ""
		qd.Payable = i == 0 && (q.Status == core.QuoteSent || q.Status == core.QuoteAccepted)
		qd.Linkable = p.h.o.Payments != nil && i == 0 && (qd.Payable || q.Status == core.QuoteDepositPaid)
		for j, it := range q.Items {
			ln := lineData{QuoteItem: it, Index: j}
			if ev, ok := q.Evidence[it.Source]; ok && it.Source != "" {
				ev := ev
				ln.Evidence = &ev
			}
			qd.Lines = append(qd.Lines, ln)
		}
		if i == 0 {
			ld.Quote = &qd
		} else {
			ld.Older = append(ld.Older, qd)
		}
	}
	if d.Session != nil {
		for path, ev := range d.Session.Evidence {
			ld.Evidence = append(ld.Evidence, evidenceLine{Path: path, Evidence: ev})
		}
		sort.Slice(ld.Evidence, func(i, j int) bool { return ld.Evidence[i].Path < ld.Evidence[j].Path })
	}
	ld.Timeline = timeline(d)
	p.show(w, s, "lead", ld.Lead.DisplayName, "leads", ld)
}

// timeline merges the lead's events, newest first.
func timeline(d *core.LeadDetail) []timelineEntry {
	var t []timelineEntry
	for _, a := range d.Audit {
		t = append(t, timelineEntry{a.Time, a.Actor, strings.ReplaceAll(a.Action, "_", " ") + detailSuffix(a.Detail)})
	}
	for _, c := range d.Consents {
		what := "consent declined: " + c.Purpose
		if c.Granted {
			what = "consent given: " + c.Purpose
		}
		t = append(t, timelineEntry{c.Time, "customer", what})
		if !c.Withdrawn.IsZero() {
			t = append(t, timelineEntry{c.Withdrawn, "customer", "consent withdrawn: " + c.Purpose})
		}
	}
	for _, o := range d.OptEvents {
		what := "opted out (" + o.Keyword + ")"
		if o.OptIn {
			what = "opted in again (" + o.Keyword + ")"
		}
		t = append(t, timelineEntry{o.Time, "customer", what})
	}
	for _, q := range append(append([]core.QuoteRecord{}, d.Revisions...), d.Quotes...) {
		t = append(t, timelineEntry{q.Created, "bot", fmt.Sprintf("quote %s revision %d priced: %s", q.ID, q.Revision, money(q.Total, q.Currency))})
		if !q.DecidedAt.IsZero() {
			who := "customer"
			if q.DecidedBy != "" {
				who = q.DecidedBy
			}
			t = append(t, timelineEntry{q.DecidedAt, who, fmt.Sprintf("quote %s revision %d %s", q.ID, q.Revision, q.Status)})
		}
	}
	for _, a := range d.AI {
		t = append(t, timelineEntry{a.Time, "bot", fmt.Sprintf("%s read the photos (%s)", a.Extractor, a.Outcome)})
	}
	sort.SliceStable(t, func(i, j int) bool { return t[i].Time.After(t[j].Time) })
	return t
}

func detailSuffix(d string) string {
	if d == "" {
		return ""
	}
	return ": " + d
}

// onLead loads the lead of a form's path for fn.
func (p *pages) onLead(fn func(r *http.Request, s *session, d *core.LeadDetail) (string, error)) func(r *http.Request, s *session) (string, error) {
	return func(r *http.Request, s *session) (string, error) {
		d, err := p.h.lead(r)
		if err != nil {
			return "", err
		}
		return fn(r, s, d)
	}
}

func (p *pages) leadURL(d *core.LeadDetail) string { return p.base + "/leads/" + d.Lead.ID }

func actorOf(s *session) *actor { return &actor{name: s.actor, readOnly: s.readOnly, session: s} }

func (p *pages) takeOver(r *http.Request, s *session, d *core.LeadDetail) (string, error) {
	if err := p.h.o.Engine.TakeOver(r.Context(), d.Lead.Contact, s.actor); err != nil {
		return "", err
	}
	p.flash(s, "You have the conversation: the bot stays quiet until you hand it back.", "")
	return p.leadURL(d) + "#reply", nil
}

func (p *pages) release(r *http.Request, s *session, d *core.LeadDetail) (string, error) {
	if err := p.h.o.Engine.Release(r.Context(), d.Lead.Contact, s.actor); err != nil {
		return "", err
	}
	p.flash(s, "Handed back to the bot: it continues where the conversation waits.", "")
	return p.leadURL(d), nil
}

func (p *pages) reply(r *http.Request, s *session, d *core.LeadDetail) (string, error) {
	out, err := p.replyOf(r)
	if err != nil {
		return "", err
	}
	if _, err := p.h.o.Engine.Reply(r.Context(), d.Lead.Contact, s.actor, out); err != nil {
		return "", err
	}
	p.flash(s, "Sent.", "")
	return p.leadURL(d) + "#reply", nil
}

// replyOf reads the reply form: text, a file, or a template.
func (p *pages) replyOf(r *http.Request) (core.Outbound, error) {
	if f, fh, err := r.FormFile("file"); err == nil {
		defer f.Close()
		data := make([]byte, 0, fh.Size)
		buf := bytes.NewBuffer(data)
		if _, err := buf.ReadFrom(f); err != nil {
			return core.Outbound{}, invalid("file", "could not be read")
		}
		return mediaOutbound(buf.Bytes(), fh.Header.Get("Content-Type"), fh.Filename, r.FormValue("text"))
	}
	m := messageRequest{Text: r.FormValue("text")}
	if name := r.FormValue("template"); name != "" {
		m.Text = ""
		m.Template = &core.Template{Name: name, Language: p.h.templateLanguage(name)}
		if v := strings.TrimSpace(r.FormValue("params")); v != "" {
			for _, s := range strings.Split(v, "|") {
				m.Template.Params = append(m.Template.Params, strings.TrimSpace(s))
			}
		}
	}
	return m.outbound()
}

func (p *pages) note(r *http.Request, s *session, d *core.LeadDetail) (string, error) {
	text := r.FormValue("note")
	lp := leadPatch{Note: &text}
	if err := lp.check(); err != nil {
		return "", err
	}
	if err := p.h.applyPatch(r.Context(), d, lp, actorOf(s)); err != nil {
		return "", err
	}
	p.flash(s, "Note saved.", "")
	return p.leadURL(d) + "#notes", nil
}

func (p *pages) lost(r *http.Request, s *session, d *core.LeadDetail) (string, error) {
	status := r.FormValue("status")
	lp := leadPatch{Status: &status, Reason: r.FormValue("reason")}
	if err := lp.check(); err != nil {
		return "", err
	}
	if err := p.h.applyPatch(r.Context(), d, lp, actorOf(s)); err != nil {
		return "", err
	}
	return p.leadURL(d), nil
}

// confirmed checks a rights form's confirmation box.
func confirmed(r *http.Request) error {
	if r.FormValue("confirm") != "yes" {
		return invalid("confirm", "tick the box to confirm")
	}
	return nil
}

func (p *pages) correctForm(r *http.Request, s *session, d *core.LeadDetail) (string, error) {
	if err := confirmed(r); err != nil {
		return "", err
	}
	c := correction{Field: r.FormValue("field"), Value: r.FormValue("value")}
	if err := p.h.checkCorrection(c); err != nil {
		return "", err
	}
	if err := p.h.doCorrect(r.Context(), d.Lead.Contact, c, actorOf(s)); err != nil {
		return "", err
	}
	p.flash(s, "Corrected "+c.Field+". The change is in the audit log.", "")
	return p.leadURL(d) + "#rights", nil
}

func (p *pages) eraseForm(r *http.Request, s *session, d *core.LeadDetail) (string, error) {
	if err := confirmed(r); err != nil {
		return "", err
	}
	if err := p.h.erase(r.Context(), d.Lead.Contact, actorOf(s)); err != nil {
		return "", err
	}
	p.flash(s, "The customer's personal data was erased. The erasure is in the audit log.", "")
	return p.base + "/?tab=all", nil
}

// exportForm downloads the customer's export (after a confirmation).
func (p *pages) exportForm(r *http.Request, s *session) (string, error) {
	d, err := p.h.lead(r)
	if err != nil {
		return "", err
	}
	if err := confirmed(r); err != nil {
		return "", err
	}
	data, name, err := p.h.export(r.Context(), d.Lead.Contact, actorOf(s))
	if err != nil {
		return "", err
	}
	w := r.Context().Value(writerKey{}).(http.ResponseWriter)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(data)
	return "-", nil
}

// writerKey lets a form action that downloads write the response.
type writerKey struct{}

// onQuote loads the quote of a form's path for fn and goes back to its lead.
func (p *pages) onQuote(fn func(r *http.Request, s *session, q *core.QuoteRecord) error) func(r *http.Request, s *session) (string, error) {
	return func(r *http.Request, s *session) (string, error) {
		q, _, err := p.h.quote(r)
		if err != nil {
			return "", err
		}
		if q.Contact == "" {
			return "", fmt.Errorf("%w: the customer was erased", engine.ErrQuoteState)
		}
		if err := fn(r, s, q); err != nil {
			return "", err
		}
		return p.base + "/leads/" + p.h.o.Records.LeadID(q.Contact) + "#quote", nil
	}
}

// revise reads the quote form: lines (description, quantity, unit, unit
// price in major units), discount, validity, notes; or a corrected value
// to price again.
func (p *pages) revise(r *http.Request, s *session, q *core.QuoteRecord) error {
	send := r.FormValue("send") != "no"
	var rr revisionRequest
	rr.Send = &send
	if path := r.FormValue("set_path"); path != "" {
		v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(r.FormValue("set_value")), ",", "."), 64)
		if err != nil || v <= 0 {
			return invalid("set_value", "want a number above 0")
		}
		rr.Set = map[string]any{path: v}
	} else {
		dec := 2
		if d, ok := currencyDecimals(q.Currency); ok {
			dec = d
		}
		for i := range len(q.Items) + 1 {
			desc := strings.TrimSpace(r.FormValue(fmt.Sprintf("desc%d", i)))
			if desc == "" {
				continue
			}
			qty, err := strconv.ParseFloat(strings.ReplaceAll(r.FormValue(fmt.Sprintf("qty%d", i)), ",", "."), 64)
			if err != nil {
				return invalid(fmt.Sprintf("items[%d].quantity", i), "want a number")
			}
			price, err := parseMoney(r.FormValue(fmt.Sprintf("price%d", i)), dec)
			if err != nil {
				return invalid(fmt.Sprintf("items[%d].unit_price", i), "want an amount such as 55.00")
			}
			it := itemRequest{Description: desc, Quantity: qty, Unit: r.FormValue(fmt.Sprintf("unit%d", i)), UnitPrice: price}
			if i < len(q.Items) {
				it.Source, it.Rule = q.Items[i].Source, q.Items[i].Rule
			}
			rr.Items = append(rr.Items, it)
		}
		disc, err := parseMoney(r.FormValue("discount"), dec)
		if err != nil {
			return invalid("discount", "want an amount such as 50.00")
		}
		rr.Discount = &disc
		if v := r.FormValue("valid_until"); v != "" {
			rr.ValidUntil = &v
		}
		notes := r.FormValue("notes")
		rr.Notes = &notes
	}
	rev, err := rr.revision()
	if err != nil {
		return err
	}
	nq, err := p.h.o.Engine.ReviseQuote(r.Context(), q.Contact, q.ID, s.actor, rev)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Revision %d saved.", nq.Revision)
	if send {
		msg = fmt.Sprintf("Revision %d sent to the customer; the earlier one can no longer be accepted.", nq.Revision)
	}
	p.flash(s, msg, "")
	return nil
}

func (p *pages) approve(r *http.Request, s *session, q *core.QuoteRecord) error {
	if _, err := p.h.o.Engine.ApproveQuote(r.Context(), q.Contact, q.ID, s.actor); err != nil {
		return err
	}
	p.flash(s, "Approved and sent to the customer.", "")
	return nil
}

func (p *pages) outcome(r *http.Request, s *session, q *core.QuoteRecord) error {
	o := outcomeRequest{Outcome: r.FormValue("outcome"), Reason: r.FormValue("reason"), PaymentRef: r.FormValue("payment_ref")}
	if err := o.check(); err != nil {
		return err
	}
	if _, err := p.h.o.Engine.SettleQuote(r.Context(), q.Contact, q.ID, s.actor, o.Outcome, o.Reason, o.PaymentRef); err != nil {
		return err
	}
	p.flash(s, "Quote marked "+o.Outcome+".", "")
	return nil
}

// parseMoney reads "55", "55.5" or "1,234.50" as minor units.
func parseMoney(v string, dec int) (int64, error) {
	v = strings.ReplaceAll(strings.TrimSpace(v), ",", "")
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1e13 {
		return 0, errors.New("not an amount")
	}
	scale := 1.0
	for range dec {
		scale *= 10
	}
	return int64(f*scale + 0.5), nil
}

func (p *pages) settingsPage(w http.ResponseWriter, r *http.Request, s *session) {
	c, err := p.h.o.Owner.CannedReplies(r.Context())
	if err != nil {
		p.flash(s, "", p.explain(err))
	}
	p.show(w, s, "settings", "Settings", "settings", map[string]any{"Canned": c, "Templates": p.h.o.Templates})
}

func (p *pages) saveCanned(r *http.Request, s *session) (string, error) {
	var list []core.CannedReply
	for i := range 50 {
		sc := strings.TrimPrefix(strings.TrimSpace(r.FormValue(fmt.Sprintf("shortcut%d", i))), "/")
		text := strings.TrimSpace(r.FormValue(fmt.Sprintf("text%d", i)))
		if sc == "" && text == "" {
			continue
		}
		list = append(list, core.CannedReply{Shortcut: sc, Text: text})
	}
	if err := checkCanned(list); err != nil {
		return "", err
	}
	if err := p.h.o.Owner.SetCannedReplies(r.Context(), list, s.actor); err != nil {
		return "", err
	}
	p.flash(s, "Canned replies saved.", "")
	return p.base + "/settings", nil
}
