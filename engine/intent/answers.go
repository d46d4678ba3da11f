package intent

import "fmt"

// Answers are what a reply to the bot's question means beyond its words:
// "I don't know", "I have no photos", "ok, let's do it". They are not
// commands: the engine reads them only at the steps they answer (a size
// question, a photo request, a quote the customer declined), with the same
// folding and the same checks for negations, conditions and questions as
// the commands ("I do know", "if I can't send photos...", "do you accept
// cards?" are none of them).
const (
	DontKnow Intent = "dont_know" // the customer does not know the answer
	NoPhotos Intent = "no_photos" // no photos, can't send them, later
	GoAhead  Intent = "go_ahead"  // yes to a quote after all: "I changed my mind"
)

// AnswerIntents returns the answers Answers reads.
func AnswerIntents() []Intent { return []Intent{DontKnow, NoPhotos, GoAhead} }

// Answers reads answers. It is built once by NewAnswers and is safe for
// concurrent use.
type Answers struct{ m *Matcher }

// NewAnswers compiles the answer phrases of the chosen languages (all
// when empty), on each language's own polite words and negations.
func NewAnswers(languages []string) (*Answers, error) {
	if len(languages) == 0 {
		languages = Languages()
	}
	m := &Matcher{intents: AnswerIntents(), vocab: vocab{}, phrases: newTrie(1 << 12), polite: newTrie(256)}
	for _, code := range languages {
		base, ok := phraseSetOf(code)
		if !ok {
			return nil, fmt.Errorf("intent: no phrase set for language %q (have %v)", code, Languages())
		}
		set := base
		set.alone, set.within = answerPhrases(code)
		set.polite = append(append([]string(nil), base.polite...), answerPolite(code)...)
		if err := m.load(set); err != nil {
			return nil, fmt.Errorf("intent: answer phrases %q: %w", code, err)
		}
		m.langs = append(m.langs, code)
	}
	return &Answers{m: m}, nil
}

// Read returns what an answer means, or None. Only a confident reading
// counts: a phrase that is the message (give or take polite words) or a
// clear part of it.
func (a *Answers) Read(text string) Intent {
	r, _ := a.m.match(text)
	if r.Confidence < 0.7 {
		return None
	}
	return r.Intent
}

// answerPolite are words around an answer that do not change it.
func answerPolite(code string) []string {
	switch code {
	case "en":
		return []string{"sorry", "i m afraid", "honestly", "to be honest", "tbh", "really", "at the moment", "right now", "unfortunately", "mate"}
	case "es":
		return []string{"perdón", "perdona", "lo siento", "la verdad", "de momento", "por ahora", "sinceramente", "lamentablemente"}
	case "pt":
		return []string{"desculpe", "desculpa", "infelizmente"}
	case "de":
		return []string{"sorry", "leider", "entschuldigung", "ehrlich gesagt"}
	case "fr":
		return []string{"désolé", "désolée", "malheureusement"}
	case "nl":
		return []string{"sorry", "helaas", "eerlijk gezegd"}
	}
	return nil
}

// answerPhrases are one language's answer phrases: alone (the whole
// message) and within (anywhere in it).
func answerPhrases(code string) (alone, within map[Intent][]string) {
	switch code {
	case "en":
		return map[Intent][]string{
				DontKnow: {"[i] (don't|dont|do not) know", "[i] (don't|dont|do not) know [exactly|really|sorry]", "dunno", "idk", "[i have] no idea", "[i'm|im|i am] not sure", "[i have] no clue", "unsure", "not a clue", "(can't|cant|cannot) say", "[i'm|im|i am] not certain"},
				NoPhotos: {"no", "nope", "later", "not now", "skip", "no photos", "no pictures", "none", "no camera", "(can't|cant|cannot)", "[i] (can't|cant|cannot) [right now|now]"},
				GoAhead:  {"accept", "[i] accept [it|the quote]", "go ahead", "let's go", "deal", "book it"},
			}, map[Intent][]string{
				DontKnow: {
					"(don't|dont|do not) know (the|how|what|exactly|its|it s) [exact] (size|area|big|large|much|many|measurements|dimensions)",
					"no idea (how|what) (big|large|much|many)", "no idea (of|about) the (size|area|measurements)",
					"not sure (how|what|about the) (big|large|size|area|much|many|measurements)",
					"(haven't|havent|have not|never) measured [it]", "(can't|cant|cannot) measure [it]",
				},
				NoPhotos: {
					"no (photos|photo|pictures|picture|pics|pic|images)",
					"(don't|dont|do not) have [any] (photos|photo|pictures|picture|pics|a camera|images)",
					"(i have no|haven't got|havent got|haven't|havent|have not) [got] [any] (photos|photo|pictures|picture|pics|a camera|images)",
					"(can't|cant|cannot|unable to|not able to) (send|take|upload|do) [any] (photos|photo|pictures|picture|pics|one|them|it)",
					"(send|upload) (them|photos|pictures|it|one) later", "later on", "maybe later",
					"(skip|without) [the] (photos|pictures|pics)", "not at the (house|property|site)", "(no|not) (near|at) the (house|property|site)",
				},
				GoAhead: {
					"[i] (changed|change|have changed|ve changed) my mind",
					"let's do it", "lets do it", "let's go ahead", "lets go ahead", "(ok|okay) let's (do it|go)",
					"i'll (take|accept) it", "i will (take|accept) it", "[i] accept the quote", "i (do|will) accept",
					"[i] (want|would like|d like|wanna) to (accept|go ahead|book)", "(go|going) ahead with [it|the quote|the job]",
					"(yes|ok|okay) [please] (go ahead|book it|let's do it)", "actually i accept", "accept [it] after all",
				},
			}
	case "es":
		return map[Intent][]string{
				DontKnow: {"no (lo sé|lo se|sé|se)", "no (lo sé|lo se|sé|se) (exactamente|bien)", "ni idea", "no tengo (ni idea|idea)", "no estoy (seguro|segura)", "no sabría decir[te|le]", "ni zorra", "no tengo claro"},
				NoPhotos: {"no", "luego", "después", "más tarde", "ahora no", "sin fotos", "no tengo fotos", "no tengo", "no puedo", "paso", "ninguna"},
				GoAhead:  {"acepto", "aceptar", "adelante", "vale adelante", "trato hecho", "hagámoslo", "hagamoslo"},
			}, map[Intent][]string{
				DontKnow: {
					"no (lo sé|lo se|sé|se) (cuánto|cuántos|cuántas|cuanto|cuantos|la superficie|los metros|el tamaño|las medidas)",
					"ni idea de (la superficie|los metros|cuánto|cuantos|cuántos|las medidas)",
					"no (lo he|he) medido", "no (puedo|sé) medir[lo]",
				},
				NoPhotos: {
					"no tengo (fotos|foto|imágenes|cámara)", "sin (fotos|foto|imágenes)",
					"no (puedo|podré|sé) (enviar|mandar|hacer|sacar|subir) [las] (fotos|foto|ninguna)",
					"(luego|después|más tarde) (las|te las|os las|se las) (envío|mando|paso)", "más tarde", "no estoy en (casa|la casa|la obra)",
				},
				GoAhead: {
					"(he cambiado|cambié|cambie) de (opinión|opinion|idea)",
					"(vale|ok|bueno|venga) (lo hacemos|hagámoslo|adelante|vamos)", "lo hacemos", "vamos a hacerlo",
					"[sí] (acepto|aceptamos) [el presupuesto]", "lo acepto", "(quiero|queremos|quisiera) (aceptar|aceptarlo|seguir adelante)", "seguimos adelante", "me lo quedo",
				},
			}
	case "pt":
		return map[Intent][]string{
				DontKnow: {"não sei", "nao sei", "não faço ideia", "nao faco ideia", "não tenho certeza", "sei lá"},
				NoPhotos: {"não", "depois", "mais tarde", "agora não", "sem fotos", "não tenho fotos", "não posso"},
				GoAhead:  {"aceito", "pode avançar", "vamos em frente"},
			}, map[Intent][]string{
				NoPhotos: {"não tenho (fotos|foto)", "sem (fotos|foto)", "não (posso|consigo) (enviar|mandar|tirar) [as] (fotos|foto)"},
				GoAhead:  {"mudei de (ideia|opinião)", "[eu] aceito o orçamento", "vamos (fazer|em frente)"},
			}
	case "de":
		return map[Intent][]string{
				DontKnow: {"weiß nicht", "weiss nicht", "ich weiß [es] nicht", "keine ahnung", "nicht sicher", "ich bin [mir] nicht sicher"},
				NoPhotos: {"nein", "später", "jetzt nicht", "keine fotos", "ohne fotos", "kann ich nicht"},
				GoAhead:  {"ich nehme an", "angenommen", "machen wir"},
			}, map[Intent][]string{
				NoPhotos: {"keine (fotos|bilder)", "ohne (fotos|bilder)", "(kann|könnte) [keine] (fotos|bilder) (schicken|senden|machen)"},
				GoAhead:  {"(ich habe es mir anders überlegt|es mir anders überlegt)", "ich nehme das angebot an", "lass es uns machen"},
			}
	case "fr":
		return map[Intent][]string{
				DontKnow: {"je [ne] sais pas", "sais pas", "aucune idée", "pas sûr", "pas sure", "je ne suis pas (sûr|sure)"},
				NoPhotos: {"non", "plus tard", "pas maintenant", "pas de photos", "sans photos"},
				GoAhead:  {"j'accepte", "allons-y", "c'est d'accord"},
			}, map[Intent][]string{
				NoPhotos: {"pas de (photos|photo)", "sans (photos|photo)", "(je ne peux pas|impossible d') (envoyer|prendre) [des] (photos|photo)"},
				GoAhead:  {"j'ai changé d'avis", "j'accepte le devis", "on y va"},
			}
	case "nl":
		return map[Intent][]string{
				DontKnow: {"weet ik niet", "ik weet het niet", "geen idee", "niet zeker"},
				NoPhotos: {"nee", "later", "nu niet", "geen foto's", "zonder foto's"},
				GoAhead:  {"ik accepteer", "akkoord", "doen we"},
			}, map[Intent][]string{
				NoPhotos: {"geen (foto's|fotos|foto)", "zonder (foto's|fotos)", "kan geen (foto's|fotos|foto) (sturen|maken)"},
				GoAhead:  {"ik ben van gedachten veranderd", "ik ga akkoord", "laten we het doen"},
			}
	}
	return nil, nil
}
