package engine

import (
	"math"
	"strings"
	"sync"

	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/plugins"
)

// lookupPath reads a dotted path ("lead.name") from nested maps.
func lookupPath(vars map[string]any, path string) (any, bool) {
	var cur any = vars
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[part]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// setVar saves a value in the session and marks the records it feeds.
func (t *turn) setVar(path string, v any) {
	t.sess.SetVar(path, v)
	switch {
	case strings.HasPrefix(path, "lead.") || path == "lead" || strings.HasPrefix(path, "contact."):
		t.contactDirty = true
	case strings.HasPrefix(path, "project.") || path == "project":
		t.projectDirty = true
		if t.sess.ProjectID == "" {
			t.sess.ProjectID = t.e.deps.NewID("prj_")
		}
	}
}

// view is what templates and conditions see: the session variables plus
// the built-ins contact.* and config.*.
func (t *turn) view(extra map[string]any) map[string]any {
	v := make(map[string]any, len(t.sess.Vars)+4)
	for k, x := range t.sess.Vars {
		v[k] = x
	}
	contact := map[string]any{"phone": t.sess.Contact}
	if c, ok := t.sess.Vars["contact"].(map[string]any); ok {
		for k, x := range c {
			contact[k] = x
		}
	}
	name, _ := lookupPath(t.sess.Vars, "lead.name")
	if s, ok := name.(string); !ok || s == "" {
		name = contact["name"]
	}
	if s, ok := name.(string); ok {
		if words := strings.Fields(s); len(words) > 0 {
			contact["first_name"] = words[0]
		}
	}
	contact["channel"] = t.channel // where the customer writes from ("whatsapp", "web"), for flows that word things for it
	contact["language"] = t.lang() // the language the customer is answered in, for plugins that word quote lines
	v["contact"] = contact
	v["config"] = t.e.cfg.Business
	for k, x := range extra {
		v[k] = x
	}
	return v
}

// render fills a template from the view; a rendering error leaves the
// placeholder empty rather than failing the conversation.
func (t *turn) render(tpl *flows.Template, extra map[string]any) string {
	if tpl == nil {
		return ""
	}
	tpl = t.localize(tpl)
	view := t.view(extra)
	s, err := tpl.Render(func(p string) (any, bool) { return lookupPath(view, p) }, t.filtersFor())
	if err != nil {
		t.e.log.Warn("render template", "pos", tpl.Pos.String(), "err", err)
	}
	return s
}

// textCache holds the engine's own texts parsed once.
type textCache struct {
	mu sync.Mutex
	m  map[string]*flows.Template
}

func (e *Engine) text(src string) *flows.Template {
	e.texts.mu.Lock()
	defer e.texts.mu.Unlock()
	if tpl, ok := e.texts.m[src]; ok {
		return tpl
	}
	tpl, err := flows.ParseTemplate(src)
	if err != nil {
		e.log.Error("engine text does not parse", "err", err)
		tpl = &flows.Template{Source: src, Parts: []flows.Part{{Text: src}}}
	}
	if e.texts.m == nil {
		e.texts.m = map[string]*flows.Template{}
	}
	e.texts.m[src] = tpl
	return tpl
}

// moneyFilter formats a number of major units in the configured currency
// (or the currency given as the filter's argument).
func (e *Engine) moneyFilter(v any, args []string) (any, error) {
	cur := e.cfg.Currency
	if len(args) > 0 && args[0] != "" {
		cur = args[0]
	}
	f, ok := toFloat(v)
	if !ok {
		return v, nil
	}
	dec, ok := plugins.CurrencyDecimals(cur)
	if !ok {
		dec = 2
	}
	minor := int64(math.Round(f * math.Pow10(dec)))
	return plugins.FormatMoney(minor, cur), nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}
