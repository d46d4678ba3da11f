package engine

import (
	"regexp"
	"strings"
)

// After a conversation has reached its end with a request (a quote
// accepted or declined, a flow that ran to its end after saving the
// customer's and the job's details), what the customer writes next is about that request: "thanks!",
// "when can you start?", 👍. The bot acknowledges it (a person will be in
// touch; the message is stored with the turn, so the owner sees it in the
// lead's transcript) and never starts the intake again by itself. A new
// job needs the customer to say so: "new quote", "I need a quote for
// another job", or the restart keywords and phrases (MENU, "start over"),
// which the keyword step handles before this.

// afterEnd handles a message to a conversation that ended with a request.
// It reports whether it did; false leaves the message to the usual start.
func (e *Engine) afterEnd(t *turn) bool {
	s := t.sess
	if !endedWithRequest(s) {
		return false
	}
	if t.in.ReplyID == "" && asksForNewRequest(answerText(t.in)) {
		e.start(t)
		return true
	}
	if acked, _ := s.Scratch["after_end_acked"].(bool); acked && smallTalkOnly(answerText(t.in)) && !hasMedia(t.in) {
		// "thanks" or 👍 after the acknowledgement: nothing more to say.
		return true
	}
	t.say(e.cfg.Texts.AfterEnd, nil)
	t.scratch("after_end_acked", true)
	return true
}

// endedWithRequest reports whether a conversation reached its end after
// the customer made a request: they left their details (lead.*) and the
// job's (project.*), and have not withdrawn their consent since (then the
// next message starts again and asks first). A conversation that ended
// before any request (consent declined, a flow that saves no lead) starts
// again on the next message.
func endedWithRequest(s *Session) bool {
	lead, _ := s.Vars["lead"].(map[string]any)
	return s.Ended && s.ProjectID != "" && len(lead) > 0 && !s.OptedOut && !consentWithdrawn(s)
}

// consentWithdrawn reports whether the contact withdrew the consent they
// had given: some consent is marked withdrawn and none is granted.
func consentWithdrawn(s *Session) bool {
	consents, _ := s.Vars["consent"].(map[string]any)
	withdrawn := false
	for _, v := range consents {
		c, _ := v.(map[string]any)
		if granted, _ := c["granted"].(bool); granted {
			return false
		}
		if _, ok := c["withdrawn"]; ok {
			withdrawn = true
		}
	}
	return withdrawn
}

// newRequestRE finds a request for another job: "new quote", "another
// job", "a quote for the garage", "nuevo presupuesto", "neues Angebot",
// "nouveau devis", "nieuwe offerte", "novo orçamento".
var newRequestRE = regexp.MustCompile(`(?i)\b(?:(?:new|another|second|other|different|next|one more)\s+(?:\w+\s+)?(?:quote|quotation|estimate|job|request|project|enquiry|inquiry)s?|(?:a|an)\s+(?:quote|quotation|estimate)\s+for|(?:nuevo|nueva|otro|otra)\s+(?:presupuesto|cotización|cotizacion|trabajo|proyecto)|(?:neues|neue|neuen|weiteres|weitere|anderes)\s+(?:angebot|auftrag|projekt|kostenvoranschlag)|(?:nouveau|nouvelle|autre)\s+(?:devis|projet|demande|chantier)|(?:nieuwe|nieuw|andere)\s+(?:offerte|klus|opdracht|aanvraag|project)|(?:novo|nova|outro|outra)\s+(?:orçamento|orcamento|trabalho|projeto|pedido))\b`)

// asksForNewRequest reports whether a message asks for a quote for a new
// job. A negation ("I don't need another quote") or a question about the
// current one ("when will my new quote come?") is no request; a polite
// question is ("can I get a quote for the garage?").
func asksForNewRequest(text string) bool {
	a := foldAnswer(text)
	if !newRequestRE.MatchString(a) {
		return false
	}
	words := strings.Fields(a)
	for _, w := range words {
		if w == "not" || w == "no" || w == "never" || strings.HasSuffix(w, "n't") {
			return false
		}
	}
	if strings.ContainsAny(text, "?¿") {
		switch words[0] {
		case "can", "could", "may", "would", "please", "i'd", "id", "puedo", "puede", "kann", "könnte", "puis-je", "pouvez", "kan", "kunt", "posso", "pode":
		default:
			return false
		}
	}
	return true
}

// smallTalkOnly reports whether a message is thanks, an OK or emoji alone:
// nothing to acknowledge twice.
func smallTalkOnly(text string) bool {
	if emojiOnly(text) {
		return true
	}
	a := foldAnswer(text)
	return a == "" || contains(smallTalk, a)
}

var smallTalk = []string{
	"thanks", "thank you", "thanks a lot", "thank you very much", "many thanks", "cheers", "thx", "ty", "ok", "okay",
	"ok thanks", "ok thank you", "great", "great thanks", "perfect", "cool", "nice", "brilliant", "lovely", "super",
	"gracias", "muchas gracias", "vale", "perfecto", "danke", "vielen dank", "danke schön", "prima", "merci", "merci beaucoup",
	"parfait", "bedankt", "dank je", "dank u", "top", "obrigado", "obrigada", "perfeito", "bye", "goodbye", "see you",
}
