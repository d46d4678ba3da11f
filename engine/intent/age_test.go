package intent

import "testing"

// TestUnderage: the consent question asks for the minimum age; these are
// the answers that say the customer is under it, in every language the
// phrase sets know, and those that do not.
func TestUnderage(t *testing.T) {
	under := []string{
		"no, I'm 16", "I'm under 18", "im 15 sorry", "I am 17 years old", "no im only 14", "not yet 18", "I'm a minor", "16 yo",
		"no, tengo 16 años", "soy menor de edad", "tengo solo 15 años", "menor de 18",
		"não, tenho 16 anos", "sou menor de idade", "ainda não tenho 18",
		"nein, ich bin 16", "ich bin minderjährig", "ich bin noch nicht 18", "unter 18", "16 Jahre alt",
		"non, j'ai 16 ans", "je suis mineur", "j'ai moins de 18 ans", "pas encore 18",
		"nee, ik ben 16", "ik ben minderjarig", "ik ben nog geen 18", "onder de 18", "16 jaar oud",
	}
	adult := []string{
		"yes", "yes, I'm 45", "I am 18", "I'm over 18", "I'm not a minor", "yes that's fine", "I'm 18 and happy with that",
		"sí, tengo 30 años", "no soy menor de edad", "sim, tenho 40 anos", "ja, ich bin 52", "nicht minderjährig",
		"oui, j'ai 25 ans", "ja, ik ben 33", "I have 2 kids", "tengo 2 casas", "we need 16 tiles", "ok 18+",
	}
	for _, s := range under {
		if !Underage(s, 18) {
			t.Errorf("Underage(%q) = false, want true", s)
		}
	}
	for _, s := range adult {
		if Underage(s, 18) {
			t.Errorf("Underage(%q) = true, want false", s)
		}
	}
	if !Underage("I'm 19", 21) || Underage("I'm 19", 18) {
		t.Error("the minimum age is not the configured one")
	}
}
