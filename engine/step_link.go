package engine

import "github.com/allmyleads/allmyleads/flows"

// link continues at the start of another flow.
//
//   - id: more
//     link: collect_details
func init() { registerStep(flows.KindLink, stepKind{enter: enterLink}) }

func enterLink(_ *turn, s *flows.Step) outcome { return goTo("flow:" + s.Link) }
