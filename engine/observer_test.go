package engine_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

// observed records what an Observer was told.
type observed struct {
	mu       sync.Mutex
	handled  []engine.Handled
	queued   map[string]int // channel/kind
	plugins  []string       // ref:error?
	extracts []string       // extractor:outcome
}

func (o *observed) observer() engine.Observer {
	o.queued = map[string]int{}
	return engine.Observer{
		Handled: func(h engine.Handled) { o.mu.Lock(); o.handled = append(o.handled, h); o.mu.Unlock() },
		Queued: func(channel string, kind core.OutboundKind) {
			o.mu.Lock()
			o.queued[channel+"/"+string(kind)]++
			o.mu.Unlock()
		},
		Plugin: func(ref string, took time.Duration, err error) {
			o.mu.Lock()
			o.plugins = append(o.plugins, ref+":"+map[bool]string{true: "error", false: "ok"}[err != nil])
			o.mu.Unlock()
		},
		Extracted: func(x string, took time.Duration, outcome string) {
			o.mu.Lock()
			o.extracts = append(o.extracts, x+":"+outcome)
			o.mu.Unlock()
		},
	}
}

// TestObserverSeesTheConversation: the shipped conversation reports each
// message handled (a repeat as a duplicate), what was queued by kind, the
// pricing plugin and the photo reading.
func TestObserverSeesTheConversation(t *testing.T) {
	var o observed
	h := enginetest.New(t, enginetest.Options{Observer: o.observer()})
	var last core.Inbound
	for _, line := range shippedScript(t) {
		if caption, ok := strings.CutPrefix(line, "photo: - "); ok {
			last = h.Photo(enginetest.DefaultContact, []byte("\xff\xd8\xff\xe0synthetic"), caption)
		} else {
			last = h.Message(enginetest.DefaultContact, strings.TrimPrefix(line, "you: "))
		}
		h.Send(last)
	}
	h.Send(last) // delivered twice
	lines := len(shippedScript(t))
	if len(o.handled) != lines+1 {
		t.Fatalf("%d messages handled, want %d", len(o.handled), lines+1)
	}
	for i, hd := range o.handled {
		if hd.Err != nil || hd.Channel != "test" || hd.Took <= 0 || hd.Duplicate != (i == lines) {
			t.Errorf("handled #%d: %+v", i, hd)
		}
	}
	if o.handled[9].Kind != core.InImage {
		t.Errorf("the photo was reported as %q", o.handled[9].Kind)
	}
	if o.queued["test/text"] == 0 || o.queued["test/buttons"] == 0 {
		t.Errorf("queued: %v", o.queued)
	}
	if strings.Join(o.plugins, ",") != "pricing.quote:ok" {
		t.Errorf("plugins: %v", o.plugins)
	}
	if strings.Join(o.extracts, ",") != "offline:ok,offline:ok" { // the description, the photos
		t.Errorf("extracts: %v", o.extracts)
	}
}
