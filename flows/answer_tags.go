package flows

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The answer tags check that a typed answer is the kind of answer a
// question asked for, not something else the customer sent instead:
//
//	name     a person's name: no question, command word, email address,
//	         phone number, digits, media placeholder ([Voice message 0:42]),
//	         sentence, punctuation alone or single letter
//	company  an organisation's name: as name, but digits and signs are fine
//	         (3M, Smith & Sons Ltd.)
//	address  a postal address: no question, command word, email address,
//	         media placeholder or punctuation alone; it needs a letter
//	answer   any real answer: no media placeholder and not punctuation or
//	         emoji alone (a description, feedback)
//
// Each check returns a Refusal the engine turns into a friendly re-ask.

// Refusal says why an answer is not what a question asked for.
type Refusal string

// The reasons an answer tag refuses an answer. The engine words a re-ask
// for each; "" means the answer is fine.
const (
	RefusedNone        Refusal = ""
	RefusedEmpty       Refusal = "empty"       // nothing but space
	RefusedPlaceholder Refusal = "placeholder" // [Voice message 0:42], <Media omitted>: a stand-in for media
	RefusedSymbols     Refusal = "symbols"     // punctuation or emoji alone: "..", "👍"
	RefusedQuestion    Refusal = "question"    // "do you work weekends?"
	RefusedKeyword     Refusal = "keyword"     // a command or reply word: START, MENU, yes, ok
	RefusedEmail       Refusal = "email"       // an email address where a name was asked
	RefusedPhone       Refusal = "phone"       // a phone number where a name was asked
	RefusedDigits      Refusal = "digits"      // digits in a person's name
	RefusedShort       Refusal = "short"       // a single letter
	RefusedSentence    Refusal = "sentence"    // a sentence, not a name: "I need a quote for my roof"
)

// AnswerTags lists the answer tags with their checks, in the order the
// documentation gives them. NewValidator registers each; lint knows them.
func AnswerTags() map[string]func(string) Refusal {
	return map[string]func(string) Refusal{
		"name":    CheckName,
		"company": CheckCompany,
		"address": CheckAddress,
		"answer":  CheckAnswer,
	}
}

// CheckAnswer is the `answer` tag: anything but a media placeholder or
// punctuation and emoji alone.
func CheckAnswer(s string) Refusal {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return RefusedEmpty
	case IsMediaPlaceholder(s):
		return RefusedPlaceholder
	case !hasLetterOrDigit(s):
		return RefusedSymbols
	}
	return RefusedNone
}

// refuseNonAnswer is what the address and company tags refuse alike: no
// answer at all (CheckAnswer), a question, a command word or an email
// address.
func refuseNonAnswer(s string) Refusal {
	if r := CheckAnswer(s); r != RefusedNone {
		return r
	}
	s = strings.TrimSpace(s)
	switch {
	case IsQuestion(s):
		return RefusedQuestion
	case IsCommandWord(s):
		return RefusedKeyword
	case FindEmail(s) != "":
		return RefusedEmail
	}
	return RefusedNone
}

// CheckAddress is the `address` tag: a real answer that is no question,
// command word or email address, with at least one letter.
func CheckAddress(s string) Refusal {
	if r := refuseNonAnswer(s); r != RefusedNone {
		return r
	}
	s = strings.TrimSpace(s)
	switch {
	case !hasLetter(s):
		if IsPhone(s) {
			return RefusedPhone
		}
		return RefusedSymbols
	}
	return RefusedNone
}

// CheckCompany is the `company` tag: an organisation's name. Digits and
// signs are fine; questions, command words, email addresses, phone
// numbers, placeholders and single letters are not.
func CheckCompany(s string) Refusal {
	if r := refuseNonAnswer(s); r != RefusedNone {
		return r
	}
	s = strings.TrimSpace(s)
	switch {
	case FindPhone(s) != "":
		return RefusedPhone
	case utf8.RuneCountInString(strings.Join(strings.Fields(s), "")) < 2:
		return RefusedShort
	}
	return RefusedNone
}

// CheckName is the `name` tag: a person's name, in any script. It takes
// letters, spaces, hyphens, apostrophes and full stops, at least two
// letters and at most eight words, and no sentence ("I need a quote").
// NameFromSentence takes the name out of "my name is ..." first.
func CheckName(s string) Refusal {
	if r := CheckAnswer(s); r != RefusedNone {
		return r
	}
	s = strings.TrimSpace(s)
	switch {
	case IsQuestion(s):
		return RefusedQuestion
	case FindEmail(s) != "":
		return RefusedEmail
	case countDigits(s) >= 6:
		return RefusedPhone
	case countDigits(s) > 0:
		return RefusedDigits
	case IsCommandWord(s):
		return RefusedKeyword
	}
	letters := 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsMark(r), r == '\u200c', r == '\u200d': // vowel signs, accents, joiners (प्रिया, زهرا‌سادات)
		case r == ' ' || r == '-' || r == '\'' || r == '’' || r == '.' || r == ',':
		default:
			return RefusedSymbols
		}
	}
	if letters < 2 {
		return RefusedShort
	}
	words := strings.Fields(strings.ToLower(s))
	if len(words) > 8 {
		return RefusedSentence
	}
	for _, w := range words {
		if notInNames[strings.Trim(w, ".,")] {
			return RefusedSentence
		}
	}
	return RefusedNone
}

// notInNames are words of a sentence that are never part of a person's
// name, in the six languages of the flows. Name particles (de, van, von,
// da, del, le, la, bin, al) and words that are also first names or
// surnames (Ben, Can, Job, Ma, No, Ola, Tu, Will) are not among them.
var notInNames = setOf(
	// English
	"i", "i'm", "me", "my", "you", "your", "we", "our", "it", "it's", "its", "is", "are", "was",
	"have", "has", "want", "need", "would", "like", "please", "thanks", "thank", "the", "for", "to",
	"this", "that", "with", "about", "quote", "roof", "hello", "hi", "name", "not", "don't",
	// Spanish, Portuguese
	"soy", "quiero", "necesito", "por", "favor", "gracias", "nombre", "hola",
	"meu", "minha", "sou", "obrigado", "obrigada", "nome", "olá",
	// German, Dutch
	"ich", "mein", "meine", "ist", "bitte", "danke", "brauche", "möchte", "hallo",
	"ik", "mijn", "naam", "graag",
	// French
	"je", "suis", "mon", "nom", "merci", "voudrais", "besoin", "bonjour",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// commandWords are whole answers that are a command or a reply to another
// question, never a name or an address: the engine's default keywords and
// the short replies customers send by habit.
var commandWords = setOf(
	"start", "stop", "menu", "restart", "help", "agent", "human", "cancel", "unsubscribe", "opt out",
	"opt in", "my data", "delete my data", "withdraw consent", "skip", "done", "test",
	"yes", "no", "y", "n", "ok", "okay", "sure", "yep", "yeah", "nope", "thanks", "thank you", "hi", "hello",
	"si", "sí", "ja", "nee", "nein", "oui", "non", "sim", "não", "nao", "gracias", "danke", "merci", "obrigado",
	"accept", "decline",
)

// IsCommandWord reports whether the whole answer is a command or a short
// reply word (START, MENU, yes, ok), in any case, with trailing
// punctuation ignored.
func IsCommandWord(s string) bool {
	s = strings.ToLower(strings.Join(strings.Fields(strings.TrimRightFunc(s, unicode.IsPunct)), " "))
	return commandWords[s]
}

// questionWords start a question in the six languages, whatever follows
// ("when", "cuándo", "wann").
var questionWords = setOf(
	"how", "what", "when", "where", "why", "who", "which", "whats", "what's",
	"qué", "cuándo", "cómo", "dónde", "cuánto", "cuánta", "cuántos",
	"quando", "onde", "quanto", "quanta", "porque",
	"wann", "was", "wie", "wo", "warum", "wieviel", "wieso",
	"quand", "comment", "pourquoi", "combien", "est-ce", "quel", "quelle",
	"wanneer", "wat", "hoe", "waarom", "hoeveel",
)

// questionVerbs start a question only before a pronoun or article ("do
// you", "can we", "is it"): alone they may start a name (Will Smith, Can
// Yilmaz).
var questionVerbs = setOf(
	"do", "does", "did", "can", "could", "will", "would", "is", "are", "should", "may", "have", "has",
	"puede", "pueden", "puedes", "hacen", "tienen", "trabajan", "podem", "pode", "fazem", "trabalham",
	"können", "kann", "kannst", "arbeiten", "machen", "haben", "ist", "sind",
	"pouvez", "peux", "faites", "travaillez", "avez", "êtes",
	"kunnen", "kan", "kunt", "werken", "doen", "hebben", "is", "zijn",
)

// questionSubjects follow a question verb: pronouns and articles.
var questionSubjects = setOf(
	"you", "u", "ya", "we", "i", "it", "they", "there", "this", "that", "the", "a", "your", "my", "anyone", "someone",
	"usted", "ustedes", "vocês", "você", "voces", "voce", "ele", "ela",
	"sie", "ihr", "du", "man", "es", "ich", "wir",
	"vous", "tu", "on", "il", "je",
	"jullie", "jij", "je", "u", "het", "er", "ik", "we",
)

// IsQuestion reports whether an answer asks something back: it has a
// question mark, or starts like a question ("when can you start", "do
// you work weekends") with at least three words.
func IsQuestion(s string) bool {
	if strings.ContainsAny(s, "?¿") {
		return true
	}
	words := strings.Fields(strings.ToLower(s))
	if len(words) < 3 {
		return false
	}
	first, second := strings.Trim(words[0], ",.!"), strings.Trim(words[1], ",.!")
	return questionWords[first] || (questionVerbs[first] && questionSubjects[second])
}

// placeholderRE matches a text that stands for media a channel or an app
// could not pass on: "[Voice message]", "[Voice message 0:42]", "<Media
// omitted>", "[image]", "audio omitted", "‎<attached: 00000012-PHOTO.jpg>".
var placeholderRE = regexp.MustCompile(`(?i)^(?:\[.*\]|<.*>|(?:voice message|voice note|audio|image|photo|picture|video|sticker|gif|document|media|file)s?(?: omitted| message| attached)?(?: \(?\d+:\d\d\)?)?)$`)

// IsMediaPlaceholder reports whether a whole answer is a stand-in for
// media: text in brackets ([Voice message 0:42], <Media omitted>) or the
// words apps put in place of a voice note or photo.
func IsMediaPlaceholder(s string) bool {
	s = strings.TrimSpace(strings.Trim(s, "\u200e\u200f"))
	return placeholderRE.MatchString(s)
}

func hasLetterOrDigit(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// emailRE finds email addresses in running text.
var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)

// FindEmail returns the one email address in a sentence ("my email is
// bob@example.com."), or "" when there is none or more than one.
func FindEmail(s string) string {
	found := emailRE.FindAllString(s, 2)
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

// phoneRunRE finds runs of a phone number in running text: an optional +,
// then digits with spaces, dashes, dots or brackets between them.
var phoneRunRE = regexp.MustCompile(`\+?\(?\d[\d\s().-]*\d`)

// FindPhone returns the one phone number in a sentence ("call me on 07700
// 900123 after 5"): a run of 6 to 15 digits with an optional +, spaces,
// dashes, dots or brackets, as written. It returns "" when there is none
// or more than one.
func FindPhone(s string) string {
	var found []string
	for _, run := range phoneRunRE.FindAllString(s, -1) {
		run = strings.TrimSpace(run)
		if n := countDigits(run); n >= 6 && n <= 15 {
			found = append(found, run)
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

// namePrefixes are how customers introduce their name in the six
// languages, longest first where one starts another.
var namePrefixes = []string{
	"my name is", "my full name is", "the name is", "name is", "name:", "i am", "i'm", "it's", "it is", "this is",
	"mi nombre es", "me llamo", "soy",
	"o meu nome é", "meu nome é", "o meu nome e", "meu nome e", "chamo-me", "me chamo", "eu sou", "sou",
	"mein name ist", "ich heiße", "ich heisse", "ich bin",
	"mijn naam is", "ik heet", "ik ben",
	"je m'appelle", "je m’appelle", "mon nom est", "je suis",
}

// NameFromSentence takes a name out of an introduction ("my name is Ana
// Lima", "I'm Bob.", "me llamo Ana"): the words after it, without a final
// full stop or exclamation mark. Other answers come back as given.
func NameFromSentence(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range namePrefixes {
		if len(s) <= len(p) || !strings.EqualFold(s[:len(p)], p) {
			continue
		}
		if !strings.HasSuffix(p, ":") && s[len(p)] != ' ' {
			continue // "Isabel" does not start with "is"
		}
		rest := strings.TrimSpace(s[len(p):])
		rest = strings.TrimRight(rest, ".!")
		if rest != "" {
			return rest
		}
	}
	return s
}
