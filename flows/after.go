package flows

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Time in the flow language: a waiting step's `after:` list (reminders and
// moving on when the customer is silent), a pricing step's `valid_for:`
// and a confirm_quote step's `on_expiry:`.
//
//	- id: email
//	  ask: "Thanks {{ lead.name }}. Your email?"
//	  save: lead.email
//	  after:
//	    - { wait: 2h, say: "Still there? Your email, please." }
//	    - { wait: 1d, next: human, template: follow_up }

// AfterEntry is one entry of a waiting step's after list: what the bot
// does when the customer has been silent that long since the step started
// waiting. An answer from the customer cancels the step's pending entries.
type AfterEntry struct {
	// Wait is how long the customer has been silent since the step
	// started waiting. Zero when BeforeExpiry is set.
	Wait time.Duration
	// BeforeExpiry (confirm_quote only) fires this long before the quote
	// shown expires, instead of after a silence.
	BeforeExpiry time.Duration
	// Say is sent, and the step keeps waiting (unless Next is set).
	Say *Template
	// Next moves the conversation to this step ("end" ends it).
	Next string
	// Template is the approved WhatsApp template sent instead when the
	// customer's 24-hour window has closed; without one such an entry is
	// skipped and the skip recorded.
	Template string
	// Marketing marks a follow-up that offers something rather than
	// finishing the customer's request: it is never sent to a contact who
	// objected to direct marketing (NO MARKETING; core.MarketingAllowed).
	Marketing bool

	Pos     Pos // the entry
	NextPos Pos // where its next stands
}

// Window is WhatsApp's customer-service window: after it, only approved
// templates reach the customer.
const Window = 24 * time.Hour

// Bounds of the durations the language takes.
const (
	minAfterWait = time.Minute
	maxAfterWait = 365 * 24 * time.Hour
	maxValidFor  = 3650 * 24 * time.Hour
)

func afterKeys() []string {
	return []string{"wait", "before_expiry", "say", "next", "template", "marketing"}
}

var (
	daysRE     = regexp.MustCompile(`^(\d+(?:\.\d+)?)d(.*)$`)
	templateRE = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
)

// ParseDuration reads a duration as flows and tests write it: a Go
// duration (90m, 2h, 1h30m) or days, alone or before one (3d, 1.5d, 1d12h).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration: write e.g. 2h or 3d")
	}
	var days time.Duration
	rest := s
	if m := daysRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: want e.g. 30m, 2h or 3d", s)
		}
		days, rest = time.Duration(n*float64(24*time.Hour)), m[2]
		if rest == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(rest)
	if err != nil || strings.HasPrefix(rest, "-") {
		if _, isNum := strconv.ParseFloat(s, 64); isNum == nil {
			return 0, fmt.Errorf("duration %q has no unit: write e.g. %sm, %sh or %sd", s, s, s, s)
		}
		return 0, fmt.Errorf("duration %q: want e.g. 30m, 2h, 3d or 1d12h", s)
	}
	return days + d, nil
}

// FormatDuration writes a duration the way flows do: days when whole,
// else Go's notation without zero units (2h, 1h30m, 1d12h).
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	var b strings.Builder
	if d >= day {
		fmt.Fprintf(&b, "%dd", d/day)
		d %= day
		if d == 0 {
			return b.String()
		}
	}
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		s = "0s"
	}
	b.WriteString(s)
	return b.String()
}

// duration decodes a duration value between lo and hi.
func (d *decoder) duration(p pair, what string, lo, hi time.Duration) (time.Duration, bool) {
	if p.v.Kind != yaml.ScalarNode || p.v.Tag == "!!null" {
		d.errorf(d.pos(p.v), "for example 2h or 3d", "%s: want a duration, got %s", what, describe(p.v))
		return 0, false
	}
	v, err := ParseDuration(p.v.Value)
	if err != nil {
		d.errorf(d.pos(p.v), "", "%s: %v", what, err)
		return 0, false
	}
	if v < lo || v > hi {
		d.errorf(d.pos(p.v), "", "%s: %s is out of range %s to %s", what, p.v.Value, FormatDuration(lo), FormatDuration(hi))
		return 0, false
	}
	return v, true
}

// after decodes a waiting step's after list and checks what one step
// shows: each entry's keys and values, that entries are listed in the
// order they fire, that none hides behind an entry that moves on, and
// that entries sending a message after WhatsApp's window name a template.
func (d *decoder) after(p pair, s *Step, label string) []AfterEntry {
	what := label + ": after"
	if p.v.Kind != yaml.SequenceNode {
		d.errorf(d.pos(p.v), `each entry looks like "- { wait: 2h, say: Still there? }"`, "%s: want a list of entries, got %s", what, describe(p.v))
		return nil
	}
	if len(p.v.Content) == 0 {
		d.errorf(d.pos(p.v), "", "%s: empty: leave it out, or add an entry", what)
		return nil
	}
	var out []AfterEntry
	for i, item := range p.v.Content {
		ew := fmt.Sprintf("%s: entry %d", what, i+1)
		e, ok := d.afterEntry(d.resolve(item), s, ew)
		if ok {
			out = append(out, e)
		}
	}
	d.afterOrder(out, what)
	return out
}

func (d *decoder) afterEntry(n *yaml.Node, s *Step, what string) (AfterEntry, bool) {
	e := AfterEntry{Pos: d.pos(n), NextPos: d.pos(n)}
	if n.Kind != yaml.MappingNode {
		d.errorf(d.pos(n), `write it as "{ wait: 2h, say: Still there? }"`, "%s: want a mapping with wait and say or next, got %s", what, describe(n))
		return e, false
	}
	seen := map[string]bool{}
	ps := d.pairs(n)
	for _, ep := range ps {
		seen[ep.key] = true
		key := what + ": " + ep.key
		switch ep.key {
		case "wait":
			e.Wait, _ = d.duration(ep, key, minAfterWait, maxAfterWait)
		case "before_expiry":
			if s.Kind != KindConfirmQuote {
				d.errorf(d.pos(ep.k), "use wait: the time the customer has been silent", "%s: only a confirm_quote step has a quote that expires", key)
				continue
			}
			e.BeforeExpiry, _ = d.duration(ep, key, minAfterWait, maxValidFor)
		case "say":
			e.Say = d.message(ep, key, maxTextLen)
		case "next":
			e.NextPos = d.pos(ep.k)
			e.Next, _ = d.word(ep, key)
		case "marketing":
			e.Marketing, _ = d.boolean(ep, key)
		case "template":
			if v, ok := d.word(ep, key); ok {
				if !templateRE.MatchString(v) {
					d.errorf(d.pos(ep.v), "WhatsApp template names are lower case letters, digits and _", "%s: %q is not a template name", key, v)
				}
				e.Template = v
			}
		default:
			d.errorf(d.pos(ep.k), didYouMean(ep.key, afterKeys()), "%s: unknown key %q", what, ep.key)
		}
	}
	switch {
	case seen["wait"] && seen["before_expiry"]:
		d.errorf(e.Pos, "keep one", "%s: has both wait and before_expiry", what)
	case !seen["wait"] && !seen["before_expiry"] && !hasTypoOf(ps, "wait", afterKeys()):
		hint := "how long the customer has been silent, e.g. 2h or 3d"
		if s.Kind == KindConfirmQuote {
			hint += ", or before_expiry: 2d"
		}
		d.errorf(e.Pos, hint, "%s: missing wait", what)
	}
	if !seen["say"] && !seen["next"] && !hasTypoOf(ps, "say", afterKeys()) && !hasTypoOf(ps, "next", afterKeys()) {
		d.errorf(e.Pos, "add say (a reminder), next (a step to move to), or both", "%s: does nothing", what)
	}
	if e.Wait >= Window && e.Say != nil && e.Template == "" {
		d.warnf(e.Pos, "add template: NAME, an approved WhatsApp template to send instead",
			"%s: fires %s after the customer's last message, when WhatsApp's 24-hour window has closed: without a template it is skipped on WhatsApp", what, FormatDuration(e.Wait))
	}
	return e, true
}

// afterOrder checks that entries are listed in the order they fire (wait
// growing, before_expiry shrinking) and that no entry waits behind one
// that moves the conversation on.
func (d *decoder) afterOrder(entries []AfterEntry, what string) {
	var lastWait, lastBefore *AfterEntry
	var movedAt *AfterEntry
	for i := range entries {
		e := &entries[i]
		n := i + 1
		switch {
		case e.Wait > 0:
			if lastWait != nil && e.Wait <= lastWait.Wait {
				d.errorf(e.Pos, "list the entries in the order they fire", "%s: entry %d: wait %s is not after the %s of the entry above it", what, n, FormatDuration(e.Wait), FormatDuration(lastWait.Wait))
			}
			lastWait = e
			if movedAt != nil {
				d.errorf(e.Pos, "remove it, or give it a shorter wait than the entry that moves on", "%s: entry %d never fires: an earlier entry moves the conversation on after %s", what, n, FormatDuration(movedAt.Wait))
			}
			if e.Next != "" && movedAt == nil {
				movedAt = e
			}
		case e.BeforeExpiry > 0:
			if lastBefore != nil && e.BeforeExpiry >= lastBefore.BeforeExpiry {
				d.errorf(e.Pos, "list the entries in the order they fire: the longest before_expiry first", "%s: entry %d: before_expiry %s does not fire after the %s of the entry above it", what, n, FormatDuration(e.BeforeExpiry), FormatDuration(lastBefore.BeforeExpiry))
			}
			lastBefore = e
		}
	}
}

// lintAfter checks what an after list names beyond its step: the paths
// its texts use and, when the business lists its approved templates, the
// template names.
func (l *linter) lintAfter(s *Step, label string) {
	for i, e := range s.After {
		what := fmt.Sprintf("after: entry %d: say", i+1)
		l.paths(s, label, what, e.Say, nil)
		if e.Template != "" && l.opts.Templates != nil && !slices.Contains(l.opts.Templates, e.Template) {
			l.errorf(e.Pos, didYouMean(e.Template, l.opts.Templates), "%s: after: entry %d: template: %q is not one of the business's approved templates", label, i+1, e.Template)
		}
	}
}

// afterSchemas are the JSON Schema definitions of the time keys.
func afterSchemas() map[string]object {
	duration := object{"type": "string", "pattern": `^(\d+(\.\d+)?d)?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))*$`, "minLength": 2,
		"description": "a duration: 30m, 2h, 3d or 1d12h"}
	return map[string]object{
		"duration": duration,
		"after_entry": {
			"type":        "object",
			"description": "when the customer has been silent for wait (or, on confirm_quote, before_expiry before the quote expires): say something and keep waiting, or go to next",
			"properties": object{
				"wait":          ref("duration", "how long the customer has been silent since the step started waiting, e.g. 2h or 3d"),
				"before_expiry": ref("duration", "confirm_quote only: fire this long before the quote expires"),
				"say":           ref("template", "a reminder; the step keeps waiting"),
				"next":          ref("target", "the step to move the conversation to"),
				"template":      object{"type": "string", "pattern": templateRE.String(), "description": "the approved WhatsApp template sent instead once the 24-hour window has closed"},
				"marketing":     object{"type": "boolean", "description": "an offer, not part of the customer's request: never sent to a customer who objected to marketing (NO MARKETING)"},
			},
			"additionalProperties": false,
		},
	}
}

// afterKeySchemas describe the time keys of steps.
func afterKeySchemas() map[string]object {
	return map[string]object{
		"after":     object{"type": "array", "minItems": 1, "items": object{"$ref": "#/$defs/after_entry"}, "description": "reminders and moving on when the customer is silent, in the order they fire"},
		"valid_for": ref("duration", "how long a quote this step prices is valid (default: the plugin's valid_days)"),
		"on_expiry": ref("target", "where to go when the customer accepts a quote that has expired (default: price it again)"),
	}
}
