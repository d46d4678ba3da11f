package flows

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// The ways on from a waiting step, so that no customer is stuck at it:
//
//	photos:  skip: STEP        where "no photos", "I can't", "later" go, and a
//	                           customer who sent no photo after `retries` reminders
//	ask:     unknown: STEP     where "I don't know", "not sure" go
//	ask:     prefill: PATH     a value already known at PATH (or at one of a
//	                           list of paths) is confirmed in one short question
//	                           instead of asked again
//	ask:     confirm: TEXT     that question's wording; {{ value }} is the value
//
// The engine has a default for each (a person is offered), so the keys say
// where the flow's author wants the customer to go instead.

// withWayOut adds the way-out keys to the kinds that take them.
func withWayOut(specs []KindSpec) []KindSpec {
	for i := range specs {
		switch specs[i].Kind {
		case KindPhotos:
			specs[i].Keys = append(specs[i].Keys, "skip", "retries")
		case KindAsk:
			specs[i].Keys = append(specs[i].Keys, "unknown", "prefill", "confirm")
		}
	}
	return specs
}

// wayOutKey decodes skip, unknown and prefill.
func (d *decoder) wayOutKey(s *Step, label string, p pair) {
	what := label + ": " + p.key
	switch p.key {
	case "skip":
		s.Skip, _ = d.word(p, what)
	case "unknown":
		s.Unknown, _ = d.word(p, what)
	case "prefill":
		s.Prefill = d.prefill(p, what)
	}
}

// prefill reads one variable path or a list of them.
func (d *decoder) prefill(p pair, what string) []string {
	var items []*yaml.Node
	switch p.v.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{p.v}
	case yaml.SequenceNode:
		if len(p.v.Content) == 0 {
			d.errorf(d.pos(p.v), "name the variable, e.g. prefill: lead.email", "%s: empty", what)
			return nil
		}
		items = p.v.Content
	default:
		d.errorf(d.pos(p.v), "name the variable, e.g. prefill: lead.email, or a list [project.noted.area_m2, lead.area]", "%s: want a variable path or a list of them, got %s", what, describe(p.v))
		return nil
	}
	var out []string
	for _, n := range items {
		n = d.resolve(n)
		v, ok := d.word(pair{key: p.key, k: p.k, v: n}, what)
		if !ok {
			continue
		}
		if err := checkPath(v); err != nil {
			d.errorf(d.pos(n), "write a dotted path such as lead.email", "%s: %v", what, err)
			continue
		}
		if root, _, _ := strings.Cut(v, "."); root == "config" {
			d.errorf(d.pos(n), "prefill from what the customer told: lead.*, project.*, contact.*", "%s: config.* is the business's, not an answer", what)
			continue
		}
		if contains(out, v) {
			d.errorf(d.pos(n), "", "%s: %s listed twice", what, v)
			continue
		}
		out = append(out, v)
	}
	return out
}

// finishWayOut checks what involves several keys: a prefill wording needs
// a prefill, and a photos step needs a way on for a customer without
// photos.
func (d *decoder) finishWayOut(s *Step, label string) {
	switch s.Kind {
	case KindAsk:
		if _, ok := s.Keys["confirm"]; ok && len(s.Prefill) == 0 {
			d.warnf(s.KeyPos("confirm"), "add prefill: PATH, the variable whose known value is confirmed", "%s: confirm is only asked for a prefilled value", label)
		}
	case KindPhotos:
		if s.Min > 0 && s.Skip == "" {
			d.warnf(s.KeyPos("photos"), "add skip: STEP, where \"no photos\" and \"later\" go",
				"%s: a customer without photos cannot go on here (after %d reminders a person is offered)", label, s.RetryLimit())
		}
	}
}

// DefaultRetries is how many answers a step takes before its way out
// (on_error, skip, or the engine's offer of a person) when retries is 0.
const DefaultRetries = 3

// RetryLimit is the step's retries, or DefaultRetries.
func (s *Step) RetryLimit() int {
	if s.Retries > 0 {
		return s.Retries
	}
	return DefaultRetries
}

// wayOut checks the variables a step prefills from: something must save
// them (or they are built in), as for text.
func (l *linter) wayOut(s *Step, label string) {
	if l.partial {
		return
	}
	for _, p := range s.Prefill {
		if !l.resolves(p, nil) && !l.savedUnder(p) {
			l.errorOnce("path\x00"+p, s.KeyPos("prefill"), l.pathHint(p), "%s: prefill: no step saves %s and it is not built in", label, p)
		}
		if p == s.Save {
			continue
		}
		if s.Save != "" && strings.HasPrefix(s.Save, p+".") {
			l.warnf(s.KeyPos("prefill"), fmt.Sprintf("name the value itself, e.g. %s", s.Save), "%s: prefill: %s holds %s itself", label, p, s.Save)
		}
	}
}
