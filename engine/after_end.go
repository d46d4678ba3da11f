package engine

import (
	"regexp"
	"strings"
)

// After a conversation has reached its end with a request (a quote
// accepted or declined, a flow that ran to its end after saving the
// customer's and the job's details), what the customer writes next is
// about that request: "thanks!", "when can you start?", 👍. The bot
// acknowledges it (a person will be in touch; the message is stored with
// the turn, so the owner sees it in the lead's transcript), in two
// wordings that alternate so neither comes three times in a row (the bot
// is never silent, never repeats itself: repeat.go), and never starts the
// intake again by itself. A new
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
	if t.repliedLast(e.cfg.Texts.AfterEnd) {
		t.say(e.cfg.Texts.AfterEndAgain, nil) // never the same text three times in a row (repeat.go)
	} else {
		t.say(e.cfg.Texts.AfterEnd, nil)
	}
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
// job: in so many words (newRequestRE), or as another job ("now I want to
// paint the front", "ahora quiero pintar la fachada"). A negation ("I don't need another quote") or a question about the
// current one ("when will my new quote come?") is no request; a polite
// question is ("can I get a quote for the garage?").
func asksForNewRequest(text string) bool {
	a := foldAnswer(text)
	words := strings.Fields(a)
	if !newRequestRE.MatchString(a) && !asksForAnotherJob(words) {
		return false
	}
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

// asksForAnotherJob reports whether folded words ask for more work: a
// wish ("I want", "quiero", "ich möchte"), a word saying it is more or
// later ("also", "now", "ahora", "auch") and a word of a job ("paint",
// "gutters", "fachada"). "I want the roof done by Friday" (no "also" or
// "now") and "now I want to know when you start" (a wish to know) are
// about the request already made.
func asksForAnotherJob(words []string) bool {
	text := " " + strings.Join(words, " ") + " "
	has := func(list []string) bool {
		for _, w := range list {
			if strings.Contains(text, " "+w+" ") {
				return true
			}
		}
		return false
	}
	if !has(wishWords) || !has(moreWords) || has(infoWishes) {
		return false
	}
	for _, w := range words {
		w = strings.Trim(w, ",.!?¿¡")
		for _, job := range jobWords {
			if strings.HasPrefix(w, job) {
				return true
			}
		}
	}
	return false
}

var (
	wishWords = []string{
		"i want", "i'd like", "id like", "i would like", "i need", "we want", "we need", "we'd like", "looking for", "can you", "could you",
		"quiero", "quisiera", "queremos", "necesito", "necesitamos", "me gustaría", "me gustaria",
		"quero", "queria", "queremos", "preciso", "precisamos", "gostaria",
		"ich möchte", "ich will", "ich brauche", "wir möchten", "wir brauchen", "hätte gern", "hätten gern",
		"je veux", "je voudrais", "j'aimerais", "nous voulons", "il me faut", "pouvez-vous",
		"ik wil", "ik zou graag", "we willen", "wij willen", "ik heb",
	}
	moreWords = []string{
		"also", "too", "as well", "now", "next", "else", "more",
		"ahora", "también", "tambien", "además", "ademas", "otra cosa",
		"agora", "também", "tambem", "além", "alem",
		"jetzt", "auch", "noch", "außerdem", "ausserdem",
		"maintenant", "aussi", "encore", "également", "egalement",
		"nu", "ook", "nog",
	}
	infoWishes = []string{
		"to know", "to ask", "to check", "to talk", "to speak", "to confirm", "to change", "to cancel", "to pay", "to move",
		"quiero saber", "quisiera saber", "preguntar", "hablar", "cambiar", "cancelar", "pagar",
		"quero saber", "perguntar", "falar", "mudar",
		"wissen", "fragen", "sprechen", "ändern", "absagen", "bezahlen",
		"savoir", "demander", "parler", "changer", "annuler", "payer",
		"weten", "vragen", "praten", "wijzigen", "annuleren", "betalen",
	}
	// jobWords start the words of a job: "paint" is painting, repaint...
	jobWords = []string{
		"paint", "repaint", "roof", "re-roof", "reroof", "gutter", "facade", "façade", "fence", "kitchen", "bathroom", "garage",
		"window", "floor", "ceiling", "chimney", "extension", "wall", "shed", "render", "tiling", "decorat",
		"pint", "fachada", "tejado", "techo", "canal", "pared", "cocina", "baño", "bano", "ventana", "suelo", "obra", "reforma",
		"telhado", "calha", "parede", "cozinha", "janela",
		"streich", "anstreich", "malen", "dach", "fassade", "rinne", "wand", "küche", "kueche", "bad", "fenster", "boden",
		"peindre", "peinture", "toit", "gouttière", "gouttiere", "mur", "cuisine", "fenêtre", "fenetre", "travaux", "chantier",
		"schilder", "verf", "dak", "gevel", "goot", "muur", "keuken", "badkamer", "raam", "klus", "verbouw",
	}
)
