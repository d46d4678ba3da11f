package engine

import (
	"strings"

	"github.com/allmyleads/allmyleads/flows"
)

// handle decides what one inbound message does: keywords first, then the
// silences (opted out, handoff), then the conversation itself.
func (e *Engine) handle(t *turn) {
	in, sess := t.in, t.sess
	if w := e.capabilities(in.Channel).Window; w > 0 && !in.Time.IsZero() && t.now.Sub(in.Time) > w {
		// A replayed or very late delivery: the channel's window for it
		// closed long ago, so no reply could reach the customer. It is
		// stored with the turn, and the conversation does not move.
		e.log.Info("late message stored, not answered", "contact", e.deps.Tag(sess.Contact), "sent", in.Time, "window", w)
		return
	}
	prev := sess.LastInbound
	sess.LastInbound = t.now
	t.contactDirty = true
	idle := !prev.IsZero() && t.now.Sub(prev) > e.cfg.IdleTimeout
	t.notes.idle = idle

	e.detectLanguage(t) // language.go
	if e.keyword(t) {
		return
	}
	if in.Kind == InReaction && e.reactionAtQuote(t) { // 👍 on the quote: asks for a word (quote_emoji.go)
		return
	}
	if in.Kind == InReaction || in.Kind == InSystem {
		return // stored with the turn, never answered
	}
	if sess.Pending != "" && !sess.Handoff && (!sess.OptedOut || rightsQuestion(sess.Pending)) {
		e.answerPending(t) // after STOP too: the yes to DELETE MY DATA is a right
		return
	}
	if sess.OptedOut {
		e.optedOutNotice(t) // at most daily: you're unsubscribed, send START
		return
	}
	if sess.Handoff {
		if !idle {
			e.ackHandoff(t) // a person has the conversation: at most hourly, "your message is with them"
			return
		}
		// Nobody answered within the idle timeout: the bot takes the
		// contact back rather than leave them unanswered for ever.
		sess.Handoff = false
	}
	if e.askPolicy(t) {
		return // a new privacy policy: agreed to before the conversation goes on
	}
	if in.Kind == InUnsupported || in.Kind == InAudio || in.Kind == InVideo || in.Kind == InSticker {
		t.say(e.cfg.Texts.Unsupported, nil)
		return
	}
	if e.lateAccept(t) { // late_accept.go: "I changed my mind" to a declined quote
		return
	}
	if e.afterEnd(t) { // the request is in: small talk is acknowledged, not a new intake (after_end.go)
		return
	}
	e.converse(t)
}

// converse runs the conversation with the customer's message: the start
// flow for a new or finished conversation (after a welcome back when it
// went idle), else the waiting step's answer.
func (e *Engine) converse(t *turn) {
	sess := t.sess
	switch {
	case t.notes.idle && sess.Step != "" && !e.quoteWaits(sess): // an open quote's validity decides, not idleness
		t.say(e.cfg.Texts.WelcomeBack, nil)
		e.start(t)
	case sess.Step == "" || sess.Ended:
		e.start(t)
	case sess.Waiting:
		e.answer(t)
	default:
		// Not waiting (a crash cannot leave this, but an edited flow can):
		// run the current step again.
		e.enterCurrent(t)
	}
}

// start begins the start flow from its first step. A new conversation keeps
// what we know of the contact (lead.*) but starts a new project.
func (e *Engine) start(t *turn) {
	s := t.sess
	if s.Ended || s.Step != "" {
		delete(s.Vars, "project")
		delete(s.Vars, "quote")
		s.ProjectID, s.Quote = "", nil
	}
	s.Ended, s.Waiting, s.Pending = false, false, ""
	e.follow(t, nil, goTo("flow:"+e.cfg.StartFlow))
}

// answer hands the customer's message to the waiting step.
func (e *Engine) answer(t *turn) {
	f := e.deps.Flows.Flow(t.sess.Flow)
	var s *flows.Step
	if f != nil {
		s = f.Step(t.sess.Step)
	}
	if s == nil {
		// The flow changed under a waiting conversation: start over rather than get stuck.
		e.log.Warn("waiting step no longer exists; restarting", "contact", e.deps.Tag(t.sess.Contact), "flow", t.sess.Flow, "step", t.sess.Step)
		e.start(t)
		return
	}
	k := stepKinds[s.Kind]
	if k.answer == nil {
		e.enterCurrent(t)
		return
	}
	if s.Kind != flows.KindPhotos && t.in.ReplyID == "" && isGreeting(answerText(t.in)) {
		// "hi" from a customer coming back is never the answer to a question.
		t.say(e.cfg.Texts.Greeted, nil)
		e.follow(t, s, k.reprompt(t, s))
		return
	}
	if e.question(t, s) { // questions.go: a question is not the answer
		return
	}
	if hasMedia(t.in) && s.Kind != flows.KindPhotos {
		// A photo (with its caption) is not an answer to a question: say
		// so kindly and ask again, without counting a failed attempt.
		t.say(e.cfg.Texts.PhotoEarly, nil)
		e.follow(t, s, k.reprompt(t, s))
		return
	}
	t.sess.Waiting = false
	e.follow(t, s, k.answer(t, s, t.in))
}

// enterCurrent runs the current step again from its start.
func (e *Engine) enterCurrent(t *turn) {
	f := e.deps.Flows.Flow(t.sess.Flow)
	if f == nil || f.Step(t.sess.Step) == nil {
		e.start(t)
		return
	}
	s := f.Step(t.sess.Step)
	e.follow(t, s, stepKinds[s.Kind].enter(t, s))
}

// follow moves from step `from` by outcome o, entering steps until one
// waits, the conversation ends, or the loop guard trips.
func (e *Engine) follow(t *turn, from *flows.Step, o outcome) {
	for {
		switch o.op {
		case opWait:
			t.sess.Waiting = true
			return
		case opStop:
			t.sess.Waiting = false
			return
		}
		flowName, target := e.resolve(t, from, o)
		if target == flows.End {
			t.sess.Ended, t.sess.Waiting = true, false
			return
		}
		f := e.deps.Flows.Flow(flowName)
		var s *flows.Step
		if f != nil {
			s = f.Step(target)
			if target == "" {
				s = f.StartStep()
			}
		}
		if s == nil {
			e.log.Error("step target not found; ending conversation", "flow", flowName, "step", target)
			t.sess.Ended, t.sess.Waiting = true, false
			return
		}
		t.steps++
		if t.steps > e.cfg.MaxSteps {
			e.loopGuard(t, s)
			return
		}
		t.sess.Flow, t.sess.Step = f.Name, s.ID
		t.sess.Attempts, t.sess.Scratch, t.sess.Waiting = 0, nil, false
		t.moved = true
		from = s
		o = stepKinds[s.Kind].enter(t, s)
	}
}

// resolve turns an outcome into a flow name and step id ("" = the flow's
// start step, "end" = the end).
func (e *Engine) resolve(t *turn, from *flows.Step, o outcome) (string, string) {
	target := ""
	switch o.op {
	case opGoto:
		target = o.target
	case opFail:
		if from != nil && from.OnError != "" {
			target = from.OnError
			break
		}
		if o.fallback != nil {
			return e.resolve(t, from, *o.fallback)
		}
		return e.resolve(t, from, next())
	case opNext:
		switch {
		case from == nil:
			target = flows.End
		case from.Next != "":
			target = from.Next
		default:
			if after := e.deps.Flows.Flow(t.sess.Flow).After(from.ID); after != nil {
				target = after.ID
			} else {
				target = flows.End
			}
		}
	}
	if name, ok := strings.CutPrefix(target, "flow:"); ok {
		return name, ""
	}
	return t.sess.Flow, target
}

// loopGuard stops a conversation that ran too many steps without waiting
// for the customer, and hands it to a person.
func (e *Engine) loopGuard(t *turn, at *flows.Step) {
	e.log.Error("loop guard: too many steps without waiting; handing off",
		"contact", e.deps.Tag(t.sess.Contact), "flow", t.sess.Flow, "step", at.ID, "steps", t.steps-1, "pos", at.Pos.String())
	t.say(e.cfg.Texts.LoopGuard, nil)
	t.sess.Handoff, t.sess.Waiting = true, false
	t.contactDirty = true
}

// hasMedia reports whether a message carries a photo, video or file.
func hasMedia(in *Inbound) bool {
	switch in.Kind {
	case InImage, InDocument, InVideo:
		return true
	}
	return false
}
