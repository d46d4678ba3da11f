package engine

import "github.com/allmyleads/allmyleads/flows"

// say sends a message and moves on without waiting.
//
//   - id: thanks
//     say: "Thanks {{ lead.name }}! Total: {{ quote.total | money }}"
//     next: end
func init() { registerStep(flows.KindSay, stepKind{enter: enterSay}) }

func enterSay(t *turn, s *flows.Step) outcome {
	t.sayText(s.Text, nil)
	return next()
}
