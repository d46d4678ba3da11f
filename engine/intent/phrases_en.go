package intent

func english() phraseSet {
	return phraseSet{
		lang: "en",
		name: "English",
		names: []langName{
			{"english", "en"}, {"spanish", "es"}, {"castilian", "es"}, {"portuguese", "pt"}, {"brazilian", "pt"},
			{"german", "de"}, {"french", "fr"}, {"dutch", "nl"}, {"flemish", "nl"},
		},
		polite: []string{
			"please", "pls", "plz", "pleaseee", "kindly", "thanks", "thank you", "thx", "ty", "cheers",
			"hi", "hello", "hey", "ok", "okay", "so", "just", "now", "you can", "u can", "you may", "right now", "asap", "immediately", "already",
			"can you", "could you", "would you", "will you", "can i", "could i", "may i", "can we", "could we", "let s", "let me",
			"i want to", "i wanna", "i d like to", "i would like to", "i need to", "i want", "i d like", "i would like", "i need",
			"how do i", "how can i", "i said", "i m asking you to", "i m asking to", "i d rather", "i would rather",
			"sir", "madam", "mate", "guys", "team", "yes",
		},
		negate: []string{
			"not", "no", "never", "t", "dont", "doesnt", "didnt", "cant", "cannot", "wont", "wouldnt", "shouldnt",
			"nor", "neither", "without", "maybe", "perhaps", "might",
		},
		after: []string{"not", "nots"}, // "forget-me-nots"
		link:  []string{"that"},
		ask:   []string{"did you", "do you", "have you", "did", "does"},
		cond:  []string{"if", "unless", "whether"},
		alone: map[Intent][]string{
			OptOut:   {"stop", "stop it", "stop all", "stopall", "stop now", "stop (messaging|texting|spamming)", "quit", "enough", "opt out", "unsubscribe", "go away"},
			OptIn:    {"start", "subscribe", "resubscribe", "opt in", "unstop", "subscribe me", "opt me in"},
			Human:    {"[a|an] (human|person|real person|real human|human being|agent|live agent|human agent|operator|representative)", "customer (service|support)"},
			MyData:   {"my [personal] (data|information|info|details)", "(subject access|data access) request"},
			Erase:    {"(delete|erase) me", "erasure", "delete everything"},
			Restart:  {"restart", "reset", "start over", "(start|begin) again", "start afresh", "start from scratch", "[start] from the (beginning|start|top)", "[go] back to the (start|beginning|menu|main menu)", "[the] main menu", "new conversation"},
			Language: {"{lang}", "in {lang}", "speak {lang}"},
		},
		within: map[Intent][]string{
			OptOut: {
				"stop (messaging|texting|contacting|spamming|bothering|calling|writing to|sending messages to|sending texts to) (me|us)",
				"stop sending [me|us] [these|your|whatsapp] (messages|texts|stuff)",
				"unsubscribe [me|us]",
				"opt (me|us) out", "opt out",
				"(remove|take) (me|us|my number) (from|off) (your|the|this) [mailing|contact|whatsapp|messaging] list",
				"(don t|do not|dont) (message|text|contact|write to|bother|whatsapp) (me|us) [again|anymore|any more|ever again]",
				"leave me alone",
				"no more (messages|texts)",
				"(don t|do not|dont) want [to (receive|get)] (any more|anymore|more|any further|further) (messages|texts)",
				"(don t|do not|dont) want (your|these|any) messages",
			},
			OptIn: {
				"(subscribe|sign) me (back|up) [again]", "subscribe [me] again", "resubscribe [me]",
				"opt (me|us) [back] in",
				"(receive|get) [your] (messages|texts) again",
				"(start|resume) (messaging|texting|sending messages to) me again",
				"(start|resume) sending me [messages|texts] again",
				"you can (message|text|contact) me again",
			},
			Human: {
				"(talk|speak|chat) (to|with) [a|an|your] [real|actual|live] (person|human|agent|representative|rep|operator|manager|human being|staff member)",
				"(talk|speak|chat) (to|with) (someone|somebody) (real|from (your|the) (team|company|office|staff)|in person)",
				"(can i|could i|i want to|i d like to|i would like to|let me) (talk|speak|chat) (to|with) (someone|somebody)",
				"(get|give) me [a|an] (human|person|real person|agent)",
				"is there (a|an|any) (human|person|real person|real human|agent)",
				"is there (someone|somebody|anyone) (real|i can (talk|speak) to)",
				"(connect|transfer|put) me (to|through to|with) [a|an|the|your] (human|person|agent|customer service|customer support|support|representative|someone|real person|operator)",
				"(real|actual|live) (person|human)", "(human|live) agent",
			},
			MyData: {
				"what [personal] (data|information|info|details) do you (have|hold|keep|store) (about|on|of) me",
				"which [personal] (data|information|info|details) do you (have|hold|keep|store) (about|on|of) me",
				"what do you (know|have|hold|store) about me",
				"(send|give|show) me [a copy of] (my|all my) [personal] (data|information|info|details)",
				"copy of (my|all my) [personal] (data|information|info|details)",
				"(export|download) [of] (my|all my) [personal] (data|information|info)",
				"(see|access|view) (my|all my) [personal] (data|information|info)",
			},
			Erase: {
				"(delete|erase|wipe|destroy|purge) [all|all of] my [personal|contact] (data|details|information|info|records|account|number|phone number|account and data)",
				// "remove my details" alone may mean from an invoice
				"remove [all|all of] my (data|personal (data|details|information|info))",
				"remove my (details|information|info|number) from your (system|systems|database|records|files)",
				"(delete|erase|remove|wipe) everything (you have|you hold|you keep|you store) (about|on|of) me",
				"(delete|erase|remove) me from your (system|systems|database|records)",
				"my [personal] (data|details|information|info) (deleted|erased|removed|wiped)",
				"forget me", "forget about me", "right to be forgotten", "right to erasure",
			},
			WithdrawConsent: {
				"(withdraw|withdrawing|revoke|revoking|retract|take back) (my|the|all my) consent", "(withdraw|revoke) consent",
				"i no longer (consent|agree)", "(don t|do not) consent (anymore|any more|any longer)",
			},
			NoMarketing: {
				"no (marketing|promotions|promos|offers|ads|advertising|advertisements|newsletters|newsletter|spam|special offers|deals)",
				"(don t|do not|dont) (send|give) (me|us) [any|your] (offers|promotions|promos|marketing|ads|advertising|newsletters|deals|special offers)",
				"(don t|do not|dont) want [any|your] (marketing|offers|promotions|promos|ads|advertising|newsletters) [messages|emails|texts]",
				"stop [sending] [me|us] [your|the|these|all|any] (offers|promotions|promos|marketing|ads|advertising|newsletters|deals|special offers)",
				"(unsubscribe|opt) [me] (from|out of) [your|the] (marketing|offers|promotions|newsletter|newsletters)",
			},
			Language: {
				"(speak|write|talk|reply|answer|respond|text|chat|communicate|continue|message) [to me|with me] in {lang}",
				"do you speak {lang}", "(can|could) (we|you) (speak|talk|write) {lang}",
			},
		},
	}
}
