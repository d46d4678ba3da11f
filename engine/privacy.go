package engine

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/intent"
	"github.com/allmyleads/allmyleads/flows"
)

// Privacy is what the engine does, beyond the flows, to keep the privacy
// policy's promises: adults only (s.11: the consent question confirms the
// minimum age; a customer under it is told goodbye and their conversation
// erased in the same turn, only an anonymous count kept), a new policy
// (s.13: a returning customer agrees to it before going on, or withdraws),
// and rights that work after STOP (s.8: MY DATA, DELETE MY DATA,
// corrections, NO MARKETING and START are answered whatever else holds).
type Privacy struct {
	// MinimumAge is the age the consent question confirms (default 18);
	// templates read it as config.minimum_age.
	MinimumAge int `yaml:"minimum_age" validate:"omitempty,min=13,max=25"`
	// AgePurpose is the consent purpose whose question confirms the age
	// (default quote_processing, the shipped consent flow's).
	AgePurpose string `yaml:"age_purpose"`
	// PolicyChanges says in a sentence or two what changed in the current
	// policy version, shown with the link when a customer who agreed to an
	// earlier version writes again.
	PolicyChanges string `yaml:"policy_changes"`
	// Texts are the engine's wording for all of this.
	Texts PrivacyTexts `yaml:"texts"`
}

// PrivacyTexts is the engine's wording for age, policy, corrections and
// payments. Empty fields take DefaultPrivacyTexts.
type PrivacyTexts struct {
	Underage        string `yaml:"underage"`         // under the minimum age; {{ config.minimum_age }}
	PolicyChanged   string `yaml:"policy_changed"`   // {{ version }} {{ changes }} {{ config.privacy_url }}
	PolicyAgree     string `yaml:"policy_agree"`     // the button
	PolicyDecline   string `yaml:"policy_decline"`   // the button
	PolicyAgreed    string `yaml:"policy_agreed"`    // after agreeing
	CorrectAsk      string `yaml:"correct_ask"`      // after CORRECT MY DATA
	CorrectDone     string `yaml:"correct_done"`     // {{ field }} {{ value }}
	CorrectInvalid  string `yaml:"correct_invalid"`  // an answer that names no field or a bad value
	PaymentLink     string `yaml:"payment_link"`     // the quote's payment link; {{ amount }} {{ url }}
	DepositLink     string `yaml:"deposit_link"`     // the deposit's payment link; {{ amount }} {{ url }}
	PaymentReceived string `yaml:"payment_received"` // {{ amount }}
	DepositReceived string `yaml:"deposit_received"` // {{ amount }}
	PaymentExpired  string `yaml:"payment_expired"`  // the checkout link expired unpaid
}

// DefaultPrivacyTexts returns the shipped wording.
func DefaultPrivacyTexts() PrivacyTexts {
	return PrivacyTexts{
		Underage:        "Thanks for telling us. Our service is only for people aged {{ config.minimum_age }} or over, so we can't go on, and we have not kept anything you sent us. Take care!",
		PolicyChanged:   "We've updated our privacy policy (version {{ version }}). {{ changes }}\nYou can read it here: {{ config.privacy_url }}\n\nAre you happy to go on under the new policy?",
		PolicyAgree:     "Yes, go on",
		PolicyDecline:   "No, thanks",
		PolicyAgreed:    "Thank you! Let's carry on.",
		CorrectAsk:      "What should we correct? Send the detail and the new value, for example *email: ana@example.com* (name, email, phone, address or company).",
		CorrectDone:     "Done: your {{ field }} is now {{ value }}.",
		CorrectInvalid:  "Sorry, I couldn't use that. Send the detail and the new value, for example *email: ana@example.com*, or *no* to leave it as it is.",
		PaymentLink:     "You can pay {{ amount }} securely here: {{ url }}",
		DepositLink:     "To book the work, you can pay the deposit of {{ amount }} securely here: {{ url }}",
		PaymentReceived: "Thank you! We received your payment of {{ amount }}.",
		DepositReceived: "Thank you! We received your deposit of {{ amount }}. Your booking is confirmed.",
		PaymentExpired:  "The payment link for your quote has expired. Just write to us here if you'd like a new one.",
	}
}

func (p Privacy) withDefaults() Privacy {
	if p.MinimumAge <= 0 {
		p.MinimumAge = 18
	}
	if p.AgePurpose == "" {
		p.AgePurpose = "quote_processing"
	}
	d := DefaultPrivacyTexts()
	fill := func(dst *string, def string) {
		if *dst == "" {
			*dst = def
		}
	}
	t := &p.Texts
	fill(&t.Underage, d.Underage)
	fill(&t.PolicyChanged, d.PolicyChanged)
	fill(&t.PolicyAgree, d.PolicyAgree)
	fill(&t.PolicyDecline, d.PolicyDecline)
	fill(&t.PolicyAgreed, d.PolicyAgreed)
	fill(&t.CorrectAsk, d.CorrectAsk)
	fill(&t.CorrectDone, d.CorrectDone)
	fill(&t.CorrectInvalid, d.CorrectInvalid)
	fill(&t.PaymentLink, d.PaymentLink)
	fill(&t.DepositLink, d.DepositLink)
	fill(&t.PaymentReceived, d.PaymentReceived)
	fill(&t.DepositReceived, d.DepositReceived)
	fill(&t.PaymentExpired, d.PaymentExpired)
	return p
}

// withBusinessDefaults adds what the privacy texts read from config.* to
// a copy of the business map.
func withBusinessDefaults(b map[string]any, p Privacy) map[string]any {
	out := make(map[string]any, len(b)+1)
	for k, v := range b {
		out[k] = v
	}
	if _, ok := out["minimum_age"]; !ok {
		out["minimum_age"] = p.MinimumAge
	}
	return out
}

// cmdCorrect is the command of the correction keywords (CORRECT MY DATA):
// it has no plain-words phrase set, so it is the engine's own.
const cmdCorrect intent.Intent = "correct"

// rightAfterOptOut says whether a command is a right the customer keeps
// after STOP: opting out stops the bot's conversation, not the customer's
// rights (s.8).
func rightAfterOptOut(c intent.Intent) bool {
	switch c {
	case intent.Erase, intent.MyData, intent.WithdrawConsent, intent.NoMarketing, cmdCorrect:
		return true
	}
	return false
}

// underage answers a consent question that confirms the age with an
// answer stating the customer is under it: a polite goodbye, and the turn
// erases what the conversation stored (Turn.Erase, in the same
// transaction). Only an anonymous audit entry stays: no contact, no
// words, so the business can count them. It reports whether it did.
func (e *Engine) underage(t *turn, s *flows.Step, in *Inbound) bool {
	p := e.cfg.Privacy
	if consentPurpose(s) != p.AgePurpose || in == nil || in.Kind != InText || !intent.Underage(in.Text, p.MinimumAge) {
		return false
	}
	t.say(p.Texts.Underage, nil)
	t.sess.Ended, t.sess.Waiting, t.sess.Pending = true, false, ""
	t.erase = true
	t.audit = append(t.audit, AuditEntry{Time: t.now, Actor: "customer", Action: "underage", Detail: fmt.Sprintf("under %d: goodbye, nothing kept", p.MinimumAge)})
	return true
}

// policyVar is the field of a consent variable that names the policy
// version it was given under.
const policyVar = "policy"

// outdatedConsents returns the purposes of the granted consents given
// under a policy version other than the current one. A consent recorded
// before versions were kept on the session is taken as current.
func (e *Engine) outdatedConsents(s *Session) []string {
	consents, _ := s.Vars["consent"].(map[string]any)
	var out []string
	for purpose, v := range consents {
		c, _ := v.(map[string]any)
		if granted, _ := c["granted"].(bool); !granted {
			continue
		}
		if version, _ := c[policyVar].(string); version != "" && version != e.cfg.PolicyVersion {
			out = append(out, purpose)
		}
	}
	return out
}

// askPolicy asks a returning customer who agreed under an earlier policy
// version to agree to the new one before the conversation goes on: the
// link, what changed, yes or no. It reports whether it asked.
func (e *Engine) askPolicy(t *turn) bool {
	if len(e.outdatedConsents(t.sess)) == 0 {
		return false
	}
	p := e.cfg.Privacy
	t.sess.Pending = "policy"
	text := t.render(e.text(p.Texts.PolicyChanged), map[string]any{"version": e.cfg.PolicyVersion, "changes": p.PolicyChanges})
	t.send(Outbound{Kind: OutButtons, Text: text, Options: []Option{{ID: "yes", Title: p.Texts.PolicyAgree}, {ID: "no", Title: p.Texts.PolicyDecline}}})
	return true
}

// answerPolicy records the agreement to the new policy (a consent record
// per purpose, under the new version) and goes on, or takes a no as the
// withdrawal of consent.
func (e *Engine) answerPolicy(t *turn, yes bool) {
	if !yes {
		e.withdrawConsent(t)
		return
	}
	p := e.cfg.Privacy
	text := t.render(e.text(p.Texts.PolicyChanged), map[string]any{"version": e.cfg.PolicyVersion, "changes": p.PolicyChanges})
	consents, _ := t.sess.Vars["consent"].(map[string]any)
	for _, purpose := range e.outdatedConsents(t.sess) {
		c, _ := consents[purpose].(map[string]any)
		rec := ConsentRecord{ID: e.deps.NewID("c_"), Contact: t.sess.Contact, Purpose: purpose, Text: text,
			PolicyVersion: e.cfg.PolicyVersion, Channel: t.channel, Granted: true, Time: t.now}
		if age, ok := c["age"].(float64); ok {
			rec.AgeConfirmed = int(age)
		} else if age, ok := c["age"].(int); ok {
			rec.AgeConfirmed = age
		}
		t.consents = append(t.consents, rec)
		c["id"], c[policyVar], c["time"] = rec.ID, e.cfg.PolicyVersion, t.now.Format(time.RFC3339)
	}
	t.contactDirty = true
	t.say(p.Texts.PolicyAgreed, nil)
	if t.sess.Ended || t.sess.Step == "" {
		e.start(t)
		return
	}
	e.resume(t)
}

// askCorrection asks what to correct (CORRECT MY DATA).
func (e *Engine) askCorrection(t *turn) {
	t.sess.Pending = "correct"
	t.say(e.cfg.Privacy.Texts.CorrectAsk, nil)
}

// correctable are the details a customer corrects in the chat, by the
// words they may use for them.
var correctable = map[string]string{
	"name": "name", "full name": "name", "email": "email", "e-mail": "email", "email address": "email", "mail": "email",
	"phone": "phone", "phone number": "phone", "number": "phone", "mobile": "phone", "telephone": "phone",
	"address": "address", "postal address": "address", "company": "company", "business": "company",
}

var correctionRe = regexp.MustCompile(`(?i)^\s*(?:my\s+)?(full name|name|email address|e-mail|email|mail|phone number|phone|number|mobile|telephone|postal address|address|company|business)\s*(?:is|should be|to|:|=|-)?\s*(.+?)\s*$`)

// answerCorrection applies "email: ana@example.com" to the contact's
// details (validated as the store validates the owner's corrections), or
// takes "no" as leaving them; anything else is asked again.
func (e *Engine) answerCorrection(t *turn) {
	texts := e.cfg.Privacy.Texts
	if yes, ok := e.yesOrNo(t.in); ok && !yes {
		t.sess.Pending = ""
		t.say(e.cfg.Texts.RightsCancelled, nil)
		e.resume(t)
		return
	}
	m := correctionRe.FindStringSubmatch(t.in.Text)
	if m == nil {
		t.say(texts.CorrectInvalid, nil)
		return
	}
	field := correctable[strings.ToLower(m[1])]
	value, ok := checkCorrection(field, m[2])
	if !ok {
		t.say(texts.CorrectInvalid, nil)
		return
	}
	t.sess.Pending = ""
	t.setVar("lead."+field, value)
	t.contactDirty = true
	t.audit = append(t.audit, AuditEntry{Time: t.now, Actor: "customer", Action: "correct", Contact: e.deps.Tag(t.sess.Contact), Detail: "lead." + field + " (in chat)"})
	t.say(texts.CorrectDone, map[string]any{"field": field, "value": value})
	e.resume(t)
}

// checkCorrection validates a corrected value and returns it cleaned.
func checkCorrection(field, value string) (string, bool) {
	value = strings.TrimSpace(value)
	switch field {
	case "email":
		a, err := mail.ParseAddress(value)
		return value, err == nil && a.Address == value && a.Name == ""
	case "phone":
		p, err := core.NormalizePhone(value)
		return p, err == nil
	case "name", "address", "company":
		return value, value != "" && len(value) <= 300 && strings.IndexFunc(value, unicode.IsControl) < 0
	}
	return "", false
}

// rightsQuestion says whether the engine's open question is about a right
// (MY DATA, DELETE MY DATA, CORRECT MY DATA): it is answered after STOP.
func rightsQuestion(pending string) bool {
	switch pending {
	case "export", "erase", "correct":
		return true
	}
	return false
}
