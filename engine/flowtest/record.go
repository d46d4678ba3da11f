package flowtest

import (
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
	steps   []step
	started bool // the customer said something: bot lines before are not the test's
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
	if gap := now.Sub(r.last); gap >= minGap && r.started {
		r.add(StepWait, flows.FormatDuration(gap.Truncate(time.Minute)))
		r.last = r.last.Add(gap.Truncate(time.Minute))
	} else if !r.started {
		r.start, r.last = now.UTC().Truncate(time.Second), now // time before the first message is not part of the test
	}
}

// Customer records a text the customer sent.
func (r *Recorder) Customer(text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(StepCustomer, text)
	r.started = true
}

// Photo records a photo the customer sent: a file name or "sample", and
// its caption.
func (r *Recorder) Photo(name, caption string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(StepPhoto, strings.TrimSpace(name+" "+caption))
	r.started = true
}

// Waited records time moved on by hand (/wait in the chat).
func (r *Recorder) Waited(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(StepWait, flows.FormatDuration(d))
	r.last = r.last.Add(d)
	r.started = true
}

// Bot records a bot message as a check of its first line.
func (r *Recorder) Bot(m core.Outbound) {
	line := firstLine(render(m))
	if line == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		r.add(StepBot, line)
	}
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
	r.steps = append(r.steps, step{kind, value})
}

// step is one recorded line of the test.
type step struct{ kind, value string }

// WriteTo writes the test file, in the plain YAML people write: values
// bare where that reads back the same, else in single quotes (emoji and
// accents as they are, never escaped).
func (r *Recorder) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	b.WriteString("# Recorded with `allmyleads chat --record`. Edit the bot lines to check what matters;\n")
	b.WriteString("# run it with `allmyleads flow test`.\n")
	fmt.Fprintf(&b, "name: %s\n", quote(r.name))
	if r.contact != "" {
		fmt.Fprintf(&b, "contact: %s\n", quote(r.contact))
	}
	fmt.Fprintf(&b, "now: %s\n", r.start.Format(time.RFC3339))
	b.WriteString("steps:\n")
	for _, s := range r.steps {
		fmt.Fprintf(&b, "  - %s: %s\n", s.kind, quote(s.value))
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// quote writes a one-line text as a YAML value that reads back as the
// same text.
func quote(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if plainOK(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// plainOK says whether s reads back as itself, as text, without quotes.
func plainOK(s string) bool {
	if s == "" || s != strings.TrimSpace(s) || strings.ContainsAny(s[:1], "!&*-:?{}[],#|>@`\"'%") {
		return false
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") {
		return false
	}
	switch strings.ToLower(s) {
	case "yes", "no", "y", "n", "on", "off": // booleans to older YAML readers
		return false
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte("v: "+s), &m); err != nil {
		return false
	}
	got, ok := m["v"].(string)
	return ok && got == s
}
