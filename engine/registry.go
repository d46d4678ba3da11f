package engine

import "github.com/allmyleads/allmyleads/flows"

// stepKind is how the engine runs one kind of step. enter runs when the
// conversation arrives at the step; answer runs with the customer's message
// when the step waits (nil for kinds that never wait).
type stepKind struct {
	enter  func(t *turn, s *flows.Step) outcome
	answer func(t *turn, s *flows.Step, in *Inbound) outcome
	// again re-sends the question of a waiting step without redoing its
	// work (an extract step must not call the extractor twice); nil: enter.
	again func(t *turn, s *flows.Step) outcome
}

// reprompt asks the waiting step's question again.
func (k stepKind) reprompt(t *turn, s *flows.Step) outcome {
	if k.again != nil {
		return k.again(t, s)
	}
	return k.enter(t, s)
}

// stepKinds maps each step kind of the language to its handler. The step_*.go
// files register themselves; a test checks every flows.Kinds() entry has one.
var stepKinds = map[flows.Kind]stepKind{}

func registerStep(k flows.Kind, sk stepKind) { stepKinds[k] = sk }

// outcome says where a step goes.
type outcome struct {
	op       op
	target   string   // for opGoto
	fallback *outcome // for opFail when the step has no on_error
}

type op int

const (
	opNext op = iota // the step's next, or the step below
	opGoto           // target: a step id, "end", or "flow:NAME"
	opWait           // wait for the customer
	opFail           // on_error, else fallback
	opStop           // stay here silent (handoff)
)

func next() outcome              { return outcome{op: opNext} }
func wait() outcome              { return outcome{op: opWait} }
func stop() outcome              { return outcome{op: opStop} }
func goTo(target string) outcome { return outcome{op: opGoto, target: target} }

// fail goes to the step's on_error, or to fallback when it has none.
func fail(fallback outcome) outcome { return outcome{op: opFail, fallback: &fallback} }
