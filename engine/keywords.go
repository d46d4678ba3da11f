package engine

import (
	"strings"
	"unicode"
)

// normalizeKeyword folds a message for keyword matching: trimmed, upper
// case, inner spaces collapsed, trailing punctuation dropped.
func normalizeKeyword(s string) string {
	s = strings.TrimRightFunc(strings.TrimSpace(s), func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
	return strings.ToUpper(strings.Join(strings.Fields(s), " "))
}

func matches(word string, list []string) bool {
	if word == "" {
		return false
	}
	for _, k := range list {
		if normalizeKeyword(k) == word {
			return true
		}
	}
	return false
}

// keyword applies the global commands; it reports whether the message was one.
// Opt-out is checked first and always wins.
func (e *Engine) keyword(t *turn) bool {
	if t.in.Kind != InText && t.in.Kind != InButton {
		return false
	}
	word := normalizeKeyword(t.in.Text)
	kw := e.cfg.Keywords
	s := t.sess
	switch {
	case matches(word, kw.OptOut):
		if !s.OptedOut {
			t.optEvents = append(t.optEvents, OptEvent{Contact: s.Contact, Keyword: word, Channel: t.channel, Time: t.now})
			e.confirmOptOut(t)
			s.OptedOut, s.Waiting, s.Pending, s.Ended = true, false, "", true
		}
		return true
	case matches(word, kw.OptIn):
		if !s.OptedOut {
			return false // START inside a conversation is just text
		}
		s.OptedOut, s.Handoff = false, false
		t.optEvents = append(t.optEvents, OptEvent{Contact: s.Contact, OptIn: true, Keyword: word, Channel: t.channel, Time: t.now})
		t.say(e.cfg.Texts.OptedIn, nil)
		e.start(t)
		return true
	case s.OptedOut:
		return false
	case matches(word, kw.DeleteMyData): // before MY DATA: "DELETE MY DATA" is not "MY DATA"
		e.askPending(t, "erase", e.cfg.Texts.EraseConfirm)
		return true
	case matches(word, kw.MyData):
		e.askPending(t, "export", e.cfg.Texts.MyDataConfirm)
		return true
	case matches(word, kw.WithdrawConsent):
		e.withdrawConsent(t)
		return true
	case matches(word, kw.Human):
		if !s.Handoff {
			t.say(e.cfg.Texts.Handoff, nil)
			s.Handoff, s.Pending = true, ""
		}
		return true
	case matches(word, kw.Restart):
		s.Handoff = false
		e.start(t)
		return true
	}
	return false
}

// askPending asks the engine's own yes/no question about a privacy request.
func (e *Engine) askPending(t *turn, what, text string) {
	if e.deps.Rights == nil {
		t.say(e.cfg.Texts.RightsByHuman, nil)
		t.sess.Handoff, t.sess.Waiting = true, false
		return
	}
	t.sess.Pending, t.sess.Handoff = what, false
	t.send(Outbound{Kind: OutButtons, Text: t.render(e.text(text), nil), Options: e.yesNo()})
}

func (e *Engine) yesNo() []Option {
	return []Option{{ID: "yes", Title: e.cfg.Texts.YesTitle}, {ID: "no", Title: e.cfg.Texts.NoTitle}}
}

// answerPending takes the yes or no to a privacy request, then returns the
// customer to where the conversation was.
func (e *Engine) answerPending(t *turn) {
	what := t.sess.Pending
	if e.deps.Rights == nil {
		// Asked by an engine that had Rights; this one cannot answer it.
		t.sess.Pending = ""
		t.say(e.cfg.Texts.RightsByHuman, nil)
		t.handoff()
		return
	}
	yes, ok := e.yesOrNo(t.in)
	if !ok {
		t.reaskOptions(e.yesNo())
		return
	}
	t.sess.Pending = ""
	if !yes {
		if what == "export" {
			t.say(e.cfg.Texts.ExportCancelled, nil)
		} else {
			t.say(e.cfg.Texts.RightsCancelled, nil)
		}
		e.resume(t)
		return
	}
	contact := t.sess.Contact
	switch what {
	case "export":
		data, name, err := e.deps.Rights.Export(t.ctx, contact)
		if err != nil {
			e.log.Error("export for contact", "contact", e.deps.Tag(contact), "err", err)
			t.say(e.cfg.Texts.RightsByHuman, nil)
			return
		}
		m := Media{ID: mediaID(data), MIME: "application/json", Filename: name, Size: len(data), Data: data, Caption: t.render(e.text(e.cfg.Texts.MyDataSent), nil)}
		t.media = append(t.media, m)
		t.send(Outbound{Kind: OutDocument, Media: &m})
		t.audit = append(t.audit, AuditEntry{Time: t.now, Actor: "customer", Action: "export", Contact: e.deps.Tag(contact), Detail: "requested in chat"})
		e.resume(t)
	case "erase":
		t.say(e.cfg.Texts.Erased, nil)
		t.sess.Ended, t.sess.Waiting = true, false
		t.erase = true
	}
}

// resume re-sends the question of the step the conversation waits at.
func (e *Engine) resume(t *turn) {
	s := t.sess
	if s.Ended || s.Step == "" || !s.Waiting {
		return
	}
	f := e.deps.Flows.Flow(s.Flow)
	if f == nil || f.Step(s.Step) == nil {
		return
	}
	step := f.Step(s.Step)
	e.follow(t, step, stepKinds[step.Kind].reprompt(t, step))
}

// withdrawConsent marks every granted consent withdrawn and stops the
// conversation: processing based on it stops.
func (e *Engine) withdrawConsent(t *turn) {
	consents, _ := t.sess.Vars["consent"].(map[string]any)
	for purpose, v := range consents {
		c, _ := v.(map[string]any)
		if granted, _ := c["granted"].(bool); !granted {
			continue
		}
		id, _ := c["id"].(string)
		c["granted"] = false
		c["withdrawn"] = t.now.Format("2006-01-02T15:04:05Z07:00")
		t.consents = append(t.consents, ConsentRecord{ID: id, Contact: t.sess.Contact, Purpose: purpose, Channel: t.channel, Withdrawn: t.now})
	}
	t.sess.Ended, t.sess.Waiting = true, false
	t.contactDirty = true
	t.say(e.cfg.Texts.ConsentWithdrawn, nil)
}

// confirmOptOut sends the one opt-out confirmation: the opt-out flow when
// one is loaded (so its wording is the business's to edit), else the
// engine's text.
func (e *Engine) confirmOptOut(t *turn) {
	if e.cfg.OptOutFlow != "" && e.deps.Flows.Flow(e.cfg.OptOutFlow) != nil {
		e.follow(t, nil, goTo("flow:"+e.cfg.OptOutFlow))
		return
	}
	t.say(e.cfg.Texts.OptedOut, nil)
}
