package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

// shippedUpTo are the customer's messages of the shipped flows up to a
// question, as a UK contact who gives another number to call.
var shippedUpTo = map[string][]string{
	"ask_name":    {"Hi", "yes"},
	"ask_email":   {"Hi", "yes", "Ana Lima"},
	"ask_phone":   {"Hi", "yes", "Ana Lima", "ana@example.com", "No, use another"},
	"ask_company": {"Hi", "yes", "Ana Lima", "ana@example.com", "No, use another", "+44 7700 900123"},
	"ask_address": {"Hi", "yes", "Ana Lima", "ana@example.com", "1", "skip"},
	"ask_service": {"Hi", "yes", "Ana Lima", "ana@example.com", "1", "skip", "12 High Street, Bristol BS1 4DJ"},
}

// TestShippedAnswersSaved plays the shipped flows to a question, answers
// it, and checks what was saved and which question comes next: the
// examples of issue 19's "answers that are not answers".
func TestShippedAnswersSaved(t *testing.T) {
	for _, c := range []struct {
		at, answer string
		path       string
		want       any    // nil: nothing saved
		next       string // a word of the next bot message
	}{
		{"ask_name", "Ana Lima", "lead.name", "Ana Lima", "email"},
		{"ask_name", "my name is Ana Lima", "lead.name", "Ana Lima", "email"},
		{"ask_name", "do you work weekends?", "lead.name", nil, "Monday to Friday"}, // the shipped faq answers
		{"ask_name", "when can you start?", "lead.name", nil, "start date"},
		{"ask_name", "do you take card payments", "lead.name", nil, "passed it on"},
		{"ask_name", "START", "lead.name", nil, "full name"},
		{"ask_name", "..", "lead.name", nil, "full name"},
		{"ask_name", "J", "lead.name", nil, "full name"},
		{"ask_name", "bob@example.com", "lead.name", nil, "full name"},
		{"ask_name", "07700 900123", "lead.name", nil, "full name"},
		{"ask_name", "[Voice message]", "lead.name", nil, "voice messages"},
		{"ask_name", "[Voice message 0:42]", "lead.name", nil, "voice messages"},
		{"ask_email", "my email is bob@example.com", "lead.email", "bob@example.com", "WhatsApp number"},
		{"ask_email", "It's Bob@Example.com.", "lead.email", "Bob@Example.com", "WhatsApp number"},
		{"ask_email", "bob@example.com or bob@work.example", "lead.email", nil, "email address"},
		{"ask_phone", "call me on 07700 900123", "lead.phone", "+447700900123", "company"},
		{"ask_phone", "my mobile is +44 7700 900123, evenings best", "lead.phone", "+447700900123", "company"},
		{"ask_company", "home", "lead.company", nil, "address"},
		{"ask_company", "it's for my home", "lead.company", nil, "address"},
		{"ask_company", "For my house!", "lead.company", nil, "address"},
		{"ask_company", "nein", "lead.company", nil, "address"},
		{"ask_company", "no", "lead.company", nil, "address"},
		{"ask_company", "skip", "lead.company", nil, "address"},
		{"ask_company", "Lima & Sons Ltd.", "lead.company", "Lima & Sons Ltd.", "address"},
		{"ask_company", "is that needed?", "lead.company", nil, "passed it on"},
		{"ask_company", "yes", "lead.company", nil, "company's name"},
		{"ask_address", "[Voice message 0:42]", "lead.address", nil, "voice messages"},
		{"ask_address", "do you cover Bath?", "lead.address", nil, "Bristol"},
		{"ask_service", "both", "project.service", nil, "*Something else*"},
		{"ask_service", "gutters", "project.service", nil, "*Something else*"},
		{"ask_service", "something else", "project.service", "other", "about the job"},
	} {
		t.Run(c.at+"/"+c.answer, func(t *testing.T) {
			h := enginetest.New(t, enginetest.Options{})
			const uk = "+447700900100"
			for _, line := range shippedUpTo[c.at] {
				h.Say(uk, line)
			}
			out := enginetest.Format(h.Say(uk, c.answer))
			if !strings.Contains(out, c.next) {
				t.Errorf("after %q the bot said:\n%s\nwant a message with %q", c.answer, out, c.next)
			}
			got, ok := lookup(h.Session(uk).Vars, strings.Split(c.path, ".")...)
			switch {
			case c.want == nil && ok:
				t.Errorf("%s = %v, want nothing saved", c.path, got)
			case c.want != nil && fmt.Sprint(got) != fmt.Sprint(c.want):
				t.Errorf("%s = %v, want %v", c.path, got, c.want)
			}
		})
	}
}

// TestAfterEndStartsAgainWhenAsked: after an accepted quote, a message is
// acknowledged, never a new intake, unless the customer asks for one or
// their data or consent is gone: then the next message starts afresh.
func TestAfterEndStartsAgainWhenAsked(t *testing.T) {
	const consentQuestion = "and is that OK with you?"
	for _, c := range []struct {
		name   string
		then   []string // after the accepted quote
		say    string
		starts bool // the intake starts again (the welcome)
	}{
		{"thanks", nil, "thanks!", false},
		{"a question", nil, "when can you start?", false},
		{"a greeting", nil, "hi", false},
		{"an emoji", nil, "👍", false},
		{"new quote", nil, "new quote", true},
		{"MENU", nil, "MENU", true},
		{"start over", nil, "can we start over", true},
		{"erased", []string{"DELETE MY DATA", "yes"}, "hi", true},
		{"consent withdrawn", []string{"WITHDRAW CONSENT"}, "hi", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := enginetest.New(t, enginetest.Options{})
			enginetest.Run(h, "testdata/shipped", strings.Join(shippedScript(t), "\n"))
			for _, line := range c.then {
				h.Say(enginetest.DefaultContact, line)
			}
			out := enginetest.Format(h.Say(enginetest.DefaultContact, c.say))
			if started := strings.Contains(out, "Welcome to"); started != c.starts {
				t.Fatalf("after %q the intake started again: %v, want %v; the bot said:\n%s", c.say, started, c.starts, out)
			}
			if c.starts && len(c.then) > 0 && !strings.Contains(out, consentQuestion) {
				t.Errorf("after %v a new start asks for consent again; the bot said:\n%s", c.then, out)
			}
			if !c.starts && !strings.Contains(out, "will be in touch") {
				t.Errorf("after %q: want the acknowledgement, the bot said:\n%s", c.say, out)
			}
		})
	}
}

// TestReactionAtTheQuote: a 👍 reaction while the quote waits asks for a
// word and accepts nothing; other reactions, and reactions elsewhere, are
// stored without an answer.
func TestReactionAtTheQuote(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{})
	lines := shippedScript(t)
	enginetest.Run(h, "testdata/shipped", strings.Join(lines[:len(lines)-1], "\n")) // up to the quote
	react := func(emoji string) string {
		in := h.Message(enginetest.DefaultContact, emoji)
		in.Kind = engine.InReaction
		return enginetest.Format(h.Send(in))
	}
	if out := react("👍"); !strings.Contains(out, "Just to be sure: do you accept the quote of *€3,327.50*?") {
		t.Fatalf("a 👍 reaction at the quote: want the question, got:\n%s", out)
	}
	if q := h.Session(enginetest.DefaultContact).Quote; q.Status != engine.QuoteSent {
		t.Fatalf("a reaction changed the quote to %s", q.Status)
	}
	if out := react("😮"); out != "" {
		t.Fatalf("another reaction got an answer:\n%s", out)
	}
	h.Say(enginetest.DefaultContact, "yes")
	if q := h.Session(enginetest.DefaultContact).Quote; q.Status != engine.QuoteAccepted {
		t.Fatalf("yes after the question: quote %s", q.Status)
	}
	if out := react("👍"); out != "" {
		t.Fatalf("a reaction after the end got an answer:\n%s", out)
	}
}
