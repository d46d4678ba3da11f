package intent

func dutch() phraseSet {
	return phraseSet{
		lang: "nl",
		name: "Nederlands",
		names: []langName{
			{"engels", "en"}, {"spaans", "es"}, {"portugees", "pt"}, {"duits", "de"},
			{"frans", "fr"}, {"nederlands", "nl"}, {"hollands", "nl"}, {"vlaams", "nl"},
		},
		polite: []string{
			"alsjeblieft", "alstublieft", "aub", "graag", "dank je", "dank u", "bedankt", "dankjewel", "hoi", "hallo", "hey", "oke", "ok",
			"ik wil", "ik wil graag", "ik zou graag", "kan ik", "mag ik", "kunnen we", "kunt u", "kun je", "nu", "even", "gewoon", "ja",
		},
		negate: []string{"niet", "nooit", "geen", "zonder", "misschien"},
		after:  []string{"niet", "nooit"},
		cond:   []string{"als", "indien"},
		link:   []string{"dat"},
		alone: map[Intent][]string{
			OptOut:   {"stop", "stoppen", "afmelden", "uitschrijven", "hou op", "houd op", "stop ermee", "genoeg"},
			OptIn:    {"aanmelden", "weer aanmelden", "inschrijven"},
			Human:    {"[een] (medewerker|mens|echt persoon|echte persoon|medewerkster)", "klantenservice"},
			MyData:   {"mijn (gegevens|persoonsgegevens|persoonlijke gegevens)"},
			Erase:    {"verwijder mij", "wis mij"},
			Restart:  {"[helemaal] opnieuw [beginnen|starten]", "begin opnieuw", "herstarten", "terug naar het (begin|hoofdmenu|menu)", "hoofdmenu", "vanaf het begin"},
			Language: {"{lang}", "in het {lang}"},
		},
		within: map[Intent][]string{
			OptOut: {
				"stop met [me|mij] (berichten|appen|mailen|sturen|berichten sturen|appjes sturen)",
				"stuur (me|mij) geen (berichten|appjes|whatsapps) meer",
				"(me|mij) (afmelden|uitschrijven)", "schrijf (me|mij) uit", "meld (me|mij) af",
				"(haal|verwijder) (me|mij) (van|uit) (de|jullie|uw|je) (lijst|verzendlijst|mailinglijst)",
				"laat (me|mij) met rust",
				"geen berichten meer",
			},
			OptIn: {
				"(weer|opnieuw) berichten ontvangen",
				"(weer|opnieuw) aanmelden",
				"meld (me|mij) (weer|opnieuw) aan",
			},
			Human: {
				"met (een|iemand) [echte|echt] (mens|medewerker|persoon|medewerkster|adviseur) (praten|spreken|chatten)",
				"met iemand van (het team|jullie|de klantenservice|het bedrijf) (praten|spreken)",
				"(een|de) (medewerker|medewerkster) spreken",
				"verbind (me|mij) (met|door met|door naar) (een medewerker|de klantenservice|een mens|iemand)",
				"(echt|echte) persoon",
			},
			MyData: {
				"welke gegevens (hebben jullie|heeft u|hebt u|bewaren jullie|bewaart u) (van|over) (mij|me)",
				"kopie van (mijn|al mijn) (gegevens|persoonsgegevens)",
				"stuur (me|mij) (mijn|al mijn) (gegevens|persoonsgegevens)",
				"inzage in mijn (gegevens|persoonsgegevens)", "mijn (gegevens|persoonsgegevens) inzien",
				"wat weten jullie over (mij|me)",
			},
			Erase: {
				"(verwijder|verwijderen|wis|wissen) (mijn|al mijn) (gegevens|persoonsgegevens|data|account)",
				"(mijn|al mijn) (gegevens|persoonsgegevens) (verwijderen|wissen)",
				"(mijn|al mijn) (gegevens|persoonsgegevens) (gewist|verwijderd) (worden|laten)",
				"vergeet (mij|me)",
				"recht om vergeten te worden", "recht op vergetelheid",
			},
			WithdrawConsent: {
				"(trek|trekken) [ik] (mijn|de) toestemming in",
				"[mijn|de] toestemming intrekken",
			},
			NoMarketing: {
				"geen (reclame|aanbiedingen|promoties|marketing|nieuwsbrief|nieuwsbrieven|advertenties)",
			},
			Language: {
				"(spreekt u|spreek je|praat je|kunt u|kun je) {lang}",
				"(praat|spreek|schrijf|antwoord) [met] [me|mij] in het {lang}",
			},
		},
	}
}
