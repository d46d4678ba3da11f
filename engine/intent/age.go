package intent

import (
	"regexp"
	"strconv"
)

// Age patterns, over Normalize's folding ("J'ai 16 ans" → "jai 16 ans").
var (
	// An age stated outright: "I'm 16", "16 years old", "tengo 15 años",
	// "tenho 16 anos", "ich bin 16", "j'ai 16 ans", "ik ben 16".
	statedAge = []*regexp.Regexp{
		regexp.MustCompile(`\b(?:im|i am|i m|am only|im only|aged|age) (\d{1,2})\b`),
		regexp.MustCompile(`\b(\d{1,2}) ?(?:years? old|yrs? old|yo|y o)\b`),
		regexp.MustCompile(`\b(?:tengo|tenho|jai|j ai|ai) (?:solo |so |seulement )?(\d{1,2}) (?:anos|ans|ano)\b`),
		regexp.MustCompile(`\b(?:ich bin|bin|ik ben|ben) (?:erst |pas |nog maar |maar )?(\d{1,2})\b`),
		regexp.MustCompile(`\b(\d{1,2}) (?:jahre alt|jahre|jaar oud|jaar|anos de idade|ans seulement)\b`),
	}
	// Under an age: "under 18", "not yet 18", "menor de 18", "unter 18",
	// "moins de 18 ans", "onder de 18", "nog geen 18", "ainda não tenho 18".
	underAge = []*regexp.Regexp{
		regexp.MustCompile(`\b(?:under|below|less than|younger than|not yet|not over|not|menor de|menos de|aun no tengo|todavia no tengo|no tengo|unter|noch nicht|nicht|moins de|pas encore|pas|onder de|onder|jonger dan|nog geen|nog niet|geen|menor que|mais novo que|ainda nao tenho|nao tenho)(?: the age of| age| de)? (\d{1,2})\b`),
	}
	// A minor, without a number: "I'm a minor", "menor de edad",
	// "minderjährig", "mineur", "minderjarig", "menor de idade".
	minor = regexp.MustCompile(`\b(?:minor|underage|under age|menor de edad|menor de idade|minderjahrig|mineur|mineure|minderjarig)\b`)
	// ...unless it is denied: "I'm not a minor", "no soy menor de edad".
	notMinor = regexp.MustCompile(`\b(?:not|no|nicht|pas|niet|nao|ni|kein|keine|geen)(?: a| un| una| uma| ein| eine| een| soy| sou| bin| suis| ben)? (?:minor|underage|under age|menor de edad|menor de idade|minderjahrig|mineur|mineure|minderjarig)\b`)
)

// Underage says whether a message states that its writer is younger than
// minimum: an age below it ("no, I'm 16", "tengo 15 años", "ich bin 16",
// "j'ai 16 ans", "ik ben 16", "tenho 16 anos"), being under an age at or
// below it ("I'm under 18", "menor de 18", "unter 18", "moins de 18 ans",
// "onder de 18"), or being a minor ("I'm a minor", "menor de edad",
// "minderjährig", "mineur", "minderjarig", "menor de idade") in the six
// languages the phrase sets know. An age of minimum or more, or none
// stated, is not underage.
func Underage(text string, minimum int) bool {
	s := Normalize(text)
	for _, re := range underAge {
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			if n, err := strconv.Atoi(m[1]); err == nil && n >= 10 && n <= minimum {
				return true
			}
		}
	}
	for _, re := range statedAge {
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			if n, err := strconv.Atoi(m[1]); err == nil && n >= 5 && n < minimum {
				return true
			}
		}
	}
	return minimum >= 18 && minor.MatchString(s) && !notMinor.MatchString(s)
}
