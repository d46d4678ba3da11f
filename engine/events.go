package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/allmyleads/allmyleads/engine/core"
)

// The business's events (core/events.go) are derived from each turn: the
// conversation as it stood when the turn began is compared with where it
// ends, so every way a lead changes (a customer's message, a timer, an
// owner's action, a payment recorded) tells the owner and the webhooks
// without each step saying so. The Notifier (Deps.Notifier) turns the
// events into notices the turn's commit queues in the same transaction.
// The same comparison feeds the funnel: the waiting step a turn reached
// and the one the customer answered.

// snapshot is what events are derived from: the conversation's state at
// the start of a turn (or its end).
type snapshot struct {
	created  bool // a consented lead with details: lead.created has been due
	handoff  bool
	optedOut bool
	details  string // the lead's details, to tell lead.updated

	quoteID     string
	quoteRev    int
	quoteStatus string

	flow, step string
	waiting    bool // the conversation waited at flow/step
}

// turnEvents is a turn's share of the business's events.
type turnEvents struct {
	before snapshot
	// emitted are events a step knows of that the conversation's state
	// does not show (a payment a provider confirmed...): a step appends
	// them, and the derived events of the same types are not added again.
	// Person, Project, Quote and Stage are filled in from the turn when
	// unset. Outside a turn, Engine.Emit does the same.
	emitted []core.Event
}

// snapshotOf reads a session's state (a nil session is a contact unknown so far).
func snapshotOf(s *Session) snapshot {
	if s == nil {
		return snapshot{}
	}
	sn := snapshot{
		handoff: s.Handoff, optedOut: s.OptedOut,
		flow: s.Flow, step: s.Step, waiting: s.Waiting && !s.Ended,
		details: leadDetails(s),
	}
	sn.created = consented(s) && hasDetails(s)
	if q := s.Quote; q != nil {
		sn.quoteID, sn.quoteRev, sn.quoteStatus = q.ID, q.Revision, q.Status
	}
	return sn
}

// consented says whether the contact granted a consent and has not
// withdrawn it.
func consented(s *Session) bool {
	consents, _ := s.Vars["consent"].(map[string]any)
	for _, c := range consents {
		if m, _ := c.(map[string]any); m["granted"] == true {
			return true
		}
	}
	return false
}

// hasDetails says whether a lead is worth announcing: a name, and the job
// described (or a quote, or a person asked for).
func hasDetails(s *Session) bool {
	return str(s.Vars, "lead.name") != "" &&
		(str(s.Vars, "project.description") != "" || s.Quote != nil || s.Handoff)
}

// leadDetails is a fingerprint of what lead.updated reports.
func leadDetails(s *Session) string {
	v := s.Vars
	return fmt.Sprintf("%q", []string{str(v, "lead.name"), str(v, "lead.email"), str(v, "lead.phone"),
		str(v, "lead.company"), str(v, "lead.address"), str(v, "project.service"), str(v, "project.description")})
}

// finishEvents derives the turn's events and funnel marks and has the
// Notifier turn the events into notices, all committed with rec.
func (t *turn) finishEvents(rec *Turn) {
	after := snapshotOf(t.sess)
	if !t.erase {
		rec.Steps = t.funnelMarks(after)
	}
	if t.e.deps.Notifier == nil {
		return
	}
	events := t.events(after)
	if len(events) == 0 {
		return
	}
	rec.Notices = append(rec.Notices, t.e.deps.Notifier.Notices(t.ctx, events)...)
}

// funnelMarks are the waiting step the customer answered and the one the
// conversation waits at now.
func (t *turn) funnelMarks(after snapshot) []core.StepMark {
	var marks []core.StepMark
	b := t.ev.before
	if t.in != nil && !t.in.Echo && b.waiting && b.step != "" && !b.handoff && !b.optedOut && !after.optedOut {
		marks = append(marks, core.StepMark{Flow: b.flow, Step: b.step, Answered: true})
	}
	if after.waiting && after.step != "" && !after.handoff && !after.optedOut {
		marks = append(marks, core.StepMark{Flow: after.flow, Step: after.step})
	}
	return marks
}

// events compares the turn's start with its end.
func (t *turn) events(after snapshot) []core.Event {
	b := t.ev.before
	evs := slices.Clone(t.ev.emitted)
	add := func(typ, reason string) {
		for _, e := range evs {
			if e.Type == typ {
				return // emitted by a step already
			}
		}
		evs = append(evs, core.Event{Type: typ, Reason: reason})
	}
	if t.erase {
		return t.describe([]core.Event{{Type: core.EventContactErased}}, true)
	}
	customer := t.in != nil && !t.in.Echo
	switch {
	case !b.created && after.created:
		add(core.EventLeadCreated, "")
	case b.created && after.created && b.details != after.details:
		add(core.EventLeadUpdated, "")
	}
	if !b.handoff && after.handoff {
		add(core.EventLeadHandoff, t.handoffReason())
	}
	if customer && b.handoff && after.handoff && t.in.Kind != InReaction && t.in.Kind != InSystem {
		add(core.EventHandoffMessage, "")
	}
	if customer && after.created && t.in.Kind != InSystem {
		add(core.EventMessageReceived, "")
	}
	if q := t.sess.Quote; q != nil && (q.ID != b.quoteID || q.Revision != b.quoteRev || q.Status != b.quoteStatus) {
		switch q.Status {
		case QuoteSent:
			add(core.EventQuoteSent, "")
		case QuotePending:
			add(core.EventQuoteAwaiting, q.HeldReason)
		case QuoteAccepted:
			add(core.EventQuoteAccepted, "")
		case QuoteDeclined:
			add(core.EventQuoteDeclined, "")
		case QuoteExpired:
			add(core.EventQuoteExpired, "")
		case QuotePaid, core.QuoteDepositPaid: // a provider's payment (RecordPayment), or the owner's
			add(core.EventPaymentReceived, "")
		}
	}
	if !b.optedOut && after.optedOut {
		add(core.EventContactOptedOut, "")
	}
	return t.describe(evs, false)
}

// handoffReason says who put the contact in a person's hands.
func (t *turn) handoffReason() string {
	switch {
	case t.in == nil:
		return "owner" // an owner's action: take over, a reply
	case t.in.Echo:
		return "owner_app" // the owner wrote from the WhatsApp Business app
	}
	return "conversation" // the customer asked, or the bot could not go on
}

// describe fills in each event's id, time, contact and the records as
// they are after the turn; an erasure's event gets nothing personal.
func (t *turn) describe(evs []core.Event, erased bool) []core.Event {
	var person *Contact
	var project *Project
	var quote *QuoteRecord
	stage := ""
	if !erased {
		person = t.contactRecord()
		if t.sess.ProjectID != "" {
			project = t.projectRecord()
		}
		if t.sess.Quote != nil {
			q := *t.sess.Quote
			quote = &q
		}
		stage = core.LeadStage(t.sess, person, quote, false, t.now)
	}
	for i := range evs {
		e := &evs[i]
		if e.ID == "" {
			e.ID = t.e.deps.NewID("evt_")
		}
		if e.Time.IsZero() {
			e.Time = t.now
		}
		e.Contact, e.Channel = t.sess.Contact, t.channel
		if erased {
			continue
		}
		if e.Person == nil {
			e.Person = person
		}
		if e.Project == nil {
			e.Project = project
		}
		if e.Quote == nil && quote != nil {
			e.Quote = quote
		}
		if e.Stage == "" {
			e.Stage = stage
		}
		if e.Message == nil && t.in != nil && !t.in.Echo {
			in := *t.in
			in.Media = nil
			for _, m := range t.in.Media {
				m.Data = nil
				in.Media = append(in.Media, m)
			}
			e.Message = &in
		}
	}
	return evs
}

// Emit tells the business about something that happened outside a
// conversation turn: a payment confirmed by a provider's webhook, an
// erasure from the console, a message that could not be sent. The event
// is described from the contact's conversation (when it names one), and
// its notices are queued in a transaction of their own. Without a
// Notifier it does nothing.
func (e *Engine) Emit(ctx context.Context, ev core.Event) error {
	if e.deps.Notifier == nil {
		return nil
	}
	if ev.Contact != "" && ev.Type != core.EventContactErased {
		contact, err := core.NormalizeURN(ev.Contact)
		if err != nil {
			return fmt.Errorf("emit %s: %w", ev.Type, ErrBadContact)
		}
		sess, err := e.deps.Store.Session(ctx, contact)
		if err != nil {
			return fmt.Errorf("emit %s: %w", ev.Type, err)
		}
		if ev.Type == core.EventLeadUpdated && (sess == nil || !snapshotOf(sess).created) {
			return nil // the business's systems have not heard of this lead yet
		}
		if sess != nil {
			t := e.newTurn(ctx, sess, nil)
			ev = t.describe([]core.Event{ev}, false)[0]
		}
	}
	if ev.ID == "" {
		ev.ID = e.deps.NewID("evt_")
	}
	if ev.Time.IsZero() {
		ev.Time = e.deps.Clock().UTC()
	}
	notices := e.deps.Notifier.Notices(ctx, []core.Event{ev})
	if len(notices) == 0 {
		return nil
	}
	if err := e.deps.Store.Commit(ctx, &Turn{Notices: notices}); err != nil {
		return fmt.Errorf("emit %s: %w", ev.Type, err)
	}
	if e.deps.OnOutbound != nil {
		e.deps.OnOutbound()
	}
	return nil
}
