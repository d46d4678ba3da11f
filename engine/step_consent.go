package engine

import (
	"time"

	"github.com/allmyleads/allmyleads/flows"
)

// consent asks the customer to agree to a purpose and records what was
// agreed (or declined), when, for which purpose, under which policy
// version, with the exact text shown. A contact who already gave the same
// consent (and has not withdrawn it) is not asked again.
//
//   - id: consent_step
//     consent: "We store your details to prepare your quote. Privacy policy: {{ config.privacy_url }}. Do you agree?"
//     purpose: quote_processing
//     accept: ask_name
//     decline: bye
func init() { registerStep(flows.KindConsent, stepKind{enter: enterConsent, answer: answerConsent}) }

func consentPurpose(s *flows.Step) string {
	if s.Purpose != "" {
		return s.Purpose
	}
	return "default"
}

func enterConsent(t *turn, s *flows.Step) outcome {
	if granted, _ := lookupPath(t.sess.Vars, "consent."+consentPurpose(s)+".granted"); granted == true {
		return targetOr(s.Accept)
	}
	t.send(Outbound{Kind: OutButtons, Text: t.render(s.Text, nil), Options: consentOptions(t, s)})
	return wait()
}

func consentOptions(t *turn, s *flows.Step) []Option {
	return t.titles(s, acceptDecline(s, t.e.cfg.Texts.ConsentAccept, t.e.cfg.Texts.ConsentDecline))
}

func answerConsent(t *turn, s *flows.Step, in *Inbound) outcome {
	if t.e.underage(t, s, in) {
		return stop() // adults only: goodbye, and the turn erases the conversation
	}
	opts := consentOptions(t, s)
	granted, ok := t.acceptOrDecline(s, opts, in)
	if !ok {
		// Consent is never assumed: without a clear answer, keep asking.
		reask := func() { t.reaskOptions(opts) }
		return t.retry(s, reask, t.keepAsking(reask))
	}
	purpose := consentPurpose(s)
	rec := ConsentRecord{
		ID:            t.e.deps.NewID("c_"),
		Contact:       t.sess.Contact,
		Purpose:       purpose,
		Text:          t.render(s.Text, nil),
		PolicyVersion: t.e.cfg.PolicyVersion,
		Channel:       t.channel,
		Granted:       granted,
		Time:          t.now,
	}
	v := map[string]any{"id": rec.ID, "granted": granted, "time": t.now.Format(time.RFC3339), policyVar: t.e.cfg.PolicyVersion}
	if granted && purpose == t.e.cfg.Privacy.AgePurpose {
		rec.AgeConfirmed = t.e.cfg.Privacy.MinimumAge // the question asks it: the yes confirms it
		v["age"] = rec.AgeConfirmed
	}
	t.consents = append(t.consents, rec)
	t.setVar("consent."+purpose, v)
	t.contactDirty = true
	if granted {
		return targetOr(s.Accept)
	}
	return targetOr(s.Decline)
}
