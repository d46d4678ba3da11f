package engine

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/allmyleads/allmyleads/engine/intent"
)

// normalizeKeyword folds a message for keyword matching: trimmed, upper
// case, inner spaces collapsed, trailing punctuation dropped.
func normalizeKeyword(s string) string {
	s = strings.TrimRightFunc(strings.TrimSpace(s), func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
	return strings.ToUpper(strings.Join(strings.Fields(s), " "))
}

// matches says whether a normalized message is one of the keywords (which
// New normalized once, see Keywords.normalized).
func matches(word string, list []string) bool {
	return word != "" && slices.Contains(list, word)
}

// normalized returns the keyword lists folded as messages are, so matching
// a message compares strings and folds nothing again.
func (kw Keywords) normalized() Keywords {
	fold := func(list []string) []string {
		out := make([]string, len(list))
		for i, k := range list {
			out[i] = normalizeKeyword(k)
		}
		return out
	}
	return Keywords{
		OptOut: fold(kw.OptOut), OptIn: fold(kw.OptIn), Restart: fold(kw.Restart), Human: fold(kw.Human),
		MyData: fold(kw.MyData), DeleteMyData: fold(kw.DeleteMyData), WithdrawConsent: fold(kw.WithdrawConsent),
		Correct: fold(kw.Correct),
	}
}

// keyword applies the global commands; it reports whether the message was
// one. An exact keyword (Config.Keywords) is checked first and always
// wins; then typed text is read for the same commands in plain words
// ("please stop messaging me", "borrar mis datos"). Opt-out is checked
// first and always wins.
func (e *Engine) keyword(t *turn) bool {
	if t.in.Kind != InText && t.in.Kind != InButton {
		return false
	}
	word := normalizeKeyword(t.in.Text)
	if c := e.cfg.Keywords.command(word); c != intent.None {
		return e.command(t, c, word, "")
	}
	r := e.plainWords(t)
	if r.Intent == intent.None {
		return false
	}
	return e.command(t, r.Intent, "phrase: "+r.Phrase, r.Lang)
}

// command names the global command an exact keyword is, checking the
// lists in order (opt-out first), or None.
func (kw Keywords) command(word string) intent.Intent {
	for _, k := range []struct {
		list []string
		c    intent.Intent
	}{
		{kw.OptOut, intent.OptOut},
		{kw.OptIn, intent.OptIn},
		{kw.DeleteMyData, intent.Erase}, // before MY DATA: "DELETE MY DATA" is not "MY DATA"
		{kw.MyData, intent.MyData},
		{kw.WithdrawConsent, intent.WithdrawConsent},
		{kw.Correct, cmdCorrect},
		{kw.Human, intent.Human},
		{kw.Restart, intent.Restart},
	} {
		if matches(word, k.list) {
			return k.c
		}
	}
	return intent.None
}

// plainWords reads typed text for a command in plain words. A tapped
// button answers the flow and is never read; while the engine's own yes/no
// question waits, only an opt-out is (the answer "yes, delete my data" is
// read by answerPending).
func (e *Engine) plainWords(t *turn) intent.Result {
	if e.plain == nil || t.in.Kind != InText {
		return intent.Result{}
	}
	r, err := e.plain.Resolve(t.ctx, t.in.Text)
	if err != nil {
		e.log.Warn("intent classifier failed; the phrase sets decide", "contact", e.deps.Tag(t.sess.Contact), "err", err)
	}
	if t.sess.Pending != "" && r.Intent != intent.OptOut {
		return intent.Result{}
	}
	return r
}

// command carries out a global command; said is what the customer said
// for the opt-in and opt-out records (the keyword, or the phrase that
// matched), lang the language a language request asks for. It reports
// whether the message was handled.
func (e *Engine) command(t *turn, c intent.Intent, said, lang string) bool {
	s := t.sess
	switch c {
	case intent.OptOut:
		e.optOut(t, said) // never_silent.go
		return true
	case intent.OptIn:
		if !s.OptedOut {
			return false // START inside a conversation is just text
		}
		e.optIn(t, said)
		return true
	}
	if s.OptedOut && !rightAfterOptOut(c) {
		return false // START is the way back; the rights below still work
	}
	switch c {
	case cmdCorrect:
		e.askCorrection(t)
	case intent.Erase:
		e.askPending(t, "erase", e.cfg.Texts.EraseConfirm)
	case intent.MyData:
		e.askPending(t, "export", e.cfg.Texts.MyDataConfirm)
	case intent.WithdrawConsent:
		e.withdrawConsent(t)
	case intent.Human:
		if s.Handoff {
			e.ackHandoff(t) // the person has it: say the message is with them
			break
		}
		t.say(e.cfg.Texts.Handoff, nil)
		s.Handoff, s.Pending = true, ""
	case intent.Restart:
		s.Handoff = false
		e.start(t)
	case intent.NoMarketing:
		e.refuseMarketing(t)
	case intent.Language:
		e.noteLanguage(t, lang)
	default:
		return false
	}
	return true
}

// noteLanguage records the language the customer asked to be answered in
// and confirms it in that language, then repeats the waiting question in
// it. A language the flows do not speak is recorded (a person may speak
// it) and the customer told which they do. A person handling the contact
// sees it; the customer is told the message is with them.
func (e *Engine) noteLanguage(t *turn, code string) {
	t.sess.Language, t.sess.LanguageAsked = code, true
	t.contactDirty = true
	if t.sess.Handoff {
		e.ackHandoff(t)
		return
	}
	if !slices.Contains(e.langs, code) {
		names := make([]string, len(e.langs))
		for i, l := range e.langs {
			names[i] = languageName(l)
		}
		t.say(e.cfg.Texts.LanguageUnavailable, map[string]any{"language": languageName(code), "languages": joinOr(names)})
	} else {
		t.say(e.cfg.Texts.LanguageNoted, map[string]any{"language": languageName(code)})
	}
	e.resume(t)
}

// joinOr joins names with commas and a final "or" ("English or Español").
func joinOr(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// marketingPurpose is the consent purpose a "no marketing" request is
// recorded under.
const marketingPurpose = "marketing"

// refuseMarketing records that the contact wants no marketing: a granted
// marketing consent is withdrawn, else a declined one is recorded. The
// conversation about their request goes on. Only a granted consent lives
// in the session's variables, so a refusal of marketing alone never makes
// the contact "no_consent".
func (e *Engine) refuseMarketing(t *turn) {
	text := t.render(e.text(e.cfg.Texts.NoMarketing), nil)
	if t.sess.NoMarketing.IsZero() {
		t.sess.NoMarketing = t.now // the switch every marketing message checks (core.MarketingAllowed)
	}
	consents, _ := t.sess.Vars["consent"].(map[string]any)
	c, _ := consents[marketingPurpose].(map[string]any)
	if granted, _ := c["granted"].(bool); granted {
		id, _ := c["id"].(string)
		c["granted"] = false
		c["withdrawn"] = t.now.Format("2006-01-02T15:04:05Z07:00")
		t.consents = append(t.consents, ConsentRecord{ID: id, Contact: t.sess.Contact, Purpose: marketingPurpose, Channel: t.channel, Withdrawn: t.now})
	} else {
		t.consents = append(t.consents, ConsentRecord{
			ID: e.deps.NewID("c_"), Contact: t.sess.Contact, Purpose: marketingPurpose, Text: text,
			PolicyVersion: e.cfg.PolicyVersion, Channel: t.channel, Granted: false, Time: t.now,
		})
	}
	t.contactDirty = true
	if t.sess.Handoff {
		e.ackHandoff(t)
		return
	}
	t.send(Outbound{Kind: OutText, Text: text})
	e.resume(t)
}

// Intents configures the commands read from plain words (package intent).
type Intents struct {
	Off       bool     `yaml:"off"`       // only the exact keywords work
	Languages []string `yaml:"languages"` // phrase sets by ISO 639-1 code (en es pt de fr nl); empty = all
}

// newIntents compiles the plain-word phrase sets once, for every turn.
func newIntents(cfg Intents, classifier intent.Classifier) (*intent.Matcher, error) {
	if cfg.Off {
		return nil, nil
	}
	m, err := intent.New(intent.Options{Languages: cfg.Languages, Classifier: classifier})
	if err != nil {
		return nil, fmt.Errorf("engine: intents: %w", err)
	}
	return m, nil
}

// askPending asks the engine's own yes/no question about a privacy request.
func (e *Engine) askPending(t *turn, what, text string) {
	if e.deps.Rights == nil {
		t.say(e.cfg.Texts.RightsByHuman, nil)
		t.sess.Handoff, t.sess.Waiting = true, false
		return
	}
	t.sess.Pending, t.sess.Handoff = what, false
	t.send(Outbound{Kind: OutButtons, Text: t.render(e.text(text), nil), Options: t.yesNo()})
}

func (e *Engine) yesNo() []Option {
	return []Option{{ID: "yes", Title: e.cfg.Texts.YesTitle}, {ID: "no", Title: e.cfg.Texts.NoTitle}}
}

// answerPending takes the yes or no to a privacy request, then returns the
// customer to where the conversation was.
func (e *Engine) answerPending(t *turn) {
	what := t.sess.Pending
	switch what {
	case "correct":
		e.answerCorrection(t)
		return
	case "policy":
		yes, ok := e.yesOrNo(t.in)
		if !ok {
			t.reaskOptions([]Option{{ID: "yes", Title: e.cfg.Privacy.Texts.PolicyAgree}, {ID: "no", Title: e.cfg.Privacy.Texts.PolicyDecline}})
			return
		}
		t.sess.Pending = ""
		e.answerPolicy(t, yes)
		return
	case pendingPerson:
		e.answerPerson(t) // never_stuck.go
		return
	}
	if e.deps.Rights == nil {
		// Asked by an engine that had Rights; this one cannot answer it.
		t.sess.Pending = ""
		t.say(e.cfg.Texts.RightsByHuman, nil)
		t.handoff()
		return
	}
	yes, ok := e.yesOrNo(t.in)
	if !ok {
		t.reaskOptions(t.yesNo())
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
