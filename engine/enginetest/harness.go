// Package enginetest runs real conversations for tests: a real bbolt store
// in a temporary folder, real flows and Lua plugins, the offline extractor
// (or a given one), a fixed clock and sequential ids, so transcripts are
// deterministic and can be compared with golden files.
package enginetest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/extract"
	"github.com/allmyleads/allmyleads/engine/store"
	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/plugins"
)

// Epoch is the fixed time every harness starts at.
var Epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Options configure a harness. Zero values take the shipped flows and
// plugins, the offline extractor and the engine's defaults.
type Options struct {
	FlowsDir  string // "" = the shipped flows
	Config    engine.Config
	Extractor core.Extractor
	Plugins   engine.Plugins // nil = the shipped plugins
	NoSeal    bool           // benchmarks only: store plaintext to measure encryption's cost
	NoSync    bool           // skip fsync: setting up large tests (a kill -9 loses no written page)
	// DB is a database file to start from (copied, so the file stays as it
	// is), opened with Key; "" starts with an empty database and a new key.
	DB  string
	Key []byte
	// Channels tells the engine what each channel can show (nil: the
	// engine's fallback for every channel).
	Channels *core.Channels
	// OnOutbound is called after a commit that queued messages (a
	// channel's sender's Wake).
	OnOutbound func()
	// Observer is told what the engine does (metrics).
	Observer engine.Observer
	// Notifier turns each turn's events into notices (the owner's alerts,
	// webhooks).
	Notifier core.Notifier
}

// Harness is a running engine over a real store.
type Harness struct {
	T       testing.TB
	Opts    Options
	Path    string
	Key     []byte
	Clock   *Clock
	Store   *store.Store
	Engine  *engine.Engine
	Flows   *flows.Set
	Plugins engine.Plugins
	// Scheduler fires the engine's timers on the harness's clock: Advance
	// moves the clock and fires what falls due on the way.
	Scheduler *engine.Scheduler
	ids       *IDs
	seq       atomic.Int64 // message ids; Say is safe from several goroutines

	firedMu sync.Mutex
	fired   []Fired // timers fired since the last TakeFired
}

// Fired is what one timer queued, and when it fired.
type Fired struct {
	At  time.Time
	Out []core.Outbound
}

// New starts a harness; it is closed when the test ends.
func New(t testing.TB, o Options) *Harness {
	t.Helper()
	key, err := store.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if o.Key != nil {
		key = o.Key
	}
	h := &Harness{T: t, Opts: o, Path: t.TempDir() + "/test.db", Key: key, Clock: &Clock{now: Epoch}, ids: &IDs{}}
	if o.DB != "" {
		data, err := os.ReadFile(o.DB)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(h.Path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h.Flows = LoadFlows(t, o.FlowsDir)
	h.Plugins = o.Plugins
	if h.Plugins == nil {
		host, err := plugins.Open(plugins.Options{Shipped: plugins.ShippedFS(), Timeout: time.Second, Config: map[string]any{"currency": "EUR"}})
		if err != nil {
			t.Fatalf("open plugins: %v", err)
		}
		t.Cleanup(func() { host.Close() })
		h.Plugins = host
	}
	h.open()
	t.Cleanup(func() { h.Store.Close() })
	return h
}

// LoadFlows loads a flow folder, or the shipped flows, failing on errors.
func LoadFlows(t testing.TB, dir string) *flows.Set {
	t.Helper()
	set, diags := flows.Load(dir)
	if diags.HasErrors() {
		t.Fatalf("load flows %q:\n%v", dir, diags)
	}
	return set
}

func (h *Harness) open() {
	h.T.Helper()
	st, err := store.Open(store.Options{Path: h.Path, Key: h.Key, Clock: h.Clock.Now, NoSeal: h.Opts.NoSeal, NoSync: h.Opts.NoSync})
	if err != nil {
		h.T.Fatalf("open store: %v", err)
	}
	h.Store = st
	xt := h.Opts.Extractor
	if xt == nil {
		xt = extract.NewOffline()
	}
	cfg := h.Opts.Config
	if cfg.Business == nil {
		cfg.Business = map[string]any{"business_name": "Brightside Roofing & Painting", "privacy_url": "https://example.com/privacy", "currency": "EUR"}
	}
	eng, err := engine.New(cfg, engine.Deps{
		Store: st, Flows: h.Flows, Plugins: h.Plugins, Extractor: xt, Rights: st.ChatRights(),
		Clock: h.Clock.Now, NewID: h.ids.Next, Tag: st.ContactKey, Channels: h.Opts.Channels,
		OnOutbound: h.Opts.OnOutbound, Observer: h.Opts.Observer, Notifier: h.Opts.Notifier,
	})
	if err != nil {
		h.T.Fatalf("engine: %v", err)
	}
	h.Engine = eng
	h.Scheduler = engine.NewScheduler(eng, engine.SchedulerOptions{Timers: st, Clock: h.Clock.Now, Workers: 1, Fired: h.collect})
}

func (h *Harness) collect(_ core.Timer, out []core.Outbound) {
	h.firedMu.Lock()
	defer h.firedMu.Unlock()
	if len(out) > 0 {
		h.fired = append(h.fired, Fired{At: h.Clock.Now(), Out: out})
	}
}

// TakeFired returns what timers queued since the last call.
func (h *Harness) TakeFired() []Fired {
	h.firedMu.Lock()
	defer h.firedMu.Unlock()
	out := h.fired
	h.fired = nil
	return out
}

// Advance moves the clock on by d, firing each timer that falls due on the
// way at its time, and returns what they queued.
func (h *Harness) Advance(d time.Duration) []Fired {
	h.T.Helper()
	if _, err := h.Scheduler.RunUntil(context.Background(), h.Clock.Now().Add(d), h.Clock.Set); err != nil {
		h.T.Fatalf("timers: %v", err)
	}
	return h.TakeFired()
}

// Reopen closes the store and opens it again with a new engine, as a
// restarted process would.
func (h *Harness) Reopen() {
	h.T.Helper()
	if err := h.Store.Close(); err != nil {
		h.T.Fatalf("close store: %v", err)
	}
	h.open()
}

// Message builds an inbound text message with the next message id.
func (h *Harness) Message(contact, text string) core.Inbound {
	seq := h.seq.Add(1)
	return core.Inbound{Channel: "test", Contact: contact, ID: fmt.Sprintf("m%04d", seq), Time: h.Clock.Now(), Kind: core.InText, Text: text}
}

// Photo builds an inbound image message.
func (h *Harness) Photo(contact string, data []byte, caption string) core.Inbound {
	in := h.Message(contact, caption)
	in.Kind = core.InImage
	in.Media = []core.Media{{MIME: "image/jpeg", Caption: caption, Data: data}}
	return in
}

// Send handles one message and returns what the bot queued.
func (h *Harness) Send(in core.Inbound) []core.Outbound {
	h.T.Helper()
	out, err := h.Engine.Handle(context.Background(), in)
	if err != nil {
		h.T.Fatalf("handle %q: %v", in.Text, err)
	}
	return out
}

// Say sends a text and returns what the bot queued.
func (h *Harness) Say(contact, text string) []core.Outbound {
	h.T.Helper()
	return h.Send(h.Message(contact, text))
}

// Session returns the contact's stored session.
func (h *Harness) Session(contact string) *core.Session {
	h.T.Helper()
	s, err := h.Store.Session(context.Background(), contact)
	if err != nil {
		h.T.Fatalf("session: %v", err)
	}
	return s
}

// Format renders bot messages as transcript lines.
func Format(out []core.Outbound) string {
	var b strings.Builder
	for _, m := range out {
		text := m.Text
		if m.Media != nil {
			text = fmt.Sprintf("[%s %s] %s", m.Kind, m.Media.Filename, m.Media.Caption)
		}
		if m.Kind == core.OutTemplate && m.Template != nil {
			text = "[template " + m.Template.Name + "]"
		}
		fmt.Fprintf(&b, "bot: %s\n", strings.ReplaceAll(text, "\n", "\n     "))
		var opts []string
		for i, o := range m.Options {
			opts = append(opts, fmt.Sprintf("[%d %s]", i+1, o.Title))
		}
		if len(opts) > 0 {
			fmt.Fprintf(&b, "     %s\n", strings.Join(opts, " "))
		}
	}
	return b.String()
}

// Clock is a settable clock safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// IDs hands out sequential ids ("q_1", "c_2"...), safe for concurrent use.
type IDs struct {
	mu sync.Mutex
	n  int
}

// Next returns the next id with the prefix.
func (i *IDs) Next(prefix string) string {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.n++
	return fmt.Sprintf("%s%d", prefix, i.n)
}
