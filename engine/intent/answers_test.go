package intent_test

import (
	"fmt"
	"testing"

	"github.com/allmyleads/allmyleads/engine/intent"
)

// TestAnswers reads the answers issue 13 names, per language, and near
// misses that must be none of them.
func TestAnswers(t *testing.T) {
	a, err := intent.NewAnswers(nil)
	if err != nil {
		t.Fatal(err)
	}
	for want, texts := range map[intent.Intent][]string{
		intent.DontKnow: {
			"I don't know", "dont know", "no idea", "not sure", "not sure, sorry", "dunno", "idk", "I have no idea", "no clue",
			"I don't know the size", "haven't measured it", "no sé", "no lo sé", "ni idea", "no tengo ni idea", "no estoy segura",
			"não sei", "keine Ahnung", "je ne sais pas", "geen idee",
		},
		intent.NoPhotos: {
			"no photos", "I don't have any photos", "I can't", "later", "not now", "skip", "I'll send them later", "no pictures, sorry",
			"can't send photos", "no tengo fotos", "sin fotos", "no puedo", "luego", "más tarde", "ahora no", "luego te las mando",
			"sem fotos", "keine Fotos", "pas de photos", "geen foto's",
		},
		intent.GoAhead: {
			"I changed my mind", "ok let's do it", "let's do it", "actually I accept", "I accept", "go ahead", "I'd like to accept",
			"I want to go ahead", "he cambiado de opinión", "vale, lo hacemos", "acepto", "adelante", "lo acepto",
			"quiero aceptar el presupuesto", "mudei de ideia", "ich nehme das Angebot an", "j'ai changé d'avis", "ik ga akkoord",
		},
		intent.None: {
			"40", "about 40 m2", "I do know", "I don't accept", "no acepto", "I don't want to go ahead", "if I can't send photos what then?",
			"do you accept cards?", "the photos are blurry", "Ana Lima", "I know exactly: 40 m2", "sé que son 40", "painting", "yes",
		},
	} {
		for _, text := range texts {
			if got := a.Read(text); got != want {
				t.Errorf("%q: read %q, want %q", text, got, want)
			}
		}
	}
}

// TestIsQuestion tells questions from answers.
func TestIsQuestion(t *testing.T) {
	for text, want := range map[string]bool{
		"how much roughly?": true, "do you work weekends": true, "¿trabajan los fines de semana?": true, "cuánto cuesta": true,
		"wie lange dauert das": true, "combien ça coûte": true, "hoeveel kost het": true, "is it expensive": true, "what about gutters?": true,
		"Ana Lima": false, "40": false, "Hay que pintar el salón": false, "how": false, "The roof leaks": false, "Some tiles slipped.": false,
	} {
		if got := intent.IsQuestion(text); got != want {
			t.Errorf("%q: question %v, want %v", text, got, want)
		}
	}
}

// TestDetectCorpus reads the language of the intent corpus's messages:
// among all six languages, and among English and Spanish only (what the
// shipped flows speak). A message too short to tell is no answer; a wrong
// language is worse (the customer is answered in it), so the test holds
// wrong answers under 5% and prints the figures.
func TestDetectCorpus(t *testing.T) {
	samples := loadCorpus(t)
	for _, langs := range [][]string{nil, {"en", "es"}} {
		right, wrong, none, n := 0, 0, 0, 0
		var misses []string
		for _, s := range samples {
			if langs != nil && s.lang != "en" && s.lang != "es" {
				continue
			}
			n++
			switch got := intent.Detect(s.text, langs); got {
			case s.lang:
				right++
			case "":
				none++
			default:
				wrong++
				misses = append(misses, fmt.Sprintf("%s read as %s: %q", s.lang, got, s.text))
			}
		}
		name := "all six"
		if langs != nil {
			name = "en and es"
		}
		t.Logf("%s: %d messages: %d right (%.1f%%), %d too short to tell (%.1f%%), %d wrong (%.1f%%)", name, n, right, pct(right, n), none, pct(none, n), wrong, pct(wrong, n))
		for _, m := range misses {
			t.Log("  " + m)
		}
		if pct(wrong, n) >= 5 {
			t.Errorf("%s: %.1f%% of messages read in the wrong language", name, pct(wrong, n))
		}
	}
}

func pct(a, b int) float64 { return 100 * float64(a) / float64(b) }
