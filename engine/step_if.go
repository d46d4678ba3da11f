package engine

import (
	"context"
	"fmt"

	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/plugins"
)

// if goes to the first branch whose Lua condition holds, else to `else` (or
// the step below).
//
//   - id: route
//     if:
//   - when: "project.service == 'other'"
//     next: human
//     else: price
func init() { registerStep(flows.KindIf, stepKind{enter: enterIf}) }

// Condition is a compiled `when` expression (*plugins.Condition). An
// evaluation that fails returns an error, never false, and stops when ctx
// ends.
type Condition interface {
	EvalContext(ctx context.Context, vars map[string]any) (bool, error)
}

func compileCondition(expr string) (Condition, error) {
	c, err := plugins.CompileCondition(expr)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func enterIf(t *turn, s *flows.Step) outcome {
	view := t.view(nil)
	for _, b := range s.If {
		c := t.e.conds[b.When]
		if c == nil {
			return t.failStep(s, "condition", fmt.Errorf("%s: when %q was not compiled", b.Pos, b.When))
		}
		ok, err := c.EvalContext(t.ctx, view)
		if err != nil {
			return t.failStep(s, "condition", fmt.Errorf("%s: %w", b.Pos, err))
		}
		if ok {
			return goTo(b.Next)
		}
	}
	if s.Else != "" {
		return goTo(s.Else)
	}
	return next()
}
