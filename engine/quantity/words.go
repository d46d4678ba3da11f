package quantity

import (
	"slices"
	"strings"
)

// langSet is a set of the languages whose words the parser reads.
type langSet uint8

const (
	langEN langSet = 1 << iota
	langES
	langPT
	langDE
	langFR
	langNL

	langAll   = langEN | langES | langPT | langDE | langFR | langNL
	langComma = langES | langPT | langDE | langFR | langNL // decimal comma, dot for thousands
)

// langCodes maps Options.Lang to its set.
var langCodes = map[string]langSet{"en": langEN, "es": langES, "pt": langPT, "de": langDE, "fr": langFR, "nl": langNL}

// Langs lists the language codes Options.Lang accepts.
func Langs() []string { return []string{"en", "es", "pt", "de", "fr", "nl"} }

// wordKind is what a number word does.
type wordKind uint8

const (
	wNum   wordKind = iota // a value: forty, cuarenta, doscientos
	wWeak                  // an article that is 1 only before hundred/thousand or a unit: a, un, ein
	wMul                   // hundred, thousand: multiplies what came before
	wJoin                  // and, y, e, et, und, en: between number words
	wHalf                  // half, medio, demi: "two and a half"
	wVingt                 // French vingt: 80 after quatre
	wAbout                 // une quarantaine: about 40
)

type numEntry struct {
	kind  wordKind
	v     float64
	langs langSet
}

// numWords holds every number word, folded (lower case, no accents).
var numWords = func() map[string]numEntry {
	m := map[string]numEntry{}
	add := func(l langSet, kind wordKind, v float64, words ...string) {
		for _, w := range words {
			e := m[w]
			e.kind, e.v, e.langs = kind, v, e.langs|l
			m[w] = e
		}
	}
	nums := func(l langSet, first float64, words ...string) {
		for i, w := range words {
			if w != "" {
				add(l, wNum, first+float64(i), strings.Split(w, "|")...)
			}
		}
	}
	tens := func(l langSet, words ...string) {
		for i, w := range words {
			add(l, wNum, float64(20+10*i), strings.Split(w, "|")...)
		}
	}
	hundreds := func(l langSet, words ...string) {
		for i, w := range words {
			add(l, wNum, float64(100+100*i), strings.Split(w, "|")...)
		}
	}

	nums(langEN, 0, "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
	tens(langEN, "twenty", "thirty", "forty|fourty", "fifty", "sixty", "seventy", "eighty", "ninety")
	add(langEN, wWeak, 1, "a")
	add(langEN, wMul, 100, "hundred")
	add(langEN, wMul, 1000, "thousand")
	add(langEN, wJoin, 0, "and")
	add(langEN, wHalf, 0.5, "half")

	nums(langES, 0, "cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez",
		"once", "doce", "trece", "catorce", "quince", "dieciseis", "diecisiete", "dieciocho", "diecinueve", "veinte",
		"veintiuno|veintiun", "veintidos", "veintitres", "veinticuatro", "veinticinco", "veintiseis", "veintisiete",
		"veintiocho", "veintinueve")
	tens(langES, "veinte", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa")
	hundreds(langES, "cien|ciento", "doscientos|doscientas", "trescientos|trescientas", "cuatrocientos|cuatrocientas",
		"quinientos|quinientas", "seiscientos|seiscientas", "setecientos|setecientas", "ochocientos|ochocientas",
		"novecientos|novecientas")
	add(langES, wWeak, 1, "un", "una")
	add(langES|langPT, wMul, 1000, "mil")
	add(langES, wJoin, 0, "y")
	add(langES, wHalf, 0.5, "medio", "media")

	nums(langPT, 0, "zero", "", "dois|duas", "tres", "quatro", "cinco", "seis", "sete", "oito", "nove", "dez",
		"onze", "doze", "treze", "catorze|quatorze", "quinze", "dezesseis|dezasseis", "dezessete|dezassete", "dezoito",
		"dezenove|dezanove")
	tens(langPT, "vinte", "trinta", "quarenta", "cinquenta", "sessenta", "setenta", "oitenta", "noventa")
	hundreds(langPT, "cem|cento", "duzentos|duzentas", "trezentos|trezentas", "quatrocentos|quatrocentas",
		"quinhentos|quinhentas", "seiscentos|seiscentas", "setecentos|setecentas", "oitocentos|oitocentas",
		"novecentos|novecentas")
	add(langPT, wWeak, 1, "um", "uma")
	add(langPT, wJoin, 0, "e")
	add(langPT, wHalf, 0.5, "meio", "meia")

	nums(langDE, 0, "null", "eins", "zwei|zwo", "drei", "vier", "funf|fuenf", "sechs", "sieben", "acht", "neun", "zehn",
		"elf", "zwolf|zwoelf", "dreizehn", "vierzehn", "funfzehn|fuenfzehn", "sechzehn", "siebzehn", "achtzehn", "neunzehn")
	tens(langDE, "zwanzig", "dreissig", "vierzig", "funfzig|fuenfzig", "sechzig", "siebzig", "achtzig", "neunzig")
	add(langDE, wWeak, 1, "ein", "eine")
	add(langDE, wMul, 100, "hundert")
	add(langDE, wMul, 1000, "tausend")
	add(langDE, wJoin, 0, "und")
	add(langDE, wHalf, 0.5, "halb", "einhalb")

	nums(langFR, 0, "zero", "", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
		"onze", "douze", "treize", "quatorze", "quinze", "seize")
	tens(langFR, "vingt", "trente", "quarante", "cinquante", "soixante", "septante", "huitante|octante", "nonante")
	add(langFR, wVingt, 20, "vingt", "vingts")
	add(langFR, wWeak, 1, "un", "une")
	add(langFR, wMul, 100, "cent", "cents")
	add(langFR, wMul, 1000, "mille")
	add(langFR, wJoin, 0, "et")
	add(langFR, wHalf, 0.5, "demi", "demie")
	for w, v := range map[string]float64{"dizaine": 10, "douzaine": 12, "quinzaine": 15, "vingtaine": 20, "trentaine": 30,
		"quarantaine": 40, "cinquantaine": 50, "soixantaine": 60, "centaine": 100} {
		add(langFR, wAbout, v, w, w+"s")
	}

	nums(langNL, 0, "nul", "", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien",
		"elf", "twaalf", "dertien", "veertien", "vijftien", "zestien", "zeventien", "achttien", "negentien")
	tens(langNL, "twintig", "dertig", "veertig", "vijftig", "zestig", "zeventig", "tachtig", "negentig")
	add(langNL, wWeak, 1, "een")
	add(langNL, wMul, 100, "honderd")
	add(langNL, wMul, 1000, "duizend")
	add(langNL, wJoin, 0, "en")
	add(langNL, wHalf, 0.5, "half")
	add(langNL, wNum, 1.5, "anderhalf")
	add(langDE, wNum, 1.5, "eineinhalb", "anderthalb")
	return m
}()

// compoundPart is a word inside German and Dutch compounds.
type compoundPart struct {
	word  string
	v     float64
	langs langSet
}

var (
	compoundMuls = []compoundPart{{"tausend", 1000, langDE}, {"duizend", 1000, langNL}, {"hundert", 100, langDE}, {"honderd", 100, langNL}}
	compoundTens = func() []compoundPart {
		var out []compoundPart
		for w, e := range numWords {
			if e.kind == wNum && e.v >= 20 && e.v < 100 && e.langs&(langDE|langNL) != 0 {
				out = append(out, compoundPart{w, e.v, e.langs & (langDE | langNL)})
			}
		}
		slices.SortFunc(out, func(a, b compoundPart) int { return len(b.word) - len(a.word) })
		return out
	}()
	compoundJoins  = []compoundPart{{"und", 0, langDE}, {"en", 0, langNL}}
	compoundHalves = []compoundPart{{"einhalb", 0.5, langDE}, {"enhalf", 0.5, langNL}}
)

// phraseKind is what a phrase of words does around a number.
type phraseKind uint8

const (
	pUnit       phraseKind = iota
	pAbout                 // before a number: about, ca., unos
	pAboutAfter            // after a number: or so, ish, más o menos
	pBetween               // between … and …
	pFrom                  // from … to …
	pAnd                   // the and of between … and …
	pTo                    // the to of from … to …, and 30 to 40
	pOr                    // 30 or 40
	pBy                    // a dimension: 4 by 10
	pToLoose               // 30 a 40: only in languages that say it
)

type phrase struct {
	words  []string
	kind   phraseKind
	unit   Unit
	langs  langSet
	strict bool // only when the language is given: Dutch "of" is "or", English "of" is not
}

// phrases indexes every phrase by its first word, longest first.
var phrases = func() map[string][]phrase {
	m := map[string][]phrase{}
	add := func(kind phraseKind, u Unit, l langSet, list ...string) {
		for _, s := range list {
			words := strings.Fields(s)
			m[words[0]] = append(m[words[0]], phrase{words: words, kind: kind, unit: u, langs: l})
		}
	}
	unit := func(u Unit, l langSet, list ...string) { add(pUnit, u, l, list...) }
	strict := func(kind phraseKind, l langSet, list ...string) {
		for _, s := range list {
			words := strings.Fields(s)
			m[words[0]] = append(m[words[0]], phrase{words: words, kind: kind, langs: l, strict: true})
		}
	}

	unit(SquareMetre, langAll, "m2", "m²", "sqm", "sqm2", "mt2", "mts2", "mtr2", "mtrs2", "qm", "sq m", "sq mt", "sq mtr", "sq mtrs",
		"sq metre", "sq metres", "sq meter", "sq meters", "m sq")
	unit(SquareMetre, langEN, "square metre", "square metres", "square meter", "square meters", "square m",
		"metre squared", "metres squared", "meter squared", "meters squared", "m squared")
	unit(SquareMetre, langES, "metro cuadrado", "metros cuadrados", "m cuadrados", "mts cuadrados", "mt cuadrados", "metros2")
	unit(SquareMetre, langPT, "metro quadrado", "metros quadrados", "m quadrados")
	unit(SquareMetre, langDE, "quadratmeter", "quadratmetern", "quadratmetre")
	unit(SquareMetre, langFR, "metre carre", "metres carres", "m carre", "m carres", "metre carres")
	unit(SquareMetre, langNL, "vierkante meter", "vierkante meters", "vierkante m", "vierkante metre")
	unit(SquareFoot, langAll, "ft2", "ft²", "sqft", "sq ft", "sq feet", "sq foot", "sf")
	unit(SquareFoot, langEN, "square feet", "square foot", "square ft", "feet squared", "foot squared", "ft squared")
	unit(SquareFoot, langES, "pies cuadrados", "pie cuadrado")
	unit(SquareFoot, langPT, "pes quadrados", "pe quadrado")
	unit(SquareFoot, langDE, "quadratfuss")
	unit(SquareFoot, langFR, "pieds carres", "pied carre")
	unit(SquareFoot, langNL, "vierkante voet")
	unit(SquareCentimetre, langAll, "cm2", "cm²", "sq cm")
	unit(SquareCentimetre, langEN, "square centimetre", "square centimetres", "square centimeter", "square centimeters")
	unit(SquareCentimetre, langDE, "quadratzentimeter")
	unit(Metre, langAll, "m", "mt", "mts", "mtr", "mtrs")
	unit(Metre, langEN|langDE|langNL|langFR, "metre", "metres", "meter", "meters", "metern")
	unit(Metre, langES|langPT, "metro", "metros")
	unit(Centimetre, langAll, "cm", "cms")
	unit(Centimetre, langEN|langDE|langNL|langFR, "centimetre", "centimetres", "centimeter", "centimeters", "zentimeter")
	unit(Centimetre, langES|langPT, "centimetro", "centimetros")
	unit(Millimetre, langAll, "mm")
	unit(Millimetre, langEN|langDE|langNL|langFR, "millimetre", "millimetres", "millimeter", "millimeters")
	unit(Millimetre, langES|langPT, "milimetro", "milimetros")
	unit(Foot, langAll, "ft")
	unit(Foot, langEN, "feet", "foot")
	unit(Foot, langES, "pies")
	unit(Foot, langPT, "pes")
	unit(Foot, langFR, "pieds", "pied")
	unit(Foot, langDE, "fuss")
	unit(Foot, langNL, "voet")

	add(pAbout, None, langEN, "about", "around", "round about", "approx", "approximately", "roughly", "circa", "ca",
		"some", "nearly", "almost", "close to", "more or less", "give or take", "estimated", "maybe", "probably",
		"like", "apx", "abt", "around about", "just over", "just under")
	add(pAbout, None, langES, "unos", "unas", "aproximadamente", "aprox", "alrededor de", "cerca de", "mas o menos",
		"casi", "como", "sobre")
	add(pAbout, None, langPT, "uns", "umas", "aproximadamente", "aprox", "cerca de", "mais ou menos", "quase",
		"por volta de", "em torno de", "perto de")
	add(pAbout, None, langDE, "ca", "circa", "zirka", "etwa", "ungefahr", "ungefaehr", "rund", "so um die", "um die",
		"knapp", "grob", "in etwa", "so etwa")
	add(pAbout, None, langFR, "environ", "env", "a peu pres", "pres de", "autour de", "dans les", "presque", "quelque",
		"approximativement", "grosso modo", "a peu pres", "vers")
	add(pAbout, None, langNL, "ongeveer", "ong", "ca", "circa", "rond de", "zo'n", "zon", "bijna", "pakweg",
		"om en nabij", "plusminus", "rond", "zowat", "ruwweg", "een stuk of", "ongeveer zo'n")
	add(pAboutAfter, None, langEN, "or so", "ish", "approx", "approximately", "roughly", "more or less", "give or take", "or thereabouts")
	add(pAboutAfter, None, langES, "mas o menos", "aproximadamente", "aprox", "o asi")
	add(pAboutAfter, None, langPT, "mais ou menos", "aproximadamente", "aprox", "ou assim")
	add(pAboutAfter, None, langDE, "ungefahr", "ungefaehr", "etwa", "circa", "ca", "oder so")
	add(pAboutAfter, None, langFR, "environ", "a peu pres", "a peu pres", "ou presque")
	add(pAboutAfter, None, langNL, "ongeveer", "of zo", "ofzo", "circa", "ca")

	add(pBetween, None, langEN, "between", "somewhere between", "anywhere between")
	add(pBetween, None, langES|langPT|langFR, "entre")
	add(pBetween, None, langDE, "zwischen")
	add(pBetween, None, langNL, "tussen")
	add(pFrom, None, langEN, "from", "anywhere from")
	add(pFrom, None, langES|langPT|langFR, "de")
	add(pFrom, None, langES, "desde")
	add(pFrom, None, langDE, "von")
	add(pFrom, None, langNL, "van")
	add(pAnd, None, langEN, "and")
	add(pAnd, None, langES, "y")
	add(pAnd, None, langPT, "e")
	add(pAnd, None, langFR, "et")
	add(pAnd, None, langDE, "und")
	add(pAnd, None, langNL, "en")
	add(pTo, None, langEN, "to", "up to")
	add(pTo, None, langES, "hasta")
	add(pTo, None, langPT, "ate")
	add(pTo, None, langDE, "bis")
	add(pTo, None, langNL, "tot")
	add(pToLoose, None, langES|langPT|langFR, "a")
	add(pOr, None, langEN, "or")
	add(pOr, None, langES, "o")
	add(pOr, None, langPT|langFR, "ou")
	add(pOr, None, langDE, "oder")
	strict(pOr, langNL, "of")
	add(pBy, None, langEN, "by", "times")
	add(pBy, None, langES|langPT, "por")
	add(pBy, None, langDE, "mal")
	add(pBy, None, langFR, "sur", "par")
	add(pBy, None, langNL, "bij", "maal")
	for _, list := range m {
		slices.SortStableFunc(list, func(a, b phrase) int { return len(b.words) - len(a.words) })
	}
	return m
}()

// wordLangs is, for each word of the lexicon, the languages it belongs to;
// the parser counts them to tell decimal commas from decimal points when
// the language is not given.
var wordLangs = func() map[string]langSet {
	m := map[string]langSet{}
	for w, e := range numWords {
		m[w] |= e.langs
	}
	for _, list := range phrases {
		for _, p := range list {
			for _, w := range p.words {
				m[w] |= p.langs
			}
		}
	}
	return m
}()

// volumes are units of volume: a number before one is no area or length.
var volumes = map[string]bool{"m3": true, "m³": true, "ft3": true, "ft³": true, "cm3": true, "cm³": true, "cbm": true, "cubic": true, "kubikmeter": true}

// gluedOK are words that may follow a number without a space and leave it
// a number: units we do not convert, currencies, "x" of 4x10, "ish".
var gluedOK = map[string]bool{
	"x": true, "ish": true, "km": true, "kg": true, "l": true, "h": true, "min": true, "eur": true,
	"euro": true, "euros": true, "usd": true,
}

// fold lower-cases a word and takes accents off, so "Fünf", "funf" and
// "FÜNF" are one word, as are "mètres" and "metres".
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || (c >= 'A' && c <= 'Z') {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'á', 'à', 'â', 'ä', 'ã', 'å':
			b.WriteByte('a')
		case 'é', 'è', 'ê', 'ë':
			b.WriteByte('e')
		case 'í', 'ì', 'î', 'ï':
			b.WriteByte('i')
		case 'ó', 'ò', 'ô', 'ö', 'õ':
			b.WriteByte('o')
		case 'ú', 'ù', 'û', 'ü':
			b.WriteByte('u')
		case 'ç':
			b.WriteByte('c')
		case 'ñ':
			b.WriteByte('n')
		case 'ß':
			b.WriteString("ss")
		case '’', '‘', 'ʼ':
			b.WriteByte('\'')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
