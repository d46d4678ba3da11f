package engine

import (
	"hash/fnv"
	"slices"
	"strconv"
)

// The same bot text is never sent three times in a row to one customer.
// The flows and the engine's rules are written so that it does not happen
// (a question's retries end in the offer of a person, notices alternate
// their wording), and this guard holds it whatever the flows say: a text
// that was each of the bot's last two messages is not sent a third time.
// The customer is offered a person instead (or, when that offer was the
// last message, reminded that AGENT reaches one), so they are not left
// without an answer either.

// recentTexts is how many of the bot's last texts a session remembers.
const recentTexts = 2

// turnNotes is what the never-stuck and never-silent rules note about one
// turn.
type turnNotes struct {
	idle bool // the customer came back after the idle timeout
}

// textHash is a short hash of a text, as Session.Recent keeps it.
func textHash(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return strconv.FormatUint(h.Sum64()&0xffffffffffff, 36)
}

// outText is what the customer reads of a message.
func outText(o Outbound) string {
	if o.Media != nil {
		return o.Media.Caption
	}
	return o.Text
}

// repliedLast reports whether the bot's last message was the given engine
// text, as the customer read it.
func (t *turn) repliedLast(src string) bool {
	n := len(t.sess.Recent)
	return n > 0 && t.sess.Recent[n-1] == textHash(t.render(t.e.text(src), nil))
}

// beforeCommit settles what the turn sends against the rules that span
// turns: notices of states the contact left are forgotten, and no text is
// sent a third time in a row.
func (t *turn) beforeCommit() {
	t.forgetNotices()
	t.guardRepeats()
}

// guardRepeats drops a text that was each of the last two messages, and
// offers a person in its place; it remembers the last two texts sent.
func (t *turn) guardRepeats() {
	recent := slices.Clone(t.sess.Recent)
	twice := func(h string) bool {
		n := len(recent)
		return n >= 2 && recent[n-1] == h && recent[n-2] == h
	}
	kept := t.out[:0:0]
	dropped := false
	for _, o := range t.out {
		text := outText(o)
		if text == "" || o.Author != "" {
			// A person's message is theirs to send, and breaks the bot's row.
			kept = append(kept, o)
			if o.Author != "" {
				recent = append(recent, textHash(o.Author+"\x00"+text))
			}
			continue
		}
		h := textHash(text)
		if twice(h) && o.Media == nil { // a file (their export) is never held back
			dropped = true
			continue
		}
		kept = append(kept, o)
		recent = append(recent, h)
	}
	t.out = kept
	if dropped {
		t.e.log.Info("same text a third time in a row: not sent", "contact", t.e.deps.Tag(t.sess.Contact), "flow", t.sess.Flow, "step", t.sess.Step)
		if text := t.instead(recent); text != "" {
			recent = append(recent, textHash(text))
		}
	}
	if n := len(recent); n > recentTexts {
		recent = recent[n-recentTexts:]
	}
	t.sess.Recent = recent
}

// instead is what the customer gets in place of a text said twice
// already: the offer of a person, or, when the last message made it, the
// word that reaches one. A contact a person has, or who opted out, gets
// nothing more. It returns the text sent.
func (t *turn) instead(recent []string) string {
	if t.sess.OptedOut || t.sess.Handoff {
		return ""
	}
	last := ""
	if n := len(recent); n > 0 {
		last = recent[n-1]
	}
	if offer := t.render(t.e.text(t.e.cfg.Texts.OfferPerson), nil); textHash(offer) != last {
		t.sess.Pending = pendingPerson
		t.send(Outbound{Kind: OutButtons, Text: offer, Options: t.yesNo()})
		return offer
	}
	if hint := t.render(t.e.text(t.e.cfg.Texts.AgentHint), nil); textHash(hint) != last {
		t.send(Outbound{Kind: OutText, Text: hint})
		return hint
	}
	return ""
}
