package engine

// fillNeverStuck fills the texts of the never-stuck and never-silent
// rules and of quotes in the customer's language from their defaults.
func fillNeverStuck(t *Texts, d Texts, fill func(*string, string)) {
	fill(&t.HandoffAck, d.HandoffAck)
	fill(&t.HandoffAckAgain, d.HandoffAckAgain)
	fill(&t.OptedOutNotice, d.OptedOutNotice)
	fill(&t.OptedOutNoticeAgain, d.OptedOutNoticeAgain)
	fill(&t.OptedInResume, d.OptedInResume)
	fill(&t.OfferPerson, d.OfferPerson)
	fill(&t.PersonDeclined, d.PersonDeclined)
	fill(&t.UnknownSkipped, d.UnknownSkipped)
	fill(&t.UnknownOffer, d.UnknownOffer)
	fill(&t.PrefillConfirm, d.PrefillConfirm)
	fill(&t.QuestionPassedOn, d.QuestionPassedOn)
	fill(&t.QuoteLapsed, d.QuoteLapsed)
	fill(&t.LanguageUnavailable, d.LanguageUnavailable)
	fill(&t.ChooseButton, d.ChooseButton)
	fill(&t.DoneWord, d.DoneWord)
	fill(&t.QuoteSubtotal, d.QuoteSubtotal)
	fill(&t.QuoteDiscount, d.QuoteDiscount)
	fill(&t.QuoteTax, d.QuoteTax)
	fill(&t.QuoteTotal, d.QuoteTotal)
	fill(&t.QuoteValidUntil, d.QuoteValidUntil)
	fill(&t.QuoteGoAhead, d.QuoteGoAhead)
}

// spanishTexts is the engine's wording in Spanish. A translation's
// engine: section overrides any of them.
func spanishTexts() Texts {
	return Texts{
		OptedOut:         "Te has dado de baja y no volverás a recibir mensajes nuestros. Si cambias de opinión, envía START.",
		OptedIn:          "¡Bienvenido de nuevo! Vuelves a estar suscrito.",
		WelcomeBack:      "¡Hola de nuevo, {{ contact.first_name | default \"amigo\" }}! Ha pasado un tiempo, así que empecemos tu solicitud desde el principio.",
		Handoff:          "Claro, una persona de nuestro equipo te responderá aquí en breve.",
		Released:         "¡Gracias por tu paciencia! Nuestro asistente ha vuelto. Envía cualquier mensaje para seguir.",
		LoopGuard:        "Lo sentimos, algo ha fallado por nuestra parte. Una persona de nuestro equipo se encargará a partir de aquí.",
		Unsupported:      "Lo siento, solo puedo leer mensajes de texto y fotos. ¿Puedes enviarlo como texto o como foto?",
		ChoiceInvalid:    "Perdona, no lo he entendido. Elige una de las opciones (también puedes responder con su número).",
		PhotoReceived:    "Recibida, foto {{ count }} de {{ max }} como máximo. Envía más, o escribe *{{ done }}* cuando termines.",
		PhotosNeedMore:   "Necesito al menos {{ min }} foto(s) para seguir. Envía una foto, por favor.",
		PhotosReminder:   "Envía una foto, por favor (o escribe *{{ done }}* cuando las hayas enviado todas).",
		PhotoFailed:      "Lo siento, esa foto no ha llegado bien. ¿Puedes enviarla otra vez?",
		PhotoEarly:       "¡Gracias por la foto! Te pediré las fotos en un momento. Primero:",
		StaleButton:      "Ese botón es de un mensaje anterior. Escribe tu respuesta a este, por favor:",
		AgentHint:        "Si prefieres hablar con una persona, envía *AGENTE*.",
		Greeted:          "¡Hola de nuevo! 👋 Aquí es donde estábamos:",
		QuoteExpired:     "Lo siento, este presupuesto era válido hasta el {{ valid_until }} y ha caducado, así que no puedo reservar ese precio.",
		QuoteQuestion:    "¡Buena pregunta! Una persona de nuestro equipo te responderá aquí en breve. Tu presupuesto sigue abierto mientras tanto.",
		StepFailed:       "Lo siento, no he podido calcularlo automáticamente. Una persona de nuestro equipo te escribirá aquí.",
		ExtractConfirm:   "He leído *{{ value }}* para {{ field }}. ¿Es correcto?",
		ExtractAskValue:  "Sin problema. ¿Cuál es el valor correcto para {{ field }}?",
		QuantityCheck:    "Solo para confirmar: ¿{{ value }}? Responde sí, o envía la medida correcta.",
		QuantityRange:    "¿Qué número uso: {{ low }} o {{ high }}? Envía un solo número, por favor.",
		AcceptTitle:      "Aceptar",
		DeclineTitle:     "Rechazar",
		ConsentAccept:    "Sí, acepto",
		ConsentDecline:   "No, gracias",
		YesTitle:         "Sí",
		NoTitle:          "No",
		MyDataConfirm:    "Has pedido una copia de los datos que tenemos sobre ti. ¿Te la envío aquí como archivo?",
		MyDataSent:       "Aquí tienes todo lo que guardamos sobre ti.",
		EraseConfirm:     "Has pedido que borremos tus datos. Esto elimina para siempre tus datos, mensajes y fotos (los registros que la ley nos obliga a conservar se quedan, sin tus datos personales). ¿Lo borramos todo?",
		Erased:           "Hecho: tus datos se han borrado. Si vuelves a escribirnos, empezaremos de cero.",
		RightsCancelled:  "De acuerdo, no se ha cambiado nada.",
		ExportCancelled:  "De acuerdo, no lo envío.",
		RightsByHuman:    "Gracias, una persona de nuestro equipo se ocupará de tu solicitud personalmente.",
		ConsentWithdrawn: "Has retirado tu consentimiento y hemos dejado de tratar tus datos. Si vuelves a escribirnos, te preguntaremos antes de guardar nada.",
		NoMarketing:      "Anotado: no te enviaremos ofertas ni publicidad. Solo te escribiremos sobre tu solicitud.",
		LanguageNoted:    "¡Claro! A partir de ahora te escribo en español.",
		QuoteHeld:        "¡Gracias! Una persona de nuestro equipo está revisando tu presupuesto y te lo enviará aquí en breve.",
		QuoteHeldWait:    "Nuestro equipo sigue revisando tu presupuesto. Te lo enviaremos aquí en breve.",
		QuoteRevised:     "Hemos actualizado tu presupuesto (revisión {{ revision }}). Sustituye al anterior.",
		QuoteReplaced:    "Ese presupuesto se ha sustituido por el actualizado de arriba.",
		QuoteReplacedAsk: "¿Quieres seguir adelante con el presupuesto actualizado?",

		HandoffAck:          "¡Gracias! Tu mensaje le ha llegado a {{ config.business_name }}; te responderán aquí.",
		HandoffAckAgain:     "{{ config.business_name }} tiene todos tus mensajes y te responderá aquí en cuanto pueda.",
		OptedOutNotice:      "Te has dado de baja de {{ config.business_name }}, así que no te escribiremos. Para volver a recibir mensajes, envía START.",
		OptedOutNoticeAgain: "Sigues dado de baja. Envía START cuando quieras para seguir donde lo dejaste.",
		OptedInResume:       "¡Bienvenido de nuevo! Vuelves a estar suscrito. Aquí es donde estábamos:",
		OfferPerson:         "Perdona, no lo estoy entendiendo bien. ¿Quieres que una persona de {{ config.business_name }} te ayude aquí?",
		PersonDeclined:      "De acuerdo, intentémoslo otra vez.",
		UnknownSkipped:      "Sin problema, lo dejamos en blanco.",
		UnknownOffer:        "Sin problema. ¿Quieres que una persona de {{ config.business_name }} te ayude con esto?",
		PrefillConfirm:      "Solo para confirmar: *{{ value }}*, ¿verdad?",
		QuestionPassedOn:    "¡Buena pregunta! Se la he pasado al equipo y te responderán aquí. Mientras tanto:",
		QuoteLapsed:         "Lo siento, ese presupuesto era válido hasta el {{ valid_until }} y ha caducado. Una persona de nuestro equipo te enviará uno actualizado aquí.",
		LanguageUnavailable: "Lo siento, de momento solo puedo escribir en {{ languages }}. He anotado que prefieres {{ language }}.",
		ChooseButton:        "Elegir",
		DoneWord:            "listo",
		QuoteSubtotal:       "Subtotal",
		QuoteDiscount:       "Descuento",
		QuoteTax:            "IVA ({{ rate }} %)",
		QuoteTotal:          "Total",
		QuoteValidUntil:     "Válido hasta el {{ date }}.",
		QuoteGoAhead:        "¿Quieres seguir adelante con este presupuesto?",

		AnswerMedia:   "Lo siento, aquí no puedo abrir mensajes de voz ni archivos adjuntos. ¿Puedes escribir tu respuesta?",
		ChoiceOther:   "Perdona, no lo he entendido. Elige una de las opciones. Si no es ninguna, o es más de una, elige *{{ other }}*.",
		QuoteEmoji:    "Solo para asegurarnos: ¿aceptas el presupuesto de *{{ total }}*? Responde *sí* o pulsa *{{ accept }}*.",
		AfterEnd:      "¡Gracias por tu mensaje! Una persona de nuestro equipo tiene tu solicitud y te escribirá aquí. Para pedir un presupuesto para otro trabajo, envía *nuevo presupuesto*.",
		AfterEndAgain: "{{ config.business_name }} tiene tus mensajes y te responderá aquí. Para pedir un presupuesto para otro trabajo, envía *nuevo presupuesto*.",
	}
}
