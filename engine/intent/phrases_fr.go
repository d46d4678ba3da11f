package intent

func french() phraseSet {
	return phraseSet{
		lang: "fr",
		name: "Français",
		names: []langName{
			{"anglais", "en"}, {"espagnol", "es"}, {"castillan", "es"}, {"portugais", "pt"},
			{"allemand", "de"}, {"français", "fr"}, {"néerlandais", "nl"}, {"hollandais", "nl"}, {"flamand", "nl"},
		},
		polite: []string{
			"s'il vous plaît", "s'il te plaît", "svp", "stp", "merci", "merci beaucoup", "bonjour", "bonsoir", "salut", "ok", "d'accord", "oui",
			"je voudrais", "je veux", "j'aimerais", "je souhaite", "puis-je", "pourriez-vous", "pouvez-vous", "est-ce que je peux",
			"est-ce que", "on peut", "peut-on", "maintenant", "juste", "tout de suite", "monsieur", "madame",
		},
		negate: []string{"ne", "n", "pas", "jamais", "sans", "aucun", "aucune", "peut-être"},
		after:  []string{"pas", "jamais"},
		cond:   []string{"si"},
		link:   []string{"que", "qu"},
		alone: map[Intent][]string{
			OptOut:   {"arrêtez", "arrête", "stop", "stoppez", "désabonner", "désabonnement", "désinscription", "se désabonner", "me désabonner", "ça suffit"},
			OptIn:    {"réabonner", "me réabonner", "réabonnement", "réinscription"},
			Human:    {"[un] (humain|conseiller|agent|opérateur|vrai humain|être humain)", "une (personne|conseillère|vraie personne)", "service client"},
			MyData:   {"mes données [personnelles]", "mes informations"},
			Erase:    {"effacez-moi", "supprimez-moi"},
			Restart:  {"recommencer", "on recommence", "[reprendre|recommencer] (depuis le|du|au) début", "revenir au début", "retour au début", "[retour au|revenir au] menu [principal]", "redémarrer", "(reprendre|recommencer) à zéro"},
			Language: {"{lang}", "en {lang}"},
		},
		within: map[Intent][]string{
			OptOut: {
				"(arrêtez|arrête|cessez|cesse) de m'(envoyer|écrire|contacter|harceler|déranger) [des messages]",
				"ne m'(écrivez|envoyez|contactez|écris|envoie) plus [de messages]",
				"me (désabonner|désinscrire)", "(désabonnez|désinscrivez)-moi",
				"ne (veux|souhaite) plus (recevoir [de|vos] [messages]|de messages|vos messages)",
				"(laissez|laisse)-moi tranquille",
				"(retirez|supprimez|enlevez|rayez)-moi de (votre|la|vos) (liste|listes|liste de diffusion)",
				"plus de messages",
			},
			OptIn: {
				"recevoir (à nouveau|de nouveau) [vos|des] messages",
				"recevoir [vos|des] messages (à nouveau|de nouveau)",
				"(me réabonner|réabonnez-moi|me réinscrire|réinscrivez-moi)",
			},
			Human: {
				"parler (à|avec) (une personne|un humain|un conseiller|une conseillère|un agent|un opérateur|quelqu'un de l'équipe|quelqu'un de réel|un vrai humain|une vraie personne|un être humain|le service client|quelqu'un de chez vous)",
				"(passez-moi|passe-moi|mettez-moi en contact avec) (un|une) (agent|conseiller|conseillère|humain|personne|opérateur)",
				"(un vrai humain|une vraie personne)",
				"(je peux|puis-je|est-ce que je peux|je voudrais|je veux|j'aimerais) parler (à|avec) quelqu'un",
			},
			MyData: {
				"quelles données (avez-vous|vous avez|possédez-vous|détenez-vous|gardez-vous) (sur|de) moi",
				"copie (de|des) (mes|toutes mes) données",
				"(envoyez-moi|envoie-moi|donnez-moi|transmettez-moi) (mes|toutes mes) données [personnelles]",
				"accès à mes données", "(voir|consulter) mes données",
				"que savez-vous (sur|de) moi",
			},
			Erase: {
				"(supprimez|supprimer|supprimiez|supprime|effacez|effacer|effaciez|efface) (mes|toutes mes) (données|informations|coordonnées|données personnelles|informations personnelles)",
				"(mes|toutes mes) (données|informations) (soient|soit) (supprimées|effacées)",
				"(oubliez|oublie)-moi", "droit à l'oubli", "droit à l'effacement",
				"(effacez|supprimez)-moi de (vos|votre) (fichiers|fichier|base|base de données|système)",
				"m'(effacer|effacez|effaciez|supprimer|supprimiez)",
			},
			WithdrawConsent: {
				"(retire|retirer|révoque|révoquer|retirez) (mon|le) consentement",
			},
			NoMarketing: {
				"pas de (publicité|publicités|pub|promotions|promos|offres|marketing|newsletter)",
				"ne m'envoyez (pas|plus) (d'offres|de promotions|de publicité|de pub)",
				"ne veux (pas|plus) de (promotions|publicité|pub|offres|marketing)",
			},
			Language: {
				"(parlez-vous|vous parlez|tu parles|parles-tu|parlez) {lang}",
				"(écrivez|écrivez-moi|répondez|répondez-moi|parlez-moi|écris-moi|parle-moi|parlez|continuons) en {lang}",
			},
		},
	}
}
