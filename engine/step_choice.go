package engine

import "github.com/allmyleads/allmyleads/flows"

// choice offers options and saves the picked option's id. Customers may tap
// a button or list row, type the option's id or title in any case, or its
// number. Up to 3 options go out as buttons, 4 to 10 as a list.
//
//   - id: ask_service
//     choice: "Which service do you need?"
//     save: project.service
//     options:
//   - { id: roofing, title: "Roofing" }
//   - { id: painting, title: "Painting", next: paint_details }
func init() { registerStep(flows.KindChoice, stepKind{enter: enterChoice, answer: answerChoice}) }

func enterChoice(t *turn, s *flows.Step) outcome {
	t.sendChoice(t.render(s.Text, nil), t.choiceOptions(s))
	return wait()
}

func choiceOptions(s *flows.Step) []Option {
	opts := make([]Option, len(s.Options))
	for i, o := range s.Options {
		opts[i] = Option{ID: o.ID, Title: o.Title, Description: o.Description}
	}
	return opts
}

// sendChoice queues a question with options: buttons for up to 3, a list
// for more.
func (t *turn) sendChoice(text string, opts []Option) {
	if len(opts) <= 3 {
		t.send(Outbound{Kind: OutButtons, Text: text, Options: opts})
		return
	}
	t.send(Outbound{Kind: OutList, Text: text, Options: opts, Button: t.word(t.e.cfg.Texts.ChooseButton)})
}

func answerChoice(t *turn, s *flows.Step, in *Inbound) outcome {
	opts := t.choiceOptions(s)
	picked, ok := t.pickAnyChoice(s, in, opts) // fuzzy.go: the customer's language, the flows', typos
	if !ok {
		reask := func() { t.sayChoiceInvalid(s, opts) } // names a catch-all option (choice_other.go)
		return t.retry(s, reask, t.keepAsking(reask))
	}
	if s.Save != "" {
		t.setVar(s.Save, picked.ID)
	}
	for _, o := range s.Options {
		if o.ID == picked.ID && o.Next != "" {
			return goTo(o.Next)
		}
	}
	return next()
}
