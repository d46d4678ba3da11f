package intent

func spanish() phraseSet {
	return phraseSet{
		lang: "es",
		name: "Español",
		names: []langName{
			{"inglés", "en"}, {"español", "es"}, {"castellano", "es"}, {"portugués", "pt"},
			{"alemán", "de"}, {"francés", "fr"}, {"holandés", "nl"}, {"neerlandés", "nl"},
		},
		polite: []string{
			"por favor", "porfa", "porfavor", "xfa", "plis", "gracias", "muchas gracias", "hola", "buenas", "buenos dias", "buenas tardes",
			"ok", "vale", "ya", "oye", "solo", "ahora", "ahora mismo", "ya mismo", "si", "señor", "señora",
			"quiero", "quisiera", "me gustaria", "necesito", "deseo", "puedo", "podria", "puede", "puedes", "pueden", "podeis", "podrias", "podrian", "podemos", "podriamos",
			"como puedo", "como hago para",
		},
		negate: []string{"no", "nunca", "jamás", "ni", "tampoco", "sin", "quizás", "quizá", "tal vez"},
		cond:   []string{"si"},
		link:   []string{"que"},
		alone: map[Intent][]string{
			OptOut:   {"basta", "ya basta", "para", "pare", "paren", "parar", "alto", "baja", "de baja", "dar de baja", "darme de baja", "desuscribir", "desuscribirme", "no molestar"},
			OptIn:    {"alta", "darme de alta", "suscribirme", "suscribirme de nuevo"},
			Human:    {"[una] persona [real]", "[un] (humano|agente|asesor|operador|ser humano)", "atención al cliente"},
			MyData:   {"mis datos [personales]", "mi información [personal]"},
			Erase:    {"bórrame", "bórrenme", "elimínenme"},
			Restart:  {"(empezar|comenzar|empecemos) (de nuevo|otra vez|de cero|desde cero|desde el principio)", "volver a empezar", "reiniciar", "reinicio", "desde el principio", "desde cero", "[volver al] menú [principal]", "al menú principal", "otra vez desde el principio"},
			Language: {"{lang}", "en {lang}"},
		},
		within: map[Intent][]string{
			OptOut: {
				"(deja|dejen|dejad|deje|para|paren|parad|pare) de (escribirme|enviarme|mandarme|contactarme|molestarme|llamarme|enviar mensajes|mandar mensajes) [mensajes|más mensajes]",
				"no me (escribas|escriban|escribáis|envíes|envíen|mandes|manden|contactes|contacten|molesten|molestes) (más|nunca más)",
				"no quiero recibir [más] [sus|tus|vuestros|estos] mensajes",
				"ya no me (escribas|escriban|envíes|envíen|mandes|manden|contactes|contacten|molesten)",
				"(darme|dar|darse) de baja",
				"(bórrenme|bórrame|sácame|sáquenme|sacadme|quítenme|quítame|quitadme|elimínenme|elimíname) de (la|su|vuestra|tu) lista [de contactos|de difusión]",
				"(déjenme|déjame|dejadme) en paz",
				"no más mensajes",
			},
			OptIn: {
				"(volver a|quiero volver a) recibir [sus|tus|vuestros] mensajes",
				"recibir [sus|tus|vuestros] mensajes (de nuevo|otra vez)",
				"darme de alta [otra vez|de nuevo]",
				"suscribirme (de nuevo|otra vez)",
			},
			Human: {
				"hablar con (una persona|un humano|un agente|un asesor|un operador|un ser humano|una persona real|alguien de verdad|alguien real|alguien del equipo|alguien de la empresa|un empleado|un responsable|atención al cliente)",
				"(pásame|páseme|pásenme|me pasas|me pasa|me pasan|comunícame|comuníqueme|ponme|póngame) con (una persona|un humano|un agente|un asesor|alguien|un operador)",
				"(una persona|alguien) de verdad", "persona real",
			},
			MyData: {
				"qué datos (tienen|tienes|tenéis|guardan|guardáis|guardas) (sobre|de) mí",
				"copia de (mis|todos mis) datos",
				"(envíame|envíenme|mándame|mándenme|dame|denme|enviadme) (mis|todos mis) datos [personales]",
				"(ver|consultar|acceder a) mis datos", "acceso a mis datos",
				"qué (saben|sabéis|sabes) (de|sobre) mí",
			},
			Erase: {
				"(borrar|borra|borren|borrad|borre|eliminar|elimina|eliminen|eliminad|elimine|suprimir|suprime|supriman|suprimid) (mis|todos mis|toda mi) (datos|información|datos personales|información personal)",
				"(borrar|borren|eliminar|eliminen) mi cuenta",
				"(bórrenme|bórrame|elimínenme|elimíname) de (su|vuestra|tu) base de datos",
				"(olvídame|olvídenme|olvidadme)", "derecho al olvido", "derecho de supresión",
			},
			WithdrawConsent: {
				"(retiro|retirar|revoco|revocar|retira|retiramos|revocamos) (mi|el) consentimiento",
				"ya no (consiento|autorizo|doy mi consentimiento)",
			},
			NoMarketing: {
				"no quiero [recibir] (publicidad|promociones|ofertas|marketing|anuncios|propaganda)",
				"no me (manden|envíen|mandes|envíes|mandéis) (ofertas|promociones|publicidad|propaganda|anuncios)",
				"(nada de|sin|no más) (publicidad|promociones|ofertas|marketing|propaganda)",
			},
			Language: {
				"(habla|hablas|hablan|hable|háblame|háblenme|escríbeme|escríbanme|escribe|escriban|contesta|contesten|responde|respondan|seguimos|sigamos) en {lang}",
				"(hablas|habla|hablan|habláis) {lang}",
			},
		},
	}
}
