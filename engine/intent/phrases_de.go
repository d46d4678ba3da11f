package intent

func german() phraseSet {
	return phraseSet{
		lang: "de",
		name: "Deutsch",
		names: []langName{
			{"englisch", "en"}, {"spanisch", "es"}, {"portugiesisch", "pt"}, {"deutsch", "de"},
			{"französisch", "fr"}, {"niederländisch", "nl"}, {"holländisch", "nl"},
		},
		polite: []string{
			"bitte", "bitteschön", "danke", "danke schön", "vielen dank", "hallo", "guten tag", "moin", "ok", "okay", "gerne",
			"ich möchte", "ich will", "ich würde gerne", "ich hätte gerne", "ich hätte gern", "ich brauche",
			"können sie", "kann ich", "könnte ich", "dürfte ich", "können wir", "könnten wir", "kannst du",
			"jetzt", "sofort", "mal", "doch", "ja",
		},
		negate: []string{"nicht", "nie", "niemals", "kein", "keine", "keinen", "keiner", "ohne", "vielleicht"},
		after:  []string{"nicht", "nie", "niemals"},
		cond:   []string{"wenn", "falls", "ob"},
		link:   []string{"dass"},
		alone: map[Intent][]string{
			OptOut:   {"stopp", "stop", "aufhören", "hör auf", "hören sie auf", "abmelden", "abbestellen", "austragen", "schluss"},
			OptIn:    {"anmelden", "wieder anmelden", "start"},
			Human:    {"[ein|einen] (mensch|menschen|mitarbeiter|berater)", "[einen] echten menschen", "[ein] echter mensch", "[eine] echte person", "(kundenservice|kundendienst)"},
			MyData:   {"meine [persönlichen] daten", "datenauskunft"},
			Erase:    {"löschen sie mich", "(löschung|datenlöschung)"},
			Restart:  {"[nochmal|noch einmal] von vorne [anfangen|beginnen]", "neu (starten|anfangen|beginnen)", "neustart", "zurück zum (start|anfang|hauptmenü|menü)", "hauptmenü"},
			Language: {"{lang}", "auf {lang}"},
		},
		within: map[Intent][]string{
			OptOut: {
				"(hören sie|hör|hört) auf (mir|uns) [nachrichten] zu (schreiben|schicken)",
				"keine (nachrichten|weiteren nachrichten) mehr",
				"(schreiben|schicken|senden) sie mir (nicht mehr|keine nachrichten mehr|nichts mehr)",
				"(schreib|schreibt) mir nicht mehr",
				"mich (abmelden|austragen)",
				"(lassen sie|lass|lasst) mich in ruhe",
				"(nehmen sie|nimm|nehmt|streichen sie|entfernen sie|löschen sie) mich (aus|von) (der|ihrer|eurer) (liste|verteilerliste|kontaktliste)",
				"keine weiteren nachrichten",
			},
			OptIn: {
				"wieder [ihre] nachrichten (bekommen|erhalten|empfangen)",
				"[mich] (wieder|erneut) anmelden",
			},
			Human: {
				"mit (einem|einer|jemandem) [echten|richtigen] (menschen|mensch|mitarbeiter|mitarbeiterin|berater|beraterin|person|kundenberater|ansprechpartner) (sprechen|reden|telefonieren|chatten)",
				"mit jemandem (aus dem team|von ihnen|vom team|aus ihrem team|von der firma|aus der firma) (sprechen|reden)",
				"(einen|einem) (echten|richtigen) menschen", "echte person",
				"(verbinden sie mich|verbinde mich) mit (einem|einer|dem) (mitarbeiter|mitarbeiterin|menschen|kundenservice)",
			},
			MyData: {
				"(welche|was für) daten (haben sie|habt ihr|hast du|speichern sie|speichert ihr) (über mich|von mir)",
				"(kopie|auskunft) (meiner|über meine) [persönlichen] daten",
				"(schicken sie|senden sie|schick|schickt) mir meine [persönlichen] daten",
				"was wissen sie über mich",
			},
			Erase: {
				"[alle] meine [persönlichen] daten (löschen|entfernen)",
				"(löschen sie|entfernen sie|lösch|löscht|lösche) [bitte] [alle] meine [persönlichen] daten",
				"(vergessen sie mich|vergesst mich|vergiss mich)",
				"recht auf (vergessenwerden|vergessen werden|löschung)",
			},
			WithdrawConsent: {
				"(widerrufe|widerrufen) [ich] (meine|die) (einwilligung|zustimmung)",
				"(einwilligung|zustimmung) (widerrufen|zurückziehen)",
				"(ziehe|ziehen) [ich] (meine|die) (einwilligung|zustimmung) zurück",
			},
			NoMarketing: {
				// Not "keine Angebote" alone: an Angebot is also the quote
				// the customer waits for ("ich habe noch keine Angebote").
				"keine (werbung|werbeangebote|sonderangebote|newsletter|werbenachrichten|werbemails|reklame|werbe nachrichten)",
				"(schicken sie|senden sie|schick|schickt) mir keine [weiteren] angebote",
			},
			Language: {
				"(sprechen sie|sprichst du|sprecht ihr|können sie|kannst du) {lang}",
				"(schreiben|sprechen|antworten|schreib|sprich|antworte|reden) [sie] [mir|mit mir] [bitte] auf {lang}",
			},
		},
	}
}
