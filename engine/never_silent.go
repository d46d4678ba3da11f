package engine

import "time"

// Never silent: a customer who writes gets an answer, even when the bot
// cannot take the conversation on.
//
//   - While a person has the conversation, a message gets a short
//     acknowledgement ("Your message is with Brightside; they will reply
//     here"), at most one an hour. The handoff's own announcement does not
//     count, so the first message after it is always acknowledged.
//   - After an opt-out, a message gets one short answer saying the customer
//     is unsubscribed and how to come back (START), at most one a day, and
//     nothing else. START resumes where the conversation stopped, with what
//     is known kept.
//
// The two notices alternate between two wordings, so a customer who
// writes every hour (or day) never reads the same text three times in a
// row.

// pings are messages that only check someone is there ("anyone there?",
// "¿hola?"): answered like a greeting, with the waiting question, never
// passed on as a question or read as an answer. Folded by normalizeAnswer,
// without ? and ¿.
var pings = []string{
	"anyone there", "anybody there", "is anyone there", "is anybody there", "are you there", "you there", "still there", "are you still there",
	"hello anyone", "helloo", "hellooo", "hola", "alguien", "hay alguien", "hay alguien ahi", "hay alguien ahí", "estas ahi", "estás ahí",
	"seguis ahi", "seguís ahí", "sigues ahi", "sigues ahí", "me oyes", "hallo", "ola", "allo", "allô",
}

func isPing(folded string) bool { return contains(pings, folded) }

// Notice names, the keys of Session.Notices.
const (
	noticeHandoffAck = "handoff_ack"
	noticeOptedOut   = "opted_out"
)

// How often each notice may be sent.
const (
	handoffAckEvery = time.Hour
	optedOutEvery   = 24 * time.Hour
)

// ackHandoff acknowledges a message a person will answer.
func (e *Engine) ackHandoff(t *turn) {
	text := e.cfg.Texts.HandoffAck
	if t.repliedLast(text) {
		text = e.cfg.Texts.HandoffAckAgain
	}
	t.notice(noticeHandoffAck, handoffAckEvery, text)
}

// optedOutNotice answers a message from a contact who opted out.
func (e *Engine) optedOutNotice(t *turn) {
	if t.in == nil || t.in.Kind == InReaction || t.in.Kind == InSystem {
		return
	}
	text := e.cfg.Texts.OptedOutNotice
	if t.repliedLast(text) {
		text = e.cfg.Texts.OptedOutNoticeAgain
	}
	t.notice(noticeOptedOut, optedOutEvery, text)
}

// notice sends one of the engine's texts unless the same notice went out
// less than every ago.
func (t *turn) notice(name string, every time.Duration, text string) {
	if last, ok := t.sess.Notices[name]; ok && t.now.Sub(last) < every {
		return
	}
	t.say(text, nil)
	if t.sess.Notices == nil {
		t.sess.Notices = map[string]time.Time{}
	}
	t.sess.Notices[name] = t.now
}

// personWrote notes that a person wrote to the customer (from the
// console or the WhatsApp Business app): that counts as the hour's
// acknowledgement, so the bot never talks over them.
func (t *turn) personWrote() {
	if t.sess.Notices == nil {
		t.sess.Notices = map[string]time.Time{}
	}
	t.sess.Notices[noticeHandoffAck] = t.now
}

// forgetNotices drops the notices of a state the contact has left: the
// next handoff's (or opt-out's) first message is answered again.
func (t *turn) forgetNotices() {
	if !t.sess.Handoff {
		delete(t.sess.Notices, noticeHandoffAck)
	}
	if !t.sess.OptedOut {
		delete(t.sess.Notices, noticeOptedOut)
	}
	if len(t.sess.Notices) == 0 {
		t.sess.Notices = nil
	}
}

// optOut records an opt-out and confirms it. The conversation keeps its
// place (the flow, the waiting step, what is known), so START can resume
// it; nothing is sent while the contact is opted out.
func (e *Engine) optOut(t *turn, said string) {
	s := t.sess
	if s.OptedOut {
		e.optedOutNotice(t)
		return
	}
	t.optEvents = append(t.optEvents, OptEvent{Contact: s.Contact, Keyword: said, Channel: t.channel, Time: t.now})
	flow, step, waiting, ended, attempts, scratch := s.Flow, s.Step, s.Waiting, s.Ended, s.Attempts, s.Scratch
	e.confirmOptOut(t)
	s.Flow, s.Step, s.Waiting, s.Ended, s.Attempts, s.Scratch = flow, step, waiting, ended, attempts, scratch
	s.OptedOut, s.Pending = true, ""
}

// optIn takes a contact back after an opt-out: to the question the
// conversation waited at, or to the start when it had ended or went idle.
func (e *Engine) optIn(t *turn, said string) {
	s := t.sess
	s.OptedOut, s.Handoff = false, false
	t.optEvents = append(t.optEvents, OptEvent{Contact: s.Contact, OptIn: true, Keyword: said, Channel: t.channel, Time: t.now})
	if s.Waiting && !s.Ended && s.Step != "" && !t.notes.idle {
		t.say(e.cfg.Texts.OptedInResume, nil)
		e.resume(t)
		return
	}
	t.say(e.cfg.Texts.OptedIn, nil)
	e.start(t)
}
