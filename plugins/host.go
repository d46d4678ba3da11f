package plugins

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

//go:embed *.lua
var shipped embed.FS

// ShippedFS returns the plugins that ship with AllMyLeads (pricing.lua and
// its tests).
func ShippedFS() fs.FS { return shipped }

// DefaultTimeout is the time one call may take when Options.Timeout is 0: a
// safety net, generous so that a busy machine never fails a legitimate
// quote; the instruction and memory budgets are what bound a call.
const DefaultTimeout = 2 * time.Second

// Options configures a Host.
type Options struct {
	Dir      string         // user folder of *.lua; "" = none. Files there override shipped files of the same name.
	Shipped  fs.FS          // shipped plugins; nil = none. Use ShippedFS().
	Timeout  time.Duration  // per call, a safety net behind the budgets below; 0 = 100ms
	Config   map[string]any // read-only ctx.config for every call
	Logger   *slog.Logger   // nil = discard
	Watch    bool           // hot reload Dir with fsnotify
	PoolSize int            // max idle states per file; 0 = GOMAXPROCS*2

	// AllocLimit is how many bytes one call may allocate; 0 = 64 MiB. The
	// call counts its own allocations (not the process's, so other
	// goroutines never fail it): the strings and table slots the sandbox's
	// functions and operators build, counted before they are built, and
	// the tables and closures its code makes, estimated from their
	// constructors. One string is at most 4 MiB.
	AllocLimit int64

	// InstructionLimit is how much work one call may do, in Lua VM
	// instructions (functions such as string.find and table.sort count
	// their work in the same unit); 0 = 10,000,000, a few hundred
	// milliseconds. Unlike Timeout, it does not depend on how busy the
	// machine is.
	InstructionLimit int64
}

// Input is what a plugin function is called with.
type Input struct {
	Contact string         // opaque contact tag for logs (already hashed by the caller)
	Vars    map[string]any // all variables; ctx.lead = Vars["lead"], ctx.project = Vars["project"], ctx.vars = Vars, ctx.config = Options.Config
}

// Result is what a plugin function returned.
type Result struct {
	Value any    // the returned value converted to Go (map[string]any, []any, string, float64, bool, nil); for a quote, Quote.Map()
	Quote *Quote // non-nil when the function returned a table with an `items` key: the host validates and computes it (pricing contract)
}

// Host runs the Lua plugins of one configuration: it compiles every file
// once, keeps a pool of ready states per file, and swaps in new versions of
// changed files when watching. It is safe for concurrent use.
type Host struct {
	opts   Options
	logger *slog.Logger
	files  atomic.Pointer[map[string]*version]
	mu     sync.Mutex // serializes swaps of files
	closed atomic.Bool

	watcher *fsnotify.Watcher
	stop    chan struct{}
	wg      sync.WaitGroup
}

// version is one compiled version of one file, with its pool of states.
type version struct {
	host    *Host
	name    string // "pricing"
	file    string // as users know it: DIR/pricing.lua, or pricing.lua when shipped
	user    bool   // from Options.Dir
	hash    string // SHA-256 of the source, hex
	prog    *program
	test    bool            // a *_test.lua file
	broken  *Error          // test files only: why it does not compile
	funcs   map[string]int  // global functions → line defined
	idle    chan *vm        // ready states
	gone    atomic.Bool     // replaced by a newer version
	config  map[string]any  // ctx.config
	lim     limits          // of one call
	log     *slog.Logger    // for log()
	subject func() *version // test files: the file under test
}

// Open compiles every plugin file (a user file overrides a shipped one of
// the same name), runs each file's top level once to learn its functions,
// and starts watching Dir when asked. Compile and load errors are *Error
// values with FILE:LINE (joined when there are several).
func Open(opts Options) (*Host, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.PoolSize <= 0 {
		opts.PoolSize = runtime.GOMAXPROCS(0) * 2
	}
	if opts.AllocLimit <= 0 {
		opts.AllocLimit = defaultAllocMax
	}
	if opts.InstructionLimit <= 0 {
		opts.InstructionLimit = defaultInstructionLimit
	}
	h := &Host{opts: opts, logger: opts.Logger}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	sources, err := h.readSources()
	if err != nil {
		return nil, err
	}
	files := make(map[string]*version, len(sources))
	var errs []error
	for _, src := range sources {
		v, err := h.compile(src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		files[v.name] = v
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	if len(errs) > 1 {
		return nil, errors.Join(errs...)
	}
	h.files.Store(&files)
	if opts.Watch && opts.Dir != "" {
		if err := h.watch(); err != nil {
			h.Close()
			return nil, err
		}
	}
	return h, nil
}

// source is one plugin file's text.
type source struct {
	name string // without .lua
	file string // display name
	user bool
	text []byte
}

func (h *Host) readSources() ([]source, error) {
	byName := map[string]source{}
	if h.opts.Shipped != nil {
		paths, err := fs.Glob(h.opts.Shipped, "*.lua")
		if err != nil {
			return nil, fmt.Errorf("list shipped plugins: %w", err)
		}
		for _, p := range paths {
			text, err := fs.ReadFile(h.opts.Shipped, p)
			if err != nil {
				return nil, fmt.Errorf("read shipped plugin %s: %w", p, err)
			}
			name := strings.TrimSuffix(p, ".lua")
			byName[name] = source{name: name, file: p, text: text}
		}
	}
	if h.opts.Dir != "" {
		entries, err := os.ReadDir(h.opts.Dir)
		if err != nil {
			return nil, fmt.Errorf("read plugins folder: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || filepath.Ext(e.Name()) != ".lua" {
				continue
			}
			src, err := h.readUserFile(e.Name())
			if err != nil {
				return nil, err
			}
			byName[src.name] = src
		}
	}
	out := make([]source, 0, len(byName))
	for _, s := range byName {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b source) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

func (h *Host) readUserFile(base string) (source, error) {
	path := filepath.Join(h.opts.Dir, base)
	name := strings.TrimSuffix(base, ".lua")
	if strings.ContainsAny(name, ". ") || name == "" {
		return source{}, &Error{File: path, Msg: "a plugin file name may not contain dots or spaces (flows call it as NAME.FUNCTION)"}
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return source{}, fmt.Errorf("read plugin: %w", err)
	}
	return source{name: name, file: path, user: true, text: text}, nil
}

// compile parses a file and, for plugin files, loads it into a first state
// (which becomes the pool's first idle state).
func (h *Host) compile(src source) (*version, error) {
	v := &version{
		host:   h,
		name:   src.name,
		file:   src.file,
		user:   src.user,
		hash:   sourceHash(src.text),
		test:   strings.HasSuffix(src.name, "_test"),
		idle:   make(chan *vm, h.opts.PoolSize),
		config: h.opts.Config,
		lim:    h.limits(),
		log:    h.logger,
	}
	prog, err := compileChunk(src.file, src.text)
	if err != nil {
		if v.test {
			// A broken test file must not stop the bot; `plugin test` reports it.
			v.broken = err
			h.logger.Warn("plugin test file does not compile", "error", err.Error())
			return v, nil
		}
		return nil, err
	}
	v.prog = prog
	if v.test {
		subject := strings.TrimSuffix(v.name, "_test")
		v.subject = func() *version { return h.current(subject) }
		return v, nil
	}
	first, lerr := v.newVM()
	if lerr != nil {
		return nil, lerr
	}
	v.funcs = map[string]int{}
	for k, val := first.module.Next(lua.LNil); k != lua.LNil; k, val = first.module.Next(k) {
		if fn, ok := val.(*lua.LFunction); ok && k.Type() == lua.LTString {
			v.funcs[k.String()] = fn.Proto.LineDefined
		}
	}
	v.idle <- first
	return v, nil
}

// sourceHash identifies a version of a plugin file: SHA-256, hex.
func sourceHash(text []byte) string {
	sum := sha256.Sum256(text)
	return hex.EncodeToString(sum[:])
}

// limits are the budgets of one call of the host's plugins.
func (h *Host) limits() limits {
	return limits{time: h.opts.Timeout, instructions: h.opts.InstructionLimit, bytes: h.opts.AllocLimit}
}

func compileChunk(file string, text []byte) (*program, *Error) {
	chunk, err := parse.Parse(strings.NewReader(string(text)), file)
	if err != nil {
		return nil, syntaxError(file, err)
	}
	prog, err := compileProgram(chunk, file)
	if err != nil {
		return nil, syntaxError(file, err)
	}
	return prog, nil
}

// newVM makes a state with the file loaded: its top level has run, so its
// functions and constants are defined.
func (v *version) newVM() (*vm, error) {
	m := newVM(vmConfig{chunk: v.file, names: v.prog.names, logger: v.log})
	if err := m.setConfig(v.config); err != nil {
		m.L.Close()
		return nil, &Error{File: v.file, Msg: "configuration: " + err.Error()}
	}
	if err := m.load(v.prog, v.file, v.lim); err != nil {
		m.L.Close()
		return nil, err
	}
	m.seal()
	return m, nil
}

func (m *vm) setConfig(cfg map[string]any) error {
	if cfg == nil {
		cfg = map[string]any{}
	}
	c, err := m.readOnly(cfg, "ctx.config", 0)
	if err != nil {
		return err
	}
	m.config = c
	return nil
}

// load runs a compiled file's top level with the file's globals as its
// environment.
func (m *vm) load(prog *program, file string, lim limits) *Error {
	fn := m.L.NewFunctionFromProto(prog.proto)
	fn.Env = m.env
	m.ref, m.contact = strings.TrimSuffix(filepath.Base(file), ".lua"), ""
	var args []lua.LValue
	if prog.helpers {
		args = m.helpers[:]
	}
	m.metered = true
	_, err := m.run(context.Background(), lim, fn, "", args...)
	m.metered = false
	return err
}

// maxErrorMsg bounds the message of an error a plugin raises: errors are
// logged and shown.
const maxErrorMsg = 2 << 10

// run calls fn(args...) under the limits and returns its first result.
func (m *vm) run(ctx context.Context, lim limits, fn *lua.LFunction, fname string, args ...lua.LValue) (ret lua.LValue, e *Error) {
	L := m.L
	m.cc.start(ctx, lim)
	defer m.cc.stop()
	m.logged = 0
	L.SetTop(0)
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = errors.New(panicMessage(fmt.Sprint(r)))
				m.broken = true
			}
		}()
		L.Push(fn)
		for _, a := range args {
			L.Push(a)
		}
		err = L.PCall(len(args), 1, nil)
	}()
	if err == nil && m.cc.tripped() {
		err = m.cc.err
	}
	if err != nil {
		e = luaError(m.chunks, m.names, fname, err)
		var api *lua.ApiError
		if errors.As(err, &api) && api.Type == lua.ApiErrorPanic {
			m.broken = true
		}
		if strings.Contains(e.Msg, "overflow") {
			m.broken = true // call stack or registry exhausted
		}
		if m.cc.tripped() {
			m.broken = true
			e.Msg = m.cc.err.Error()
			e.Timeout = m.cc.timeout
			e.cause = m.cc.err
			if ctxErr := ctx.Err(); ctxErr != nil && !m.cc.timeout {
				e.cause = ctxErr
				e.Msg = "stopped: " + ctxErr.Error()
			}
		}
		if len(e.Msg) > maxErrorMsg {
			e.Msg = strings.ToValidUTF8(e.Msg[:maxErrorMsg], "") + "... (cut)"
		}
		L.SetTop(0)
		return lua.LNil, e
	}
	ret = L.Get(-1)
	L.SetTop(0)
	return ret, nil
}

// current returns the version of a file now in use, or nil.
func (h *Host) current(name string) *version {
	files := h.files.Load()
	if files == nil {
		return nil
	}
	return (*files)[name]
}

// pricingFunc is the name of pricing functions: whatever else they return
// is an error, never a value saved as if it were a price.
const pricingFunc = "quote"

// ErrInvalidResult is matched (errors.Is) by the error of a call whose
// function returned what the host refuses: an invalid quote, a pricing
// function's non-quote, a function, NaN, a result too big to keep.
var ErrInvalidResult = errors.New("plugin returned an invalid result")

// notAQuote is the error for what a pricing function returned instead of
// a quote.
func notAQuote(ret lua.LValue) error {
	const want = "a pricing function must return a quote { currency = ..., items = { ... } }"
	switch ret.(type) {
	case *lua.LNilType:
		return errors.New("returned nothing; " + want)
	case *lua.LTable:
		return errors.New("returned a table without items; " + want)
	}
	return fmt.Errorf("returned a %s; %s", ret.Type(), want)
}

// ErrNotFound is matched (errors.Is) by the error of Has and Call when the
// file or function of a reference does not exist.
var ErrNotFound = errors.New("plugin not found")

type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

// splitRef splits "pricing.quote" into its file and function.
func splitRef(ref string) (file, fn string, err error) {
	file, fn, ok := strings.Cut(ref, ".")
	if !ok || file == "" || !isIdent(fn) {
		return "", "", fmt.Errorf("plugin %q: want FILE.FUNCTION, e.g. pricing.quote", ref)
	}
	return file, fn, nil
}

// Has checks a reference FILE.FUNCTION: nil when the file has that
// function, else an error (matching ErrNotFound) that says what is missing
// and suggests a near name.
func (h *Host) Has(ref string) error {
	_, _, err := h.resolve(ref)
	return err
}

func (h *Host) resolve(ref string) (*version, string, error) {
	file, fn, err := splitRef(ref)
	if err != nil {
		return nil, "", err
	}
	v := h.current(file)
	if v == nil || v.test {
		var names []string
		for name, f := range *h.files.Load() {
			if !f.test {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		msg := fmt.Sprintf("plugin file %s.lua not found", file)
		if v != nil {
			msg = fmt.Sprintf("%s is a test file, not a plugin", v.file)
		}
		s := suggest(file, names)
		if v != nil && h.current(strings.TrimSuffix(file, "_test")) != nil {
			s = strings.TrimSuffix(file, "_test")
		}
		if s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s+"."+fn)
		} else if len(names) > 0 {
			msg += " (plugins: " + strings.Join(names, ", ") + ")"
		} else {
			msg += " (no plugins are loaded)"
		}
		return nil, "", &notFoundError{msg}
	}
	if _, ok := v.funcs[fn]; !ok {
		names := make([]string, 0, len(v.funcs))
		for name := range v.funcs {
			names = append(names, name)
		}
		slices.Sort(names)
		msg := fmt.Sprintf("%s has no function %s", v.file, fn)
		if s := suggest(fn, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", file+"."+s)
		} else if len(names) > 0 {
			msg += " (functions: " + strings.Join(names, ", ") + ")"
		}
		return nil, "", &notFoundError{msg}
	}
	return v, fn, nil
}

// Source returns the SHA-256 (hex) of the source of a file in use, named
// with or without ".lua".
func (h *Host) Source(file string) (hash string, ok bool) {
	v := h.current(strings.TrimSuffix(file, ".lua"))
	if v == nil {
		return "", false
	}
	return v.hash, true
}

// Call runs FILE.FUNCTION with ctx = {lead, project, vars, config} built
// from in. The call is bounded by Options.Timeout and by ctx. A returned
// table with an `items` key is a quote: the host validates it and computes
// its amounts.
func (h *Host) Call(ctx context.Context, ref string, in Input) (*Result, error) {
	if h.closed.Load() {
		return nil, ErrClosed
	}
	v, fn, err := h.resolve(ref)
	if err != nil {
		return nil, err
	}
	m, err := v.acquire()
	if err != nil {
		return nil, err
	}
	res, err := v.call(ctx, m, ref, fn, in)
	v.release(m)
	return res, err
}

func (v *version) acquire() (*vm, error) {
	select {
	case m := <-v.idle:
		return m, nil
	default:
		return v.newVM()
	}
}

func (v *version) release(m *vm) {
	m.endViews()
	m.resetGlobals()
	if m.broken || v.gone.Load() || v.host.closed.Load() {
		m.L.Close()
		return
	}
	select {
	case v.idle <- m:
	default:
		m.L.Close()
	}
}

// retire closes the idle states of a version that was replaced; states in
// use are closed when released.
func (v *version) retire() {
	v.gone.Store(true)
	for {
		select {
		case m := <-v.idle:
			m.L.Close()
		default:
			return
		}
	}
}

func (v *version) call(ctx context.Context, m *vm, ref, fname string, in Input) (*Result, error) {
	m.ref, m.contact = ref, in.Contact
	fn, ok := m.module.RawGetString(fname).(*lua.LFunction)
	if !ok {
		return nil, &notFoundError{fmt.Sprintf("%s has no function %s", v.file, fname)}
	}
	arg, err := m.newCtx(in.Vars, m.config)
	if err != nil {
		return nil, &Error{File: v.file, Func: fname, Msg: err.Error()}
	}
	ret, e := m.run(ctx, v.lim, fn, fname, arg)
	if e != nil {
		return nil, e
	}
	fail := func(err error) error {
		return &Error{File: v.file, Line: fn.Proto.LineDefined, Func: fname, Msg: fname + ": " + err.Error(), cause: ErrInvalidResult}
	}
	if t, ok := ret.(*lua.LTable); ok {
		if t, err = m.plain(t); err != nil {
			return nil, fail(err)
		}
		ret = t
	}
	if t, ok := isQuote(ret); ok {
		res, err := buildQuoteResult(t, m.plain)
		if err != nil {
			return nil, fail(fmt.Errorf("invalid quote: %w", err))
		}
		q := res.Quote
		q.Plugin, q.SourceHash = ref, v.hash
		q.Inputs = map[string]any{"vars": in.Vars, "config": v.config}
		res.Value = q.Map()
		return res, nil
	}
	if fname == pricingFunc {
		return nil, fail(notAQuote(ret))
	}
	val, err := m.result(ret)
	if err != nil {
		return nil, fail(fmt.Errorf("cannot convert the result: %w", resultError(err)))
	}
	return &Result{Value: val}, nil
}

// newCtx fills a call's ctx table: lead and project (empty tables when
// unknown), vars, and the read-only config, as lazy views of the Go values.
// The table is reused by the next call on this state unless the call added
// keys to it, and so are the views of lead, project and vars unless the
// call filled them (by writing to them or walking them).
func (m *vm) newCtx(vars map[string]any, config lua.LValue) (*lua.LTable, error) {
	t := m.ctx
	if t == nil || m.ctxDirty {
		t = m.L.CreateTable(0, 4)
		t.Metatable = m.ctxMT
		m.ctx, m.ctxDirty = t, false
	}
	for i, k := range [...]string{"lead", "project"} {
		x, ok := vars[k]
		if !ok || x == nil {
			x = map[string]any(nil)
		}
		var lv lua.LValue
		var err error
		if mx, ok := x.(map[string]any); ok {
			lv = m.lazyIn(m.ctxView(i), mx, [...]string{"ctx.lead", "ctx.project"}[i], "", 0)
		} else if lv, err = m.toLua(x, "ctx", k, 0); err != nil {
			return nil, err
		}
		setField(t, k, lv)
	}
	if vars == nil {
		vars = map[string]any{}
	}
	setField(t, "vars", m.lazyIn(m.ctxView(2), vars, "ctx.vars", "", 0))
	setField(t, "config", config)
	return t, nil
}

// setField sets t[k] = v unless it holds v already: a reused ctx mostly
// does, and a read costs less than gopher-lua's write.
func setField(t *lua.LTable, k string, v lua.LValue) {
	if t.RawGetString(k) != v {
		t.RawSetString(k, v)
	}
}

// ctxView returns the table for view i of ctx (lead, project, vars): the
// previous call's when that call has ended (its views are forgotten) and
// left it an empty view, else a new table.
func (m *vm) ctxView(i int) *lua.LTable {
	t := m.ctxViews[i]
	if t != nil && t.Metatable == m.lazyMT {
		_, live := m.pending[t] // a ctx of a call still running (assert_quote_total)
		if k, _ := t.Next(lua.LNil); k == lua.LNil && !live {
			return t
		}
	}
	t = m.L.CreateTable(0, 0)
	m.ctxViews[i] = t
	return t
}

// ctxNewIndex lets a call add keys to ctx, and marks the table so the next
// call starts from a fresh one.
func (m *vm) ctxNewIndex(L *lua.LState) int {
	t := L.CheckTable(1)
	k := L.Get(2)
	if k == lua.LNil {
		L.RaiseError("table index is nil")
	}
	m.guardSlot(L, t, k)
	m.ctxDirty = true
	t.RawSet(k, L.Get(3))
	return 0
}

// plain returns the contents of a table that may be a lazy view or a
// read-only proxy.
func (m *vm) plain(t *lua.LTable) (*lua.LTable, error) {
	if t.Metatable == m.lazyMT {
		if err := m.materialize(t); err != nil {
			return nil, err
		}
	}
	if src, ok := m.readonly[t]; ok {
		return src.backing, nil
	}
	return t, nil
}

// Close stops watching and closes idle states. Calls in flight finish;
// later calls return ErrClosed.
func (h *Host) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	var err error
	if h.watcher != nil {
		close(h.stop)
		err = h.watcher.Close()
		h.wg.Wait()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if files := h.files.Load(); files != nil {
		for _, v := range *files {
			v.retire()
		}
	}
	return err
}
