package flows

import (
	"fmt"
	"path/filepath"
	"strings"
)

// DefaultStartFlow is the flow new conversations start in unless the
// engine is configured with another (engine.start_flow).
const DefaultStartFlow = "greeting"

// LoadOption adjusts Load.
type LoadOption func(*loadOptions)

type loadOptions struct {
	startFlow string
}

// WithStartFlow makes Load report an error when no loaded flow has the
// given name: the engine starts new conversations there and refuses to run
// without it. Lint does the same with LintOptions.StartFlow.
func WithStartFlow(name string) LoadOption {
	return func(o *loadOptions) { o.startFlow = name }
}

// checkStartFlow reports a set that lacks the start flow: at the `flow:`
// line of the file named after it when that file names its flow otherwise
// (the flow was renamed), else at the set's folder, with the nearest flow
// names. A file that gave no flow might hold it: then nothing is said.
func checkStartFlow(c *collector, set *Set, name string) {
	if name == "" || set == nil || set.Flow(name) != nil || set.mightHold(name) {
		return
	}
	hint := "name a flow " + name + ", or configure another start flow"
	for _, n := range set.Order {
		f := set.Flows[n]
		if f == nil || fileStem(f.Pos.File) != name {
			continue
		}
		c.errorf(f.Pos, fmt.Sprintf("write flow: %s, or configure %s as the start flow", name, f.Name),
			"no flow %q, where new conversations start: %s names its flow %q", name, filepath.Base(f.Pos.File), f.Name)
		return
	}
	names := append(append([]string(nil), set.Order...), set.brokenNames()...)
	if len(names) > 0 {
		hint = flowHint(name, names) + "; or configure another start flow"
	}
	where := Pos{}
	if len(set.Files) > 0 {
		where.File = filepath.Dir(set.Files[0])
	}
	c.errorf(where, hint, "no flow %q, where new conversations start", name)
}

// fileStem is a file's name without its folder and extension.
func fileStem(file string) string {
	base := filepath.Base(file)
	return strings.TrimSuffix(base, filepath.Ext(base))
}
