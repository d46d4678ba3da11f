package engine

import "github.com/allmyleads/allmyleads/flows"

// handoff tells the customer a person takes over; the bot stays silent for
// the contact until a person releases it (Engine.Release) or the customer
// sends a restart keyword.
//
//   - id: human
//     handoff: "A team member will reply here shortly."
func init() { registerStep(flows.KindHandoff, stepKind{enter: enterHandoff}) }

func enterHandoff(t *turn, s *flows.Step) outcome {
	t.sayText(s.Text, nil)
	t.handoff()
	return stop()
}

// handoff puts the contact in a person's hands.
// The conversation keeps its place: a question still waiting is asked
// again when the person hands the contact back (Engine.Release).
func (t *turn) handoff() {
	t.sess.Handoff = true
	t.contactDirty = true
}

// failStep handles a step that could not do its work: its on_error when it
// has one, else an apology and a handoff, so the customer is never stuck.
func (t *turn) failStep(s *flows.Step, what string, err error) outcome {
	t.e.log.Warn(what+" failed", "contact", t.e.deps.Tag(t.sess.Contact), "flow", t.sess.Flow, "step", s.ID, "err", t.redact(err))
	if s.OnError != "" {
		return fail(next())
	}
	t.say(t.e.cfg.Texts.StepFailed, nil)
	t.handoff()
	return stop()
}
