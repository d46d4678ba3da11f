package engine

import (
	"context"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/flows"
)

// turn is one message's work: the session it changes, the messages it
// queues and the records it touches. It becomes a Turn at commit.
type turn struct {
	e       *Engine
	ctx     context.Context
	sess    *Session
	in      *Inbound
	channel string
	now     time.Time
	out     []Outbound
	steps   int // steps run in this turn, for the loop guard

	contactDirty bool
	projectDirty bool
	quotes       []*QuoteRecord
	consents     []ConsentRecord
	optEvents    []OptEvent
	ai           []AIRecord
	audit        []AuditEntry
	media        []Media
	erase        bool // erase the contact's data with this turn
	payments     []core.PaymentRecord
	finally      []func() // run once the turn's steps are done, before it commits (a payment link after the thanks)

	// Timers (timers.go): the timer this turn fires, the same timer due
	// later (quiet hours), whether the turn entered a step, and whether
	// the waiting step's reminders start again without either.
	firing   *core.Timer
	postpone *core.Timer
	moved    bool
	rearm    bool
	ev       turnEvents // the business's events and the funnel (events.go)

	notes turnNotes // what the never-stuck rules note (repeat.go)
}

func (e *Engine) newTurn(ctx context.Context, sess *Session, in *Inbound) *turn {
	now := e.deps.Clock().UTC()
	t := &turn{e: e, ctx: ctx, sess: sess, in: in, now: now}
	if in != nil {
		t.channel = in.Channel
		if sess == nil {
			t.sess = &Session{Contact: in.Contact, Vars: map[string]any{}, Started: now}
			t.contactDirty = true
		}
		if in.ProfileName != "" && t.profileName() != in.ProfileName {
			t.setVar("contact.name", in.ProfileName)
			t.contactDirty = true
		}
	}
	if in != nil {
		t.sess.Channel = in.Channel
	} else {
		t.channel = t.sess.Channel
	}
	if t.sess.Vars == nil {
		t.sess.Vars = map[string]any{}
	}
	t.ev.before = snapshotOf(sess)
	return t
}

func (t *turn) profileName() string {
	v, _ := lookupPath(t.sess.Vars, "contact.name")
	s, _ := v.(string)
	return s
}

// send queues an outbound message to the contact, rendered for what the
// channel can show.
func (t *turn) send(o Outbound) {
	o.Channel = t.channel
	o.Contact = t.sess.Contact
	o.Created = t.now
	if t.in != nil {
		o.ReplyTo = t.in.ID
	}
	caps := t.e.capabilities(t.channel)
	if caps.Window > 0 && !t.sess.LastInbound.IsZero() {
		o.WindowUntil = t.sess.LastInbound.Add(caps.Window)
	}
	t.out = append(t.out, render(o, caps)...)
}

// sayText renders a template text and queues it.
func (t *turn) sayText(tpl *flows.Template, extra map[string]any) {
	t.send(Outbound{Kind: OutText, Text: t.render(tpl, extra)})
}

// say renders one of the engine's own texts and queues it.
func (t *turn) say(src string, extra map[string]any) {
	t.sayText(t.e.text(src), extra)
}

// record turns the work into the Turn the store commits.
func (t *turn) record() *Turn {
	t.beforeCommit()
	t.sess.Updated = t.now
	t.planTimers()
	rec := &Turn{
		Inbound:   t.in,
		Session:   t.sess,
		Outbound:  t.out,
		Quotes:    t.quotes,
		Consents:  t.consents,
		OptEvents: t.optEvents,
		AI:        t.ai,
		Audit:     t.audit,
		Media:     t.media,
		Erase:     t.erase,
		Payments:  t.payments,
	}
	if t.contactDirty {
		rec.Contact = t.contactRecord()
	}
	if t.projectDirty && t.sess.ProjectID != "" {
		rec.Project = t.projectRecord()
	}
	t.finishEvents(rec)
	return rec
}
