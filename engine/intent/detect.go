package intent

import (
	"slices"
	"strings"
	"sync"
)

// Detect guesses the language of a customer's message among the given
// ones (ISO 639-1 codes; all six when empty) from the small words every
// sentence has ("the", "el", "der"...), greetings, and letters only some
// languages write (ñ, ß, ã...). It returns "" when the message says too
// little to tell ("ok", "40", a name, an email address). A word several
// languages share counts for each of them, less.
func Detect(text string, languages []string) string {
	if len(languages) == 0 {
		languages = Languages()
	}
	if strings.Contains(text, "@") || strings.Contains(text, "://") {
		return "" // an email or a web address says nothing of the language
	}
	scores := map[string]float64{}
	for _, r := range text {
		for _, l := range letterLangs[r] {
			scores[l] += 1.5
		}
	}
	for _, w := range strings.Fields(Normalize(text)) {
		langs := detectWords()[w]
		for _, l := range langs {
			scores[l] += 1 / float64(len(langs))
		}
	}
	best, second := "", 0.0
	for _, l := range languages {
		s := scores[l]
		switch {
		case best == "" || s > scores[best]:
			if best != "" {
				second = scores[best]
			}
			best = l
		case s > second:
			second = s
		}
	}
	if best == "" || scores[best] < 1 || scores[best] <= second {
		return ""
	}
	return best
}

// letterLangs are letters (and marks) only some languages write.
var letterLangs = map[rune][]string{
	'ñ': {"es"}, 'Ñ': {"es"}, '¿': {"es"}, '¡': {"es"},
	'ã': {"pt"}, 'õ': {"pt"}, 'Ã': {"pt"},
	'ß': {"de"}, 'ä': {"de"}, 'ö': {"de", "nl"}, 'ü': {"de"},
	'è': {"fr"}, 'ê': {"fr", "pt"}, 'à': {"fr", "pt"}, 'ù': {"fr"}, 'ç': {"fr", "pt"}, 'œ': {"fr"},
	'ĳ': {"nl"},
}

// stopwords are each language's commonest small words and the words of a
// quote conversation, folded as Normalize folds them.
var stopwords = map[string]string{
	"en": "the a an and is are was i you my me we it its of to in for on with this that have has do does not no yes please thanks thank hi hello hey " +
		"what how when where why who which can could would will should roof roofing paint painting need want job work about photos photo pictures dont know sure " +
		"size just send there here be am m s t ll ve d re your our us they them some any much many yeah yep sorry right great good morning afternoon evening",
	"es": "el la los las un una unos unas y es son de del en para por con que mi mis me yo tu te si no hola gracias buenos buenas dias tardes noches quiero necesito tengo " +
		"tejado techo pintura pintar cuanto cuesta como presupuesto fotos foto se bien vale muy mas pero esta estoy hay casa metros sin ahora tambien usted ustedes " +
		"trabajo hacer nada claro lo le su sus al este esto esa ese favor porfa pues vale donde cuando quien",
	"pt": "o os as um uma e de do da dos das em no na para por com que meu minha eu voce sim nao ola obrigado obrigada bom boa dia tarde quero preciso tenho " +
		"telhado pintura orcamento fotos foto sei esta muito mais mas casa agora tambem trabalho fazer isso ele ela nos vou estou tudo",
	"de": "der die das und ist sind ein eine einen ich sie wir mein meine nicht ja nein bitte danke hallo guten tag morgen fur mit von auf zu dach haben habe " +
		"mochte brauche fotos foto weiss gut auch aber kein keine wie was wann wo warum ihr es dem den im ist sehr",
	"fr": "le la les un une et est sont de du des en pour par avec que qui je vous nous mon ma mes ne pas oui non bonjour merci salut toit peinture devis " +
		"photos photo sais bien tres plus mais maison aussi travail c j l d qu il elle au aux ce cette suis",
	"nl": "de het een en is zijn van in voor met op dat die ik je jij u wij we mijn niet ja nee alsjeblieft alstublieft dank bedankt hallo goedemorgen dak " +
		"schilderen offerte foto fotos weet goed ook maar huis nu werk wat hoe wanneer waar er heb heeft kan",
}

// detectWords indexes the stop words by word: the languages that use it.
// It is built once and only read.
var detectWords = sync.OnceValue(func() map[string][]string {
	idx := map[string][]string{}
	for _, l := range Languages() {
		for _, w := range strings.Fields(stopwords[l]) {
			if !slices.Contains(idx[w], l) {
				idx[w] = append(idx[w], l)
			}
		}
	}
	return idx
})

// questionOpenings are the words that open a question in each language
// ("how", "cuánto", "wie"), and the two-word openings ("do you", "is it"),
// folded. Built once and only read.
var questionOpenings = sync.OnceValues(func() (words, starts map[string]bool) {
	words, starts = map[string]bool{}, map[string]bool{}
	for _, w := range strings.Fields("how what whats when where why who which whose " +
		"cuanto cuanta cuantos cuantas cuando donde adonde quien quienes cual cuales " +
		"quanto quanta quantos quantas quando onde qual quais " +
		"wie was wann wo warum wer welche welcher welches wieviel " +
		"comment quand combien pourquoi quel quelle quels quelles " +
		"hoe wat wanneer waar waarom wie welke hoeveel") {
		words[w] = true
	}
	for _, p := range []string{
		"do you", "does it", "does that", "did you", "can you", "can i", "could you", "could i", "would you", "will you", "are you", "is it", "is there", "is that", "are there", "have you", "do u", "r u", "can u",
		"por que", "hacen ustedes", "trabajan los", "trabajais los", "pueden venir", "podeis venir", "puedes venir", "teneis seguro", "tienen seguro", "es caro",
		"por que", "voces fazem", "voce faz", "arbeiten sie", "konnen sie", "haben sie", "gibt es", "est ce", "faites vous", "pouvez vous", "travaillez vous",
		"werken jullie", "kunnen jullie", "doen jullie", "is het",
	} {
		starts[p] = true
	}
	return words, starts
})

// IsQuestion reports whether a message asks something: it has a question
// mark, or opens like a question in one of the six languages ("how much
// roughly", "do you work weekends", "cuánto cuesta").
func IsQuestion(text string) bool {
	if strings.ContainsAny(text, "?¿") {
		return true
	}
	words := strings.Fields(Normalize(text))
	if len(words) < 2 {
		return false
	}
	qw, qs := questionOpenings()
	return qw[words[0]] || qs[words[0]+" "+words[1]]
}
