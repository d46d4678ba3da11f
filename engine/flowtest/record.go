package flowtest

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/flows"
)

// Recorder writes a conversation as a test file: what the customer typed
// as customer (and photo) steps, time that passed as wait steps, and what
// the bot said as bot checks (each message's first line), so an office
// manager records a test by chatting. It is safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	name    string
	contact string
	start   time.Time
	last    time.Time
	steps   []*yaml.Node
}

// minGap is the shortest pause between two messages written as a wait.
const minGap = time.Minute

// NewRecorder starts a recording of a conversation with contact (a URN or
// phone number) whose clock stands at start.
func NewRecorder(name, contact string, start time.Time) *Recorder {
	start = start.UTC().Truncate(time.Second)
	return &Recorder{name: name, contact: contact, start: start, last: start}
}

// At says what the clock shows before the customer's next message: a pause
// of a minute or more becomes a wait step, so reminders fire as they did.
func (r *Recorder) At(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gap := now.Sub(r.last); gap >= minGap {
		r.add(StepWait, flows.FormatDuration(gap.Truncate(time.Minute)))
		r.last = r.last.Add(gap.Truncate(time.Minute))
	}
}

// Customer records a text the customer sent.
func (r *Recorder) Customer(text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(StepCustomer, text)
}

// Photo records a photo the customer sent: a file name or "sample", and
// its caption.
func (r *Recorder) Photo(name, caption string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(StepPhoto, strings.TrimSpace(name+" "+caption))
}

// Waited records time moved on by hand (/wait in the chat).
func (r *Recorder) Waited(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(StepWait, flows.FormatDuration(d))
	r.last = r.last.Add(d)
}

// Bot records a bot message as a check of its first line.
func (r *Recorder) Bot(m core.Outbound) {
	line := firstLine(render(m))
	if line == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(StepBot, line)
}

func firstLine(s string) string {
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

func (r *Recorder) add(kind, value string) {
	r.steps = append(r.steps, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar(kind), scalar(value)}})
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// WriteTo writes the test file.
func (r *Recorder) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	top := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) { top.Content = append(top.Content, scalar(k), v) }
	add("name", scalar(r.name))
	if r.contact != "" {
		add("contact", scalar(r.contact))
	}
	add("now", scalar(r.start.Format(time.RFC3339)))
	add("steps", &yaml.Node{Kind: yaml.SequenceNode, Content: r.steps})
	var buf bytes.Buffer
	buf.WriteString("# Recorded with `allmyleads chat --record`. Edit the bot lines to check what matters;\n")
	buf.WriteString("# run it with `allmyleads flow test`.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{top}}); err != nil {
		return 0, fmt.Errorf("write the test: %w", err)
	}
	if err := enc.Close(); err != nil {
		return 0, fmt.Errorf("write the test: %w", err)
	}
	n, err := w.Write(buf.Bytes())
	return int64(n), err
}
