package engine

import (
	"testing"

	"github.com/allmyleads/allmyleads/flows"
)

func TestAnswerWords(t *testing.T) {
	company := &flows.Step{Kind: flows.KindAsk, Validate: "company,max=80"}
	feedback := &flows.Step{Kind: flows.KindAsk, Validate: "answer,max=500"}
	required := &flows.Step{Kind: flows.KindAsk, Validate: "required,company"}
	for _, c := range []struct {
		what string
		got  bool
		want bool
	}{
		{"company: home", isSkip(company, "home"), true},
		{"company: it's for my home", isSkip(company, "it's for my home"), true},
		{"company: It’s for our house.", isSkip(company, "It’s for our house."), true},
		{"company: just me", isSkip(company, "just me"), true},
		{"company: es para mi casa", isSkip(company, "es para mi casa"), true},
		{"company: es ist für mein Haus", isSkip(company, "es ist für mein Haus"), true},
		{"company: nein", isSkip(company, "nein"), true},
		{"company: No!", isSkip(company, "No!"), true},
		{"company: Home Improvements Ltd", isSkip(company, "Home Improvements Ltd"), false},
		{"company: my home office ltd", isSkip(company, "my home office ltd"), false},
		{"required company: home", isSkip(required, "home"), false},
		{"feedback: home", isSkip(feedback, "home"), false},
		{"feedback: no thanks", isSkip(feedback, "no thanks"), true},

		{"done: finished", isDoneWord("finished", "done"), true},
		{"done: That's all!", isDoneWord("That's all!", "done"), true},
		{"done: that’s it, thanks 👍", isDoneWord("that’s it, thanks 👍", "done"), true},
		{"done: ok", isDoneWord("ok", "done"), true},
		{"done: DONE", isDoneWord("DONE", "done"), true},
		{"done: klaar (the step's word)", isDoneWord("klaar", "klaar"), true},
		{"done: fertig", isDoneWord("fertig", "done"), true},
		{"done: one more coming", isDoneWord("one more coming", "done"), false},
		{"done: is that ok?", isDoneWord("is that ok?", "done"), false},

		{"emoji: 👍", agreesByEmoji("👍"), true},
		{"emoji: 👍🏽", agreesByEmoji("👍🏽"), true},
		{"emoji: ✅ !", agreesByEmoji("✅ !"), true},
		{"emoji: ❤️", agreesByEmoji("❤️"), true},
		{"emoji: 👎", agreesByEmoji("👎"), false},
		{"emoji: 🤔", agreesByEmoji("🤔"), false},
		{"emoji: yes 👍", agreesByEmoji("yes 👍"), false},

		{"new: new quote", asksForNewRequest("new quote"), true},
		{"new: New quote please!", asksForNewRequest("New quote please!"), true},
		{"new: I have another job for you", asksForNewRequest("I have another job for you"), true},
		{"new: can I get a quote for the garage?", asksForNewRequest("can I get a quote for the garage?"), true},
		{"new: I'd like a quote for another roof", asksForNewRequest("I'd like a quote for another roof"), true},
		{"new: nuevo presupuesto", asksForNewRequest("nuevo presupuesto"), true},
		{"new: neues Angebot bitte", asksForNewRequest("neues Angebot bitte"), true},
		{"new: nouveau devis", asksForNewRequest("nouveau devis"), true},
		{"new: nieuwe offerte", asksForNewRequest("nieuwe offerte"), true},
		{"new: novo orçamento", asksForNewRequest("novo orçamento"), true},
		{"new: ahora quiero pintar la fachada", asksForNewRequest("Hola otra vez, ahora quiero pintar la fachada"), true},
		{"new: now I want the front painted", asksForNewRequest("now I want the front painted"), true},
		{"new: can you also do the gutters?", asksForNewRequest("can you also do the gutters?"), true},
		{"new: ich möchte jetzt die Fassade streichen", asksForNewRequest("ich möchte jetzt die Fassade streichen"), true},
		{"new: I want the roof done by Friday", asksForNewRequest("I want the roof done by Friday"), false},
		{"new: now I want to know when you start on the roof", asksForNewRequest("now I want to know when you start on the roof"), false},
		{"new: can you also send the invoice?", asksForNewRequest("can you also send the invoice?"), false},
		{"new: thanks!", asksForNewRequest("thanks!"), false},
		{"new: when can you start?", asksForNewRequest("when can you start?"), false},
		{"new: I don't need another quote", asksForNewRequest("I don't need another quote"), false},
		{"new: when will my new quote arrive?", asksForNewRequest("when will my new quote arrive?"), false},
		{"new: I got a quote from another company", asksForNewRequest("I got a quote from another company"), false},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestCatchAll(t *testing.T) {
	opts := func(pairs ...string) *flows.Step {
		s := &flows.Step{Kind: flows.KindChoice}
		for i := 0; i < len(pairs); i += 2 {
			s.Options = append(s.Options, flows.Option{ID: pairs[i], Title: pairs[i+1]})
		}
		return s
	}
	for _, c := range []struct {
		step *flows.Step
		want string
	}{
		{opts("roofing", "Roofing", "painting", "Painting", "other", "Something else"), "Something else"},
		{opts("a", "Tiles", "b", "Slate", "c", "None of these"), "None of these"},
		{opts("a", "Tejas", "b", "Pizarra", "c", "Otro"), "Otro"},
		{opts("a", "Dach", "b", "Fassade", "c", "Etwas anderes"), "Etwas anderes"},
		{opts("yes", "Yes", "no", "No"), ""},
		{opts("tiles", "Tiles", "others_roof", "Slate or metal"), ""},
	} {
		if got := catchAll(c.step); got != c.want {
			t.Errorf("catchAll(%v) = %q, want %q", c.step.Options, got, c.want)
		}
	}
}
