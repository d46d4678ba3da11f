package flowtest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/extract"
	"github.com/allmyleads/allmyleads/flows"
)

// Channel is the channel tests speak on. It shows what WhatsApp shows and
// has its 24-hour window and templates, so reminders behave as they will.
const Channel = "test"

// Backend is what a test needs of a store: sessions and turns, and the
// due-time index of timers.
type Backend interface {
	core.Store
	core.Timers
}

// Options say what a test runs against.
type Options struct {
	Flows   *flows.Set
	Plugins engine.Plugins
	Config  engine.Config // the business's configuration (texts, quiet hours...)
	// Open opens a throwaway store on the test's clock; close removes it.
	Open func(clock func() time.Time) (b Backend, rights core.Rights, close func() error, err error)
}

// Result is how one test went.
type Result struct {
	File    *File
	Failure *Failure // nil when it passed
}

// Failure is the first step that went otherwise than the test expects.
type Failure struct {
	Line int
	// Msg says what was expected and what came instead: every bot
	// message since the step before, one per line.
	Msg string
}

// Passed says whether the test passed.
func (r Result) Passed() bool { return r.Failure == nil }

// String renders a failure as FILE:LINE: message.
func (r Result) String() string {
	if r.Failure == nil {
		return fmt.Sprintf("%s: ok", r.File.Path)
	}
	return fmt.Sprintf("%s:%d: %s", r.File.Path, r.Failure.Line, r.Failure.Msg)
}

// clock is a test's fake clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// ids hands out sequential ids, so a test's quotes are q_1, q_2...
type ids struct {
	mu sync.Mutex
	n  int
}

func (i *ids) next(prefix string) string {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.n++
	return fmt.Sprintf("%s%d", prefix, i.n)
}

// run is one test in progress.
type run struct {
	f     *File
	clock *clock
	b     Backend
	eng   *engine.Engine
	sched *engine.Scheduler
	seq   int

	mu    sync.Mutex
	fired []core.Outbound
}

// Run plays one test. The error is for what stops a test from running at
// all (a store that does not open, a start flow that does not exist); a
// conversation that goes otherwise is a Failure in the Result.
func Run(ctx context.Context, f *File, o Options) (Result, error) {
	res := Result{File: f}
	r := &run{f: f, clock: &clock{now: f.Now}}
	b, rights, closeFn, err := o.Open(r.clock.Now)
	if err != nil {
		return res, fmt.Errorf("%s: open a throwaway store: %w", f.Path, err)
	}
	defer closeFn()
	r.b = b
	cfg := o.Config
	if f.Start != "" {
		if o.Flows.Flow(f.Start) == nil {
			return res, Problem{Path: f.Path, Line: f.StartPos, Msg: fmt.Sprintf("start: no flow %q", f.Start)}
		}
		cfg.StartFlow = f.Start
	}
	channels := &core.Channels{}
	if err := channels.Register(testChannel{}); err != nil {
		return res, err
	}
	ids := &ids{}
	r.eng, err = engine.New(cfg, engine.Deps{
		Store: b, Flows: o.Flows, Plugins: o.Plugins, Extractor: extract.NewOffline(), Rights: rights,
		Clock: r.clock.Now, NewID: ids.next, Channels: channels,
	})
	if err != nil {
		return res, fmt.Errorf("%s: %w", f.Path, err)
	}
	r.sched = engine.NewScheduler(r.eng, engine.SchedulerOptions{Timers: b, Clock: r.clock.Now, Workers: 1, Fired: r.collect})
	if f.Language != "" {
		if err := r.setLanguage(ctx); err != nil {
			return res, err
		}
	}
	var since []core.Outbound // bot messages since the last customer, photo or wait step
	for _, s := range f.Steps {
		var fail string
		switch s.Kind {
		case StepCustomer, StepPhoto:
			since, fail = r.send(ctx, s)
		case StepWait:
			since, fail = r.wait(ctx, s.Wait)
		case StepBot:
			if !anyContains(since, s.Text) {
				fail = fmt.Sprintf("expected a bot message containing %q; %s", s.Text, describe(since))
			}
		case StepBotNot:
			if m, ok := firstContaining(since, s.Text); ok {
				fail = fmt.Sprintf("expected no bot message containing %q; the bot sent:\n    %s", s.Text, indent(render(m)))
			}
		case StepExpect:
			fail = r.expect(ctx, s)
		}
		if fail != "" {
			res.Failure = &Failure{Line: s.Line, Msg: fail}
			return res, nil
		}
	}
	return res, nil
}

func (r *run) collect(_ core.Timer, out []core.Outbound) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fired = append(r.fired, out...)
}

// setLanguage saves the customer's language before the first message, as
// contact.language.
func (r *run) setLanguage(ctx context.Context) error {
	now := r.clock.Now()
	sess := &core.Session{Contact: r.f.Contact, Channel: Channel, Vars: map[string]any{}, Started: now, Updated: now,
		Language: r.f.Language, LanguageAsked: true} // answered in it from the first message
	sess.SetVar("contact.language", r.f.Language)
	if err := r.b.Commit(ctx, &core.Turn{Session: sess}); err != nil {
		return fmt.Errorf("%s: set the language: %w", r.f.Path, err)
	}
	return nil
}

// send hands the customer's message to the engine.
func (r *run) send(ctx context.Context, s Step) ([]core.Outbound, string) {
	r.seq++
	in := core.Inbound{
		Channel: Channel, Contact: r.f.Contact, ID: fmt.Sprintf("test-%04d", r.seq),
		Time: r.clock.Now(), Kind: core.InText, Text: s.Text,
	}
	if s.Kind == StepPhoto {
		in.Kind = core.InImage
		in.Media = []core.Media{{MIME: mimeOf(s.photoOK), Caption: s.Text, Filename: s.Photo, Data: s.photoOK}}
	}
	out, err := r.eng.Handle(ctx, in)
	if err != nil {
		return nil, fmt.Sprintf("the bot failed to handle the message: %v", err)
	}
	return out, ""
}

// wait moves the clock on, firing what falls due at its time.
func (r *run) wait(ctx context.Context, d time.Duration) ([]core.Outbound, string) {
	if _, err := r.sched.RunUntil(ctx, r.clock.Now().Add(d), r.clock.Set); err != nil {
		return nil, fmt.Sprintf("a reminder failed: %v", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.fired
	r.fired = nil
	return out, ""
}

// expect compares variables with the session's.
func (r *run) expect(ctx context.Context, s Step) string {
	sess, err := r.b.Session(ctx, r.f.Contact)
	if err != nil {
		return fmt.Sprintf("cannot read the conversation: %v", err)
	}
	var vars map[string]any
	if sess != nil {
		vars = sess.Vars
	}
	var bad []string
	for _, e := range s.Expect {
		got, ok := lookup(vars, e.Path)
		if !same(e.Value, got, ok) {
			bad = append(bad, fmt.Sprintf("%s = %s, but it is %s", e.Path, show(e.Value, true), show(got, ok)))
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return "expected " + strings.Join(bad, "; ")
}

func lookup(vars map[string]any, path string) (any, bool) {
	var cur any = vars
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// same compares an expected value with a variable: numbers as numbers
// (3327.50 is 3327.5), null as not set, the rest as text.
func same(want, got any, found bool) bool {
	if want == nil {
		return !found || got == nil
	}
	if !found {
		return false
	}
	if wf, ok := number(want); ok {
		gf, ok := number(got)
		return ok && math.Abs(wf-gf) < 1e-9
	}
	return fmt.Sprint(want) == fmt.Sprint(got)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func show(v any, found bool) string {
	switch {
	case !found || v == nil:
		return "not set"
	case isText(v):
		return strconv.Quote(fmt.Sprint(v))
	}
	return fmt.Sprint(v)
}

func isText(v any) bool { _, ok := v.(string); return ok }

// render is a bot message as a test reads it: its text (or a file's
// caption and name, or a template's name), then its options' titles.
func render(m core.Outbound) string {
	var b strings.Builder
	switch {
	case m.Kind == core.OutTemplate && m.Template != nil:
		b.WriteString("[template " + m.Template.Name + "]")
	case m.Media != nil:
		b.WriteString(strings.TrimSpace(m.Media.Caption + " [" + string(m.Kind) + " " + m.Media.Filename + "]"))
	default:
		b.WriteString(m.Text)
	}
	for i, o := range m.Options {
		fmt.Fprintf(&b, "\n%d) %s", i+1, o.Title)
	}
	return b.String()
}

// fold makes matching forgiving about what people do not see or cannot
// type: case, runs of spaces and line breaks, and WhatsApp's *bold* and
// _italic_ marks.
func fold(s string) string {
	s = strings.NewReplacer("*", "", "_", "", "~", "").Replace(strings.ToLower(s))
	return strings.Join(strings.Fields(s), " ")
}

func anyContains(out []core.Outbound, text string) bool {
	_, ok := firstContaining(out, text)
	return ok
}

func firstContaining(out []core.Outbound, text string) (core.Outbound, bool) {
	want := fold(text)
	for _, m := range out {
		if strings.Contains(fold(render(m)), want) {
			return m, true
		}
	}
	return core.Outbound{}, false
}

// describe lists what the bot sent, for a failure.
func describe(out []core.Outbound) string {
	if len(out) == 0 {
		return "the bot sent nothing"
	}
	var b strings.Builder
	b.WriteString("the bot sent:")
	for _, m := range out {
		b.WriteString("\n    ")
		b.WriteString(indent(render(m)))
	}
	return b.String()
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }

// testChannel has WhatsApp's capabilities.
type testChannel struct{}

var _ core.Channel = testChannel{}

func (testChannel) Name() string { return Channel }

func (testChannel) Capabilities() core.Capabilities {
	return core.Capabilities{
		MaxButtons: 3, MaxButtonTitle: 20, MaxListRows: 10, MaxRowTitle: 24, MaxText: 4096,
		Media: []string{"image", "document"}, Window: flows.Window, Templates: true,
	}
}

func (testChannel) Send(context.Context, core.Outbound) (string, error) { return "", nil }

// samplePhoto is the built-in photo: a small picture of roof tiles.
func samplePhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for y := range 24 {
		for x := range 32 {
			c := color.RGBA{R: 178, G: 84, B: 52, A: 255} // terracotta
			if y%6 == 0 || (x+(y/6)*4)%8 == 0 {
				c = color.RGBA{R: 90, G: 50, B: 40, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // an in-memory image always encodes
	return buf.Bytes()
}

func mimeOf(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG")):
		return "image/png"
	case bytes.HasPrefix(data, []byte("\xff\xd8")):
		return "image/jpeg"
	}
	return "image/jpeg"
}
