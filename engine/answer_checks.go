package engine

import (
	"errors"
	"strings"
	"unicode"

	"github.com/go-playground/validator/v10"

	"github.com/allmyleads/allmyleads/flows"
)

// This file reads what an `ask` answer is before it is validated: a skip,
// an email address or phone number inside a sentence, a name after "my
// name is"; and words the re-ask when an answer tag (name, company,
// address, answer; flows/answer_tags.go) refuses an answer.

// hasTag reports whether a step's validate rules include tag.
func hasTag(s *flows.Step, tag string) bool {
	return strings.Contains(","+s.Validate+",", ","+tag+",")
}

// skipWords are answers that leave an optional question unanswered, in
// the six languages.
var skipWords = []string{
	"skip", "-", "none", "n/a", "na", "no", "nope", "nothing", "no thanks", "no thank you", "not really",
	"nein", "nein danke", "nichts", "keine", "nee", "nee dank je", "niets", "geen", "non", "non merci", "rien", "aucun", "aucune",
	"nada", "no gracias", "ninguno", "ninguna", "não", "nao", "nenhum", "nenhuma",
}

// privateWords say a job is for the customer's home: at an optional
// `company` question they mean there is no company.
var privateWords = []string{
	"home", "house", "flat", "apartment", "place", "property", "private", "personal", "residential", "domestic",
	"homeowner", "individual", "myself", "me", "just me", "private customer", "private person", "no company",
	"not a company", "not for a company", "not a business",
	"casa", "particular", "privado", "privada", "mi casa", "minha casa", "para mí", "para mi",
	"privat", "zuhause", "zu hause", "haus", "wohnung", "privatperson", "keine firma",
	"thuis", "huis", "particulier", "privé", "prive", "geen bedrijf",
	"maison", "chez moi", "appartement", "pas une entreprise",
}

// privateLeads are words before a private-home answer: "it's for my
// home", "für mein Haus", "pour ma maison".
var privateLeads = []string{
	"it's for", "it is for", "its for", "it's", "it is", "its", "this is for", "for", "just", "only",
	"my", "our", "the", "a", "an", "at",
	"es para", "es", "para", "mi", "nuestra", "nuestro", "la", "el", "é para", "a minha", "minha", "meu",
	"es ist für", "für", "mein", "meine", "unser", "unsere", "das", "zu",
	"het is voor", "voor", "mijn", "ons", "onze", "het",
	"c'est pour", "pour", "ma", "mon", "notre", "la", "le",
}

// isSkip reports whether an answer leaves an optional question unanswered:
// a skip word, or, at a `company` question, a job for the customer's home
// ("home", "it's for my home").
func isSkip(s *flows.Step, text string) bool {
	if hasTag(s, "required") {
		return false
	}
	a := foldAnswer(text)
	if contains(skipWords, a) {
		return true
	}
	return hasTag(s, "company") && isPrivateHome(a)
}

// isPrivateHome reports whether a folded answer says the job is for a home.
func isPrivateHome(a string) bool {
	for i := 0; i < 4; i++ { // "it's for" "my" "home": a few leads at most
		if contains(privateWords, a) {
			return true
		}
		longest := ""
		for _, lead := range privateLeads {
			if len(lead) > len(longest) && strings.HasPrefix(a, lead+" ") {
				longest = lead
			}
		}
		if longest == "" {
			return false
		}
		a = strings.TrimSpace(a[len(longest):])
	}
	return contains(privateWords, a)
}

// foldAnswer folds an answer for word lists: normalizeAnswer, then emoji
// and the punctuation around words away ("No!! 🙂" is "no").
func foldAnswer(text string) string {
	a := normalizeAnswer(text)
	a = strings.Map(func(r rune) rune {
		if isEmojiRune(r) {
			return -1
		}
		return r
	}, a)
	a = strings.TrimFunc(a, func(r rune) bool { return unicode.IsPunct(r) && r != '-' || unicode.IsSpace(r) })
	return strings.Join(strings.Fields(a), " ")
}

// fromSentence takes what a question asks for out of a sentence before it
// is validated: the one email address of "my email is bob@example.com" at
// an `email` question, the one phone number of "call me on 07700 900123"
// at a `phone` question, the name after "my name is" at a `name` question.
// Anything else comes back as written, to be validated as it is.
func fromSentence(s *flows.Step, text string) string {
	switch {
	case hasTag(s, "email"):
		if e := flows.FindEmail(text); e != "" {
			return e
		}
	case hasTag(s, "phone"):
		if p := flows.FindPhone(text); p != "" {
			return p
		}
	case hasTag(s, "name"):
		return flows.NameFromSentence(text)
	}
	return text
}

// refusal returns why an answer tag refused an answer, or "" when err is
// another failure.
func refusal(err error) flows.Refusal {
	var ve validator.ValidationErrors
	if !errors.As(err, &ve) || len(ve) == 0 {
		return flows.RefusedNone
	}
	check, ok := flows.AnswerTags()[ve[0].Tag()]
	if !ok {
		return flows.RefusedNone
	}
	v, _ := ve[0].Value().(string)
	return check(v)
}

// sayRefused says why an answer was not taken, before the question is
// asked again: a question gets the flow's faq answer or "I've passed it
// on" (passQuestionOn), a media placeholder `answer_media`; anything else
// the step's `error` text, or a hint for the rule that failed.
func (t *turn) sayRefused(s *flows.Step, err error) {
	switch refusal(err) {
	case flows.RefusedQuestion:
		t.passQuestionOn(s)
		return
	case flows.RefusedPlaceholder:
		t.say(t.e.cfg.Texts.AnswerMedia, nil)
		return
	}
	if s.Error != nil {
		t.sayText(s.Error, nil)
		return
	}
	t.say(answerHint(err), nil)
}

// answerHint is hint with the answer tags' wording.
func answerHint(err error) string {
	var ve validator.ValidationErrors
	if errors.As(err, &ve) && len(ve) > 0 {
		switch ve[0].Tag() {
		case "name":
			return "Please send your name, for example *Jane Smith*."
		case "company":
			return "Please send the company's name."
		case "address":
			return "Please send the address: street and number, postcode and town."
		case "answer":
			return "Please type your answer in a few words."
		}
	}
	return hint(err)
}

// passQuestionOn answers a question an answer tag refused ("when can you
// start" at the name question) as a question the waiting step cannot take
// is answered (questions.go): the flow's faq answer when one matches, else
// `question_passed_on`, recorded for the owner in the audit log beside the
// message.
func (t *turn) passQuestionOn(s *flows.Step) {
	if tpl := t.e.faqFor(t, t.in.Text); tpl != nil {
		t.sayText(tpl, nil)
		return
	}
	t.say(t.e.cfg.Texts.QuestionPassedOn, nil)
	t.audit = append(t.audit, AuditEntry{Time: t.now, Actor: "customer", Action: "question",
		Contact: t.e.deps.Tag(t.sess.Contact), Detail: "a question the bot could not answer, at " + t.sess.Flow + "/" + s.ID + ": see the messages"})
}
