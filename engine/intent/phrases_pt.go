package intent

func portuguese() phraseSet {
	return phraseSet{
		lang: "pt",
		name: "Português",
		names: []langName{
			{"inglês", "en"}, {"espanhol", "es"}, {"castelhano", "es"}, {"português", "pt"},
			{"alemão", "de"}, {"francês", "fr"}, {"holandês", "nl"}, {"neerlandês", "nl"},
		},
		polite: []string{
			"por favor", "pf", "pfv", "pfvr", "obrigado", "obrigada", "valeu", "olá", "oi", "bom dia", "boa tarde", "boa noite",
			"ok", "só", "agora", "já", "sim", "senhor", "senhora",
			"quero", "eu quero", "queria", "eu queria", "gostaria", "gostaria de", "preciso", "posso", "pode", "podem", "podemos",
			"como faço para", "como eu faço para",
		},
		negate: []string{"não", "nunca", "jamais", "nem", "sem", "talvez"},
		cond:   []string{"caso"},
		link:   []string{"que"},
		alone: map[Intent][]string{
			OptOut:   {"pare", "parem", "parar", "chega", "sair", "stop", "descadastrar", "cancelar inscrição"},
			OptIn:    {"inscrever", "me inscrever", "voltar a receber"},
			Human:    {"[um|uma] (atendente|humano|operador|pessoa|pessoa real)", "atendimento [humano]"},
			MyData:   {"[os] meus dados [pessoais]", "minhas informações"},
			Erase:    {"me apaguem", "me excluam"},
			Restart:  {"(começar|comecar) (de novo|do zero|tudo de novo|do início)", "recomeçar", "reiniciar", "(voltar ao|do) (início|começo)", "do zero", "[voltar ao] menu [principal]"},
			Language: {"{lang}", "em {lang}"},
		},
		within: map[Intent][]string{
			OptOut: {
				"(pare|parem|para|parar) de (me mandar|me enviar|me escrever|me contatar|me contactar|me incomodar) [mensagem|mensagens|mais mensagens]",
				"(pare|parem|para|parar) de (mandar|enviar) [mais] (mensagem|mensagens)",
				"não quero [mais] receber [mais] [suas|essas|as] mensagens",
				"não me (mandem|mande|envie|enviem|escreva|escrevam|contatem|contate|incomodem) mais [mensagens]",
				"cancelar [a] [minha] inscrição",
				"(me tirem|me tire|me tira|tira me|tirem me|tire me|me remova|me removam|removam me|me retirem) (da|dessa|desta) (lista|sua lista|lista de contatos)",
				"sair da lista",
				"chega de mensagens",
				"(me descadastre|me descadastrem|descadastrem me|quero me descadastrar)",
				"me deixem em paz", "me deixe em paz",
			},
			OptIn: {
				"(voltar a|quero voltar a) receber [suas|as] mensagens",
				"(me inscrever|inscrever me|me cadastrar) (de novo|novamente|outra vez)",
				"(pode|podem) voltar a me (mandar|enviar) mensagens",
			},
			Human: {
				"falar com (uma pessoa|um humano|um atendente|uma atendente|alguém da equipe|alguém de verdade|um operador|uma pessoa real|um ser humano|alguém real|um funcionário|o suporte|o atendimento)",
				"(me passa|me passe|me transfere|me transfira|me coloca|passa me|me encaminhe) (para|pra|com) (um|uma) (atendente|pessoa|humano|operador)",
				"(pessoa|alguém) de verdade", "atendente humano",
			},
			MyData: {
				"quais dados (vocês|vcs|você|vc) (têm|tem|guardam|possuem) (sobre|de) mim",
				"(cópia|uma cópia) (dos|dos meus|de meus|de todos os meus) dados",
				"(me enviem|me envie|me mandem|me mande|enviem me|envie me) [os|todos os] meus dados [pessoais]",
				"(ver|acessar|consultar) [os] meus dados", "acesso aos meus dados",
				"o que (vocês|vcs) sabem (sobre|de) mim",
			},
			Erase: {
				"(apagar|apague|apaguem|apaga|excluir|exclua|excluam|exclui|eliminar|eliminem|deletar|deletem|delete|deleta|remover|removam|remove) (os meus|meus|todos os meus|todas as minhas|minhas|as minhas) (dados|informações|dados pessoais)",
				"(apagar|excluir|apaguem|excluam) (minha|a minha) conta",
				"(me esqueçam|esqueçam me|esqueça me|me esqueça)",
				"direito ao esquecimento", "direito de apagamento",
			},
			WithdrawConsent: {
				"(retiro|retirar|revogo|revogar|cancelo|retirando) (o meu|meu|o) consentimento",
			},
			NoMarketing: {
				"não quero [receber] (publicidade|propaganda|promoções|ofertas|marketing|anúncios)",
				"não me (mandem|mande|enviem|envie) (promoções|ofertas|publicidade|propaganda)",
				"sem (marketing|publicidade|propaganda|promoções)",
			},
			Language: {
				"(fala|falam|falar|fale|escreva|escrevam|escrever|responda|respondam|responder|fala comigo|falem comigo) em {lang}",
				"(fala|falam|você fala|vc fala|vocês falam) {lang}",
			},
		},
	}
}
