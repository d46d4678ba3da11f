package owner

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/flows"
)

// What the business hears about and where the bot loses customers: the
// notices (webhook deliveries, the owner's alert cards) that failed for
// good, shown in Needs me until dismissed, and the funnel of the flows'
// waiting steps, as an API route and a console page.

// alertRoutes are the API routes of this file.
func (h *Handler) alertRoutes() []route {
	return []route{
		{http.MethodGet, "/analytics/funnel", false, h.getFunnel},
		{http.MethodGet, "/notices/failed", false, h.getFailedNotices},
		{http.MethodDelete, "/notices/failed/{id}", true, h.dismissNotice},
	}
}

// alertDocs documents them in the OpenAPI document.
var alertDocs = map[string]apiDoc{
	"GET /analytics/funnel": {summary: "Where the bot loses customers: for each waiting step of the flows, how many conversations reached it, how many answered it and how many stopped there (each contact counted once per step), in the flows' order",
		response: "Funnel", status: "200", errors: []string{"401"}},
	"GET /notices/failed": {summary: "Webhook deliveries and the owner's alert cards that failed for good (a webhook is tried for 24 hours), newest first",
		query: []param{{"limit", "integer", "at most this many, 1 to 1000 (default 100)"}}, response: "FailedNotices", status: "200", errors: []string{"400", "401"}},
	"DELETE /notices/failed/{id}": {summary: "Dismiss a failed notice (audited)", status: "204", errors: []string{"401", "403", "404"}},
}

// alertSchemas are the OpenAPI schemas of this file.
func alertSchemas() map[string]any {
	return map[string]any{
		"Funnel": obj(map[string]any{
			"conversations": typ("integer", "conversations that reached the first step counted"),
			"steps": map[string]any{"type": "array", "items": obj(map[string]any{
				"flow": typ("string"), "step": typ("string"), "kind": typ("string", "ask, choice, consent, photos, confirm_quote..."),
				"question": typ("string", "the start of what the step asks"), "reached": typ("integer"), "answered": typ("integer"),
				"stopped": typ("integer", "reached and never answered (so far)"), "answer_rate": typ("number", "answered / reached, 0 to 1"),
			}, "flow", "step", "reached", "answered", "stopped")},
		}, "conversations", "steps"),
		"FailedNotices": obj(map[string]any{"notices": map[string]any{"type": "array", "items": obj(map[string]any{
			"id": typ("string"), "channel": typ("string", "webhook, or the owner's channel for an alert card"), "event": typ("string"),
			"event_id": typ("string"), "lead": typ("string"), "target": typ("string", "the webhook URL without its query, or owner"),
			"delivery_id": typ("string", "the X-AllMyLeads-Delivery of a webhook"), "attempts": typ("integer"), "error": typ("string"),
			"queued": typ("string"), "failed": typ("string"),
		}, "id", "event", "target", "error")}}, "notices"),
	}
}

// routeDoc finds a route's documentation.
func routeDoc(key string) (apiDoc, bool) {
	if d, ok := apiDocs[key]; ok {
		return d, true
	}
	d, ok := alertDocs[key]
	return d, ok
}

// FunnelRow is one waiting step of the funnel.
type FunnelRow struct {
	Flow       string  `json:"flow"`
	Step       string  `json:"step"`
	Kind       string  `json:"kind,omitempty"`
	Question   string  `json:"question,omitempty"`
	Reached    int     `json:"reached"`
	Answered   int     `json:"answered"`
	Stopped    int     `json:"stopped"`
	AnswerRate float64 `json:"answer_rate"`
}

// FunnelReport is the funnel the API returns and the console draws.
type FunnelReport struct {
	Conversations int         `json:"conversations"`
	Steps         []FunnelRow `json:"steps"`
}

// funnel reads the store's counts and puts them in the flows' order:
// the order conversations meet the steps, following each flow's steps
// and the flows they link to from the start flow; steps the flows no
// longer have come last.
func (h *Handler) funnel(ctx context.Context) (*FunnelReport, error) {
	rep := &FunnelReport{Steps: []FunnelRow{}}
	if h.o.Funnel == nil {
		return rep, nil
	}
	counts, err := h.o.Funnel.Funnel(ctx)
	if err != nil {
		return nil, err
	}
	pos := stepOrder(h.o.Flows, h.o.StartFlow)
	for _, c := range counts {
		row := FunnelRow{Flow: c.Flow, Step: c.Step, Reached: c.Reached, Answered: min(c.Answered, c.Reached)}
		row.Stopped = row.Reached - row.Answered
		if row.Reached > 0 {
			row.AnswerRate = float64(row.Answered) / float64(row.Reached)
		}
		if s := stepOf(h.o.Flows, c.Flow, c.Step); s != nil {
			row.Kind = string(s.Kind)
			if s.Text != nil {
				row.Question = clipText(strings.Join(strings.Fields(s.Text.Source), " "), 80)
			}
		}
		rep.Steps = append(rep.Steps, row)
		rep.Conversations = max(rep.Conversations, row.Reached)
	}
	sort.SliceStable(rep.Steps, func(i, j int) bool {
		a, b := rep.Steps[i], rep.Steps[j]
		pa, oka := pos[a.Flow+"/"+a.Step]
		pb, okb := pos[b.Flow+"/"+b.Step]
		switch {
		case oka && okb:
			return pa < pb
		case oka != okb:
			return oka
		}
		return a.Reached > b.Reached
	})
	return rep, nil
}

// stepOrder numbers the flows' steps in the order a conversation meets
// them: the start flow's steps, then the flows they link to, depth first;
// flows no link reaches follow in load order.
func stepOrder(set *flows.Set, start string) map[string]int {
	pos := map[string]int{}
	if set == nil {
		return pos
	}
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		f := set.Flow(name)
		if f == nil || seen[name] {
			return
		}
		seen[name] = true
		for _, s := range f.Steps {
			pos[name+"/"+s.ID] = len(pos)
			for _, target := range stepTargets(s) {
				if next, ok := strings.CutPrefix(target, "flow:"); ok {
					visit(next)
				}
			}
		}
	}
	if start != "" {
		visit(start)
	}
	for _, name := range set.Order {
		visit(name)
	}
	return pos
}

// stepTargets are the places a step may lead to ("flow:NAME" for another flow).
func stepTargets(s *flows.Step) []string {
	out := []string{s.Next, s.Else, s.Accept, s.Decline, s.OnError}
	if s.Link != "" {
		out = append(out, "flow:"+s.Link)
	}
	for _, b := range s.If {
		out = append(out, b.Next)
	}
	for _, o := range s.Options {
		out = append(out, o.Next)
	}
	return out
}

func stepOf(set *flows.Set, flow, step string) *flows.Step {
	if set == nil {
		return nil
	}
	if f := set.Flow(flow); f != nil {
		return f.Step(step)
	}
	return nil
}

func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (h *Handler) getFunnel(w http.ResponseWriter, r *http.Request, _ *actor) {
	rep, err := h.funnel(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// failedNotices returns the failed notices, or none without a log.
func (h *Handler) failedNotices(ctx context.Context, limit int) ([]core.FailedNotice, error) {
	if h.o.Notices == nil {
		return []core.FailedNotice{}, nil
	}
	list, err := h.o.Notices.FailedNotices(ctx, limit)
	if list == nil {
		list = []core.FailedNotice{}
	}
	return list, err
}

func (h *Handler) getFailedNotices(w http.ResponseWriter, r *http.Request, _ *actor) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := parseLimit(v)
		if err != nil || n > 1000 {
			badRequest(w, "limit", "want a number from 1 to 1000")
			return
		}
		limit = n
	}
	list, err := h.failedNotices(r.Context(), limit)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": list})
}

func (h *Handler) dismissNotice(w http.ResponseWriter, r *http.Request, a *actor) {
	if h.o.Notices == nil {
		h.fail(w, core.ErrNotFound)
		return
	}
	if err := h.o.Notices.DismissNotice(r.Context(), mux.Vars(r)["id"], a.name); err != nil {
		h.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// parseLimit reads a positive count.
func parseLimit(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errors.New("not a count")
	}
	return n, nil
}

// The console's side.

// funnelData is the funnel page.
type funnelData struct {
	Report *FunnelReport
	Bars   []funnelBar
}

// funnelBar is one step drawn as two bars in an SVG: reached (full
// width is every conversation) and answered.
type funnelBar struct {
	FunnelRow
	ReachedW, AnsweredW int // bar widths out of 300
	Pct                 string
}

func (p *pages) alertRoutes(r *mux.Router, base string) {
	r.Handle(base+"/funnel", p.page(p.funnelPage)).Methods(http.MethodGet)
	r.Handle(base+"/notices/{id}/dismiss", p.form(p.dismissNoticeForm)).Methods(http.MethodPost)
}

func (p *pages) funnelPage(w http.ResponseWriter, r *http.Request, s *session) {
	rep, err := p.h.funnel(r.Context())
	if err != nil {
		p.flash(s, "", p.explain(err))
		rep = &FunnelReport{}
	}
	d := funnelData{Report: rep}
	for _, row := range rep.Steps {
		b := funnelBar{FunnelRow: row}
		if rep.Conversations > 0 {
			b.ReachedW = row.Reached * 300 / rep.Conversations
			b.AnsweredW = row.Answered * 300 / rep.Conversations
		}
		b.Pct = percent(row.AnswerRate)
		d.Bars = append(d.Bars, b)
	}
	p.show(w, s, "funnel", "Funnel", "funnel", d)
}

func percent(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" }

func (p *pages) dismissNoticeForm(r *http.Request, s *session) (string, error) {
	if p.h.o.Notices == nil {
		return "", core.ErrNotFound
	}
	if err := p.h.o.Notices.DismissNotice(r.Context(), mux.Vars(r)["id"], s.actor); err != nil {
		return "", err
	}
	p.flash(s, "Dismissed.", "")
	return p.base + "/?tab=" + core.TabNeedsMe, nil
}
