package engine

import (
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Observer is told what the engine does, for metrics: package metrics
// turns it into Prometheus series, and the engine imports no metrics
// library. Every field may be nil; each func must be quick and safe for
// concurrent use. Nothing personal is passed: channels, kinds, plugin
// references and outcomes only.
type Observer struct {
	// Handled is called once per inbound message Handle was given.
	Handled func(Handled)
	// Queued is called for each outbound message a committed turn queued,
	// whatever started the turn (a message, a reminder, a release).
	Queued func(channel string, kind core.OutboundKind)
	// Plugin is called after each plugin call with its reference
	// ("pricing.quote"), how long it took and its error.
	Plugin func(ref string, took time.Duration, err error)
	// Extracted is called after each extractor call with the extractor's
	// name ("offline", "openai"; "unknown" when it failed before saying),
	// how long it took and its outcome (ok, invalid, refused, timeout, error).
	Extracted func(extractor string, took time.Duration, outcome string)
}

// Handled describes one inbound message's handling.
type Handled struct {
	Channel   string
	Kind      core.InboundKind
	Took      time.Duration // from Handle's start to the commit
	Duplicate bool          // seen before: nothing was done
	Err       error
}

func (e *Engine) observeHandled(in *Inbound, started time.Time, dup bool, err error) {
	if f := e.deps.Observer.Handled; f != nil {
		f(Handled{Channel: in.Channel, Kind: in.Kind, Took: time.Since(started), Duplicate: dup, Err: err})
	}
}

func (e *Engine) observeQueued(out []Outbound) {
	if f := e.deps.Observer.Queued; f != nil {
		for _, o := range out {
			f(o.Channel, o.Kind)
		}
	}
}

func (e *Engine) observePlugin(ref string, started time.Time, err error) {
	if f := e.deps.Observer.Plugin; f != nil {
		f(ref, time.Since(started), err)
	}
}

func (e *Engine) observeExtract(rec AIRecord, took time.Duration) {
	if f := e.deps.Observer.Extracted; f != nil {
		name := rec.Extractor
		if name == "" {
			name = "unknown"
		}
		f(name, took, rec.Outcome)
	}
}
