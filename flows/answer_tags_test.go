package flows

import "testing"

func TestAnswerTags(t *testing.T) {
	v := NewValidator()
	for _, c := range []struct {
		tag, value string
		want       Refusal
	}{
		// a person's name
		{"name", "Ana Lima", RefusedNone},
		{"name", "José María de la Cruz", RefusedNone},
		{"name", "Mary-Jane O'Neil", RefusedNone},
		{"name", "Jan van der Berg", RefusedNone},
		{"name", "Will Smith", RefusedNone},
		{"name", "Can Ali Yılmaz", RefusedNone},
		{"name", "Ben Ola", RefusedNone},
		{"name", "李小龍", RefusedNone},
		{"name", "प्रिया शर्मा", RefusedNone},
		{"name", "Zoë Ünal-Åberg", RefusedNone},
		{"name", "Dr. J. Watson", RefusedNone},
		{"name", "Al", RefusedNone},
		{"name", "do you work weekends?", RefusedQuestion},
		{"name", "do you work weekends", RefusedQuestion},
		{"name", "when can you start", RefusedQuestion},
		{"name", "¿cuánto cuesta?", RefusedQuestion},
		{"name", "START", RefusedKeyword},
		{"name", "menu", RefusedKeyword},
		{"name", "yes", RefusedKeyword},
		{"name", "Ok.", RefusedKeyword},
		{"name", "..", RefusedSymbols},
		{"name", "👍", RefusedSymbols},
		{"name", "?", RefusedSymbols},
		{"name", "bob@example.com", RefusedEmail},
		{"name", "Bob bob@example.com", RefusedEmail},
		{"name", "07700 900123", RefusedPhone},
		{"name", "+44 7700 900123", RefusedPhone},
		{"name", "Ana 2", RefusedDigits},
		{"name", "[Voice message]", RefusedPlaceholder},
		{"name", "[Voice message 0:42]", RefusedPlaceholder},
		{"name", "<Media omitted>", RefusedPlaceholder},
		{"name", "voice message", RefusedPlaceholder},
		{"name", "image omitted", RefusedPlaceholder},
		{"name", "J", RefusedShort},
		{"name", "J.", RefusedShort},
		{"name", "I need a quote for my roof", RefusedSentence},
		{"name", "Ana :)", RefusedSymbols},
		{"name", "", RefusedEmpty},
		// a company
		{"company", "3M", RefusedNone},
		{"company", "Smith & Sons Ltd.", RefusedNone},
		{"company", "Brightside B.V.", RefusedNone},
		{"company", "what do you mean?", RefusedQuestion},
		{"company", "[Voice message 0:42]", RefusedPlaceholder},
		{"company", "bob@example.com", RefusedEmail},
		{"company", "07700 900123", RefusedPhone},
		{"company", "X", RefusedShort},
		{"company", "--", RefusedSymbols},
		{"company", "START", RefusedKeyword},
		// an address
		{"address", "12 High Street, Bristol BS1 4DJ", RefusedNone},
		{"address", "Calle Mayor 5, 28013 Madrid", RefusedNone},
		{"address", "do you cover Bath?", RefusedQuestion},
		{"address", "[Voice message]", RefusedPlaceholder},
		{"address", "ana@example.com", RefusedEmail},
		{"address", "07700 900123", RefusedPhone},
		{"address", "...", RefusedSymbols},
		{"address", "skip", RefusedKeyword},
		// any real answer
		{"answer", "Tiles slipped. Can you also look at the gutter?", RefusedNone},
		{"answer", "40", RefusedNone},
		{"answer", "[Voice message 0:42]", RefusedPlaceholder},
		{"answer", "!!!", RefusedSymbols},
		{"answer", "🙂🙂", RefusedSymbols},
	} {
		check := AnswerTags()[c.tag]
		if got := check(c.value); got != c.want {
			t.Errorf("%s(%q) = %q, want %q", c.tag, c.value, got, c.want)
		}
		err := v.Var(c.value, c.tag)
		if (err == nil) != (c.want == RefusedNone) {
			t.Errorf("validate %q on %q: %v, want ok=%v", c.tag, c.value, err, c.want == RefusedNone)
		}
	}
	for _, tag := range []string{"required,name,max=80", "company,max=80", "required,address,min=5", "required,answer,min=10"} {
		if err := CheckValidateTag(tag); err != nil {
			t.Errorf("CheckValidateTag(%q): %v", tag, err)
		}
	}
	if err := CheckValidateTag("required,nmae"); err == nil || err.(*TagError).Hint != `did you mean "name"?` {
		t.Errorf("nmae: %v, want a did-you-mean name", err)
	}
}

func TestFromSentence(t *testing.T) {
	for _, c := range []struct{ fn, in, want string }{
		{"email", "my email is bob@example.com", "bob@example.com"},
		{"email", "Bob@Example.co.uk.", "Bob@Example.co.uk"},
		{"email", "it's ana.lima+quotes@mail.example.org thanks", "ana.lima+quotes@mail.example.org"},
		{"email", "bob@example.com or bob@work.example", ""},
		{"email", "no email", ""},
		{"phone", "call me on 07700 900123", "07700 900123"},
		{"phone", "my number is +44 (0)7700-900123 after 5", "+44 (0)7700-900123"},
		{"phone", "07700 900123", "07700 900123"},
		{"phone", "call after 5", ""},
		{"name", "my name is Ana Lima", "Ana Lima"},
		{"name", "I'm Bob.", "Bob"},
		{"name", "Me llamo Ana", "Ana"},
		{"name", "Ich heiße Jürgen Müller", "Jürgen Müller"},
		{"name", "je m'appelle Zoé", "Zoé"},
		{"name", "Isabel Lopes", "Isabel Lopes"},
		{"name", "Name: Jo Bloggs", "Jo Bloggs"},
		{"name", "Soyoung Kim", "Soyoung Kim"},
	} {
		var got string
		switch c.fn {
		case "email":
			got = FindEmail(c.in)
		case "phone":
			got = FindPhone(c.in)
		case "name":
			got = NameFromSentence(c.in)
		}
		if got != c.want {
			t.Errorf("%s from %q = %q, want %q", c.fn, c.in, got, c.want)
		}
	}
}
