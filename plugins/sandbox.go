package plugins

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/metrics"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Limits of one Lua state. The call stack bounds recursion; the registry
// (Lua's value stack) bounds varargs, unpack and deep expressions.
const (
	callStackSize    = 200
	registrySize     = 1024
	registryMaxSize  = 64 * 1024
	registryGrowStep = 4096
	maxStringBytes   = 4 << 20 // string.rep, string.format and table.concat results
	defaultAllocMax  = 64 << 20
	checkEvery       = 1024 // instructions between clock checks
	allocCheckEvery  = 16   // clock checks between allocation checks
)

// forbidden names what the sandbox takes away, with the reason a plugin
// author reads in the error.
var forbidden = map[string]string{
	"os":             "not available in plugins",
	"io":             "not available in plugins",
	"debug":          "not available in plugins",
	"package":        "not available in plugins",
	"require":        "not available in plugins (put shared code in the same file)",
	"module":         "not available in plugins",
	"dofile":         "not available in plugins",
	"loadfile":       "not available in plugins",
	"load":           "not available in plugins",
	"loadstring":     "not available in plugins",
	"setfenv":        "not available in plugins",
	"getfenv":        "not available in plugins",
	"collectgarbage": "not available in plugins",
	"rawset":         "not available in plugins",
	"newproxy":       "not available in plugins",
	"coroutine":      "not available in plugins",
	"channel":        "not available in plugins",
	"_printregs":     "not available in plugins",
}

// forbiddenFields are library members the sandbox removes.
var forbiddenFields = map[string]map[string]string{
	"string": {"dump": "not available in plugins"},
	"math": {
		"random":     "not available in plugins (a price must be reproducible)",
		"randomseed": "not available in plugins (a price must be reproducible)",
	},
}

// vm is one sandboxed Lua state with everything a call needs. It is used
// by one goroutine at a time.
type vm struct {
	L        *lua.LState
	lib      *lua.LTable    // the safe globals, shared by every call on this state
	chunks   []string       // chunk names of the files loaded: as users know them
	config   lua.LValue     // ctx.config (read-only)
	ctx      *lua.LTable    // the ctx table, reused between calls
	ctxMT    *lua.LTable    // notices keys added to ctx
	ctxDirty bool           // a call added keys to ctx
	ctxViews [3]*lua.LTable // views of ctx.lead, ctx.project and ctx.vars, reused while left empty
	logger   *slog.Logger

	// Plugin files run with env as their environment. While a file loads,
	// env forwards reads and writes to module, the file's own globals. Once
	// sealed, env reads from globals (the safe library plus the module) and
	// holds what a call assigns itself, wiped after every call.
	env, envMT *lua.LTable
	module     *lua.LTable
	globals    *lua.LTable

	lazyMT     *lua.LTable
	ipairsIter *lua.LFunction
	typeNames  [9]lua.LValue              // type() results, boxed once
	pending    map[*lua.LTable]lazySource // lazy views not yet filled
	kids       map[kidKey]*lua.LTable     // nested views read in this call
	readonly   map[*lua.LTable]roSource   // read-only proxies

	cc      callCtx
	ref     string // current call, for log()
	contact string
	broken  bool // interrupted or out of limits: never reuse
}

type vmConfig struct {
	chunk    string
	logger   *slog.Logger
	nilSafe  bool // conditions: indexing nil gives nil
	allocMax uint64
}

// newVM builds a sandboxed state: only the safe parts of base, string,
// table and math, the helpers log and round, and guards that name what is
// forbidden.
func newVM(cfg vmConfig) *vm {
	L := lua.NewState(lua.Options{
		CallStackSize:    callStackSize,
		RegistrySize:     registrySize,
		RegistryMaxSize:  registryMaxSize,
		RegistryGrowStep: registryGrowStep,
		SkipOpenLibs:     true,
	})
	for _, open := range []lua.LGFunction{lua.OpenBase, lua.OpenString, lua.OpenTable, lua.OpenMath} {
		L.Push(L.NewFunction(open))
		L.Call(0, 0)
	}
	v := &vm{
		L:        L,
		chunks:   []string{cfg.chunk},
		logger:   cfg.logger,
		pending:  make(map[*lua.LTable]lazySource),
		kids:     make(map[kidKey]*lua.LTable),
		readonly: make(map[*lua.LTable]roSource),
	}
	v.cc.init(cfg.allocMax)
	globals := L.G.Global
	lib := L.CreateTable(0, 40)
	for _, name := range []string{"assert", "error", "getmetatable", "pcall", "rawequal", "rawget",
		"select", "setmetatable", "tonumber", "tostring", "xpcall", "_VERSION"} {
		lib.RawSetString(name, globals.RawGetString(name))
	}
	lib.RawSetString("pairs", L.NewFunction(v.pairs))
	v.ipairsIter = L.NewFunction(ipairsIter)
	lib.RawSetString("ipairs", L.NewFunction(v.ipairs))
	lib.RawSetString("next", L.NewFunction(v.next))
	lib.RawSetString("unpack", L.NewFunction(v.unpack))
	lib.RawSetString("log", L.NewFunction(v.log))
	lib.RawSetString("print", L.NewFunction(v.log))
	lib.RawSetString("round", L.NewFunction(luaRound))
	lib.RawSetString("type", L.NewFunction(v.typeOf))
	for i, name := range []string{"nil", "boolean", "number", "string", "function", "userdata", "thread", "table", "channel"} {
		v.typeNames[i] = lua.LString(name)
	}

	str := globals.RawGetString("string").(*lua.LTable)
	str.RawSetString("dump", lua.LNil)
	str.RawSetString("__index", lua.LNil)
	str.RawSetString("rep", L.NewFunction(strRep))
	str.RawSetString("format", wrapFormat(L, str.RawGetString("format").(*lua.LFunction)))
	str.RawSetString("gsub", wrapGsub(L, str.RawGetString("gsub").(*lua.LFunction)))
	// Strings' methods ("x"):upper() read this table; the metatable is
	// protected so a plugin cannot reach or change it.
	strMT := L.CreateTable(0, 2)
	strMT.RawSetString("__index", str)
	strMT.RawSetString("__metatable", lua.LString("locked"))
	L.SetMetatable(lua.LString(""), strMT)

	tbl := globals.RawGetString("table").(*lua.LTable)
	for _, name := range []string{"insert", "remove", "sort"} {
		tbl.RawSetString(name, v.wrapTable(tbl.RawGetString(name).(*lua.LFunction), true))
	}
	for _, name := range []string{"getn", "maxn"} {
		tbl.RawSetString(name, v.wrapTable(tbl.RawGetString(name).(*lua.LFunction), false))
	}
	tbl.RawSetString("concat", L.NewFunction(v.concat))

	math := globals.RawGetString("math").(*lua.LTable)
	math.RawSetString("random", lua.LNil)
	math.RawSetString("randomseed", lua.LNil)

	lib.RawSetString("string", v.libProxy("string", str))
	lib.RawSetString("table", v.libProxy("table", tbl))
	lib.RawSetString("math", v.libProxy("math", math))

	guard := L.CreateTable(0, 2)
	guard.RawSetString("__index", L.NewFunction(guardGlobal))
	guard.RawSetString("__metatable", lua.LString("locked"))
	L.SetMetatable(lib, guard)
	v.lib = lib

	v.ctxMT = L.CreateTable(0, 2)
	v.ctxMT.RawSetString("__newindex", L.NewFunction(v.ctxNewIndex))
	v.ctxMT.RawSetString("__metatable", lua.LString("locked"))

	v.lazyMT = L.CreateTable(0, 6)
	v.lazyMT.RawSetString("__index", L.NewFunction(v.lazyIndex))
	v.lazyMT.RawSetString("__newindex", L.NewFunction(v.lazyNewIndex))
	v.lazyMT.RawSetString("__len", L.NewFunction(v.lazyLen))
	v.lazyMT.RawSetString("__pairs", L.NewFunction(v.lazyPairs))
	v.lazyMT.RawSetString("__metatable", lua.LString("locked"))

	// The file's globals and the environment of its functions.
	v.module = L.CreateTable(0, 16)
	modMT := L.CreateTable(0, 1)
	modMT.RawSetString("__index", lib)
	L.SetMetatable(v.module, modMT)
	v.env = L.CreateTable(0, 0)
	v.envMT = L.CreateTable(0, 3)
	v.envMT.RawSetString("__metatable", lua.LString("locked"))
	v.envMT.RawSetString("__index", v.module)
	v.envMT.RawSetString("__newindex", v.module)
	L.SetMetatable(v.env, v.envMT)
	lib.RawSetString("_G", v.env)

	if cfg.nilSafe {
		nilMT := L.CreateTable(0, 1)
		nilMT.RawSetString("__index", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNil); return 1 }))
		L.SetMetatable(lua.LNil, nilMT)
	}
	// The real global table stays unreachable: functions run with env.
	L.SetContext(&v.cc)
	return v
}

// seal ends loading: global names now resolve in one table holding the
// safe library and the module's globals, and what a call assigns stays in
// env until resetGlobals.
func (v *vm) seal() {
	g := v.L.CreateTable(0, 64)
	for _, t := range []*lua.LTable{v.lib, v.module} {
		for k, val := t.Next(lua.LNil); k != lua.LNil; k, val = t.Next(k) {
			g.RawSet(k, val)
		}
	}
	g.Metatable = v.lib.Metatable // the guard that names forbidden globals
	v.globals = g
	v.envMT.RawSetString("__index", g)
	v.envMT.RawSetString("__newindex", lua.LNil)
}

// resetGlobals forgets the globals a call assigned, so the next call on
// this state never sees them.
func (v *vm) resetGlobals() {
	if k, _ := v.env.Next(lua.LNil); k == lua.LNil {
		return
	}
	*v.env = *v.L.CreateTable(0, 0)
	v.env.Metatable = v.envMT
}

// libProxy exposes a library table read-only, and names removed members.
func (v *vm) libProxy(name string, real *lua.LTable) *lua.LTable {
	L := v.L
	p := L.CreateTable(0, 0)
	mt := L.CreateTable(0, 4)
	mt.RawSetString("__index", real)
	if fields := forbiddenFields[name]; len(fields) > 0 && real.Metatable == lua.LNil {
		// Only names the table does not hold reach this function.
		guard := L.CreateTable(0, 1)
		guard.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
			if ks, ok := L.Get(2).(lua.LString); ok {
				if why, bad := fields[string(ks)]; bad {
					L.RaiseError("forbidden: %s.%s is %s", name, string(ks), why)
				}
			}
			L.Push(lua.LNil)
			return 1
		}))
		real.Metatable = guard
	}
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("the %s library is read-only", name)
		return 0
	}))
	mt.RawSetString("__metatable", lua.LString("locked"))
	v.readonly[p] = roSource{backing: real, path: name}
	p.Metatable = mt
	return p
}

// guardGlobal answers reads of global names no table holds: forbidden
// names raise an error that names them, anything else is nil.
func guardGlobal(L *lua.LState) int {
	if k, ok := L.Get(2).(lua.LString); ok {
		if why, bad := forbidden[string(k)]; bad {
			L.RaiseError("forbidden: %s is %s", string(k), why)
		}
	}
	L.Push(lua.LNil)
	return 1
}

func (v *vm) log(L *lua.LState) int {
	if v.logger == nil || !v.logger.Enabled(context.Background(), slog.LevelInfo) {
		return 0
	}
	n := L.GetTop()
	parts := make([]string, n)
	for i := 1; i <= n; i++ {
		parts[i-1] = L.ToStringMeta(L.Get(i)).String()
	}
	v.logger.Info(strings.Join(parts, " "), "plugin", v.ref, "contact", v.contact)
	return 0
}

// typeOf is type(v) without allocating its answer.
func (v *vm) typeOf(L *lua.LState) int {
	t := int(L.CheckAny(1).Type())
	if t < 0 || t >= len(v.typeNames) {
		L.Push(lua.LString(L.Get(1).Type().String()))
		return 1
	}
	L.Push(v.typeNames[t])
	return 1
}

func luaRound(L *lua.LState) int {
	x := float64(L.CheckNumber(1))
	places := L.OptInt(2, 0)
	L.Push(lua.LNumber(roundPlaces(x, places)))
	return 1
}

func strRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if n > maxStringBytes/len(s) {
		L.RaiseError("string.rep: the result would exceed %d MiB", maxStringBytes>>20)
	}
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

// wrapFormat refuses widths and precisions over two digits, as Lua 5.1
// does, so a format cannot allocate without bound.
func wrapFormat(L *lua.LState, orig *lua.LFunction) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		f := L.CheckString(1)
		for i := 0; i < len(f); i++ {
			if f[i] != '%' {
				continue
			}
			i++
			for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
				i++
			}
			digits := 0
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				i++
				digits++
			}
			if i < len(f) && f[i] == '.' {
				i++
				prec := 0
				for i < len(f) && f[i] >= '0' && f[i] <= '9' {
					i++
					prec++
				}
				digits = max(digits, prec)
			}
			if digits > 2 {
				L.RaiseError("invalid format (width or precision too long)")
			}
		}
		return orig.GFunction(L)
	})
}

// wrapGsub refuses replacements whose result could pass the string limit.
func wrapGsub(L *lua.LState, orig *lua.LFunction) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		if repl, ok := L.Get(3).(lua.LString); ok && len(repl) > 1 && len(s) > 0 && len(s)*len(repl) > 4*maxStringBytes {
			L.RaiseError("string.gsub: the result could exceed %d MiB", maxStringBytes>>20)
		}
		return orig.GFunction(L)
	})
}

// wrapTable makes a table library function see through lazy views and
// read-only proxies (writers may not change a read-only table).
func (v *vm) wrapTable(orig *lua.LFunction, writes bool) *lua.LFunction {
	return v.L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		L.Replace(1, v.plainTable(t, writes))
		return orig.GFunction(L)
	})
}

func (v *vm) concat(L *lua.LState) int {
	t := v.plainTable(L.CheckTable(1), false)
	sep := L.OptString(2, "")
	i := L.OptInt(3, 1)
	j := L.OptInt(4, t.Len())
	var b strings.Builder
	for k := i; k <= j; k++ {
		val := t.RawGetInt(k)
		switch val.(type) {
		case lua.LString, lua.LNumber:
		default:
			L.RaiseError("invalid value (%s) at index %d in table for concat", val.Type(), k)
		}
		if k > i {
			b.WriteString(sep)
		}
		b.WriteString(val.String())
		if b.Len() > maxStringBytes {
			L.RaiseError("table.concat: the result would exceed %d MiB", maxStringBytes>>20)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// pairs honours a __pairs metamethod (as Lua 5.2 does), which lazy views
// and read-only proxies use to list their contents.
func (v *vm) pairs(L *lua.LState) int {
	t := L.CheckTable(1)
	if mt, ok := t.Metatable.(*lua.LTable); ok {
		if fn, ok := mt.RawGetString("__pairs").(*lua.LFunction); ok {
			L.Push(fn)
			L.Push(t)
			L.Call(1, 3)
			return 3
		}
	}
	L.Push(v.lib.RawGetString("next"))
	L.Push(t)
	L.Push(lua.LNil)
	return 3
}

func (v *vm) next(L *lua.LState) int {
	t := v.plainTable(L.CheckTable(1), false)
	k, val := t.Next(L.Get(2))
	if k == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(k)
	L.Push(val)
	return 2
}

// ipairs reads through metamethods (as Lua 5.3 does), so it works on lazy
// views and read-only proxies.
func (v *vm) ipairs(L *lua.LState) int {
	t := L.CheckTable(1)
	L.Push(v.ipairsIter)
	L.Push(t)
	L.Push(lua.LNumber(0))
	return 3
}

func ipairsIter(L *lua.LState) int {
	i := L.CheckInt(2) + 1
	val := L.GetTable(L.Get(1), lua.LNumber(i))
	if val == lua.LNil {
		return 0
	}
	L.Push(lua.LNumber(i))
	L.Push(val)
	return 2
}

func (v *vm) unpack(L *lua.LState) int {
	t := v.plainTable(L.CheckTable(1), false)
	i := L.OptInt(2, 1)
	j := L.OptInt(3, t.Len())
	if j-i >= registryMaxSize/2 {
		L.RaiseError("unpack: too many results (%d)", j-i+1)
	}
	for k := i; k <= j; k++ {
		L.Push(t.RawGetInt(k))
	}
	return max(0, j-i+1)
}

// callCtx is the context a state runs under. gopher-lua asks for Done()
// before every instruction; counting those calls lets the host check the
// clock, the caller's context and the allocation budget every so many
// instructions without a timer or goroutine per call.
type callCtx struct {
	parent    context.Context
	begun     time.Time
	deadline  time.Time
	steps     uint32
	checks    uint32
	done      chan struct{} // nil while running; closed once tripped
	closed    chan struct{}
	err       error
	timeout   bool
	allocMax  uint64
	allocBase uint64
	sample    []metrics.Sample
}

func (c *callCtx) init(allocMax uint64) {
	c.closed = make(chan struct{})
	close(c.closed)
	c.parent = context.Background()
	c.allocMax = allocMax
	c.sample = []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
}

// start arms the context for one call.
func (c *callCtx) start(parent context.Context, limit time.Duration) {
	c.parent = parent
	c.begun = time.Now()
	c.deadline = c.begun.Add(limit)
	if d, ok := parent.Deadline(); ok && d.Before(c.deadline) {
		c.deadline = d
	}
	c.steps, c.checks, c.allocBase = 0, 0, 0
	c.done, c.err, c.timeout = nil, nil, false
	if err := parent.Err(); err != nil {
		c.trip(err, false)
	}
}

// stop releases the caller's context.
func (c *callCtx) stop() { c.parent = context.Background() }

func (c *callCtx) tripped() bool { return c.done != nil }

func (c *callCtx) trip(err error, timeout bool) {
	c.err, c.timeout, c.done = err, timeout, c.closed
}

func (c *callCtx) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *callCtx) Err() error                  { return c.err }
func (c *callCtx) Value(key any) any           { return c.parent.Value(key) }

// Done is called by the Lua VM before each instruction.
func (c *callCtx) Done() <-chan struct{} {
	if c.done != nil {
		return c.done
	}
	c.steps++
	if c.steps%checkEvery == 1 { // the first instruction, then every checkEvery
		c.check()
	}
	return c.done
}

func (c *callCtx) check() {
	if time.Now().After(c.deadline) {
		if err := c.parent.Err(); err != nil && err != context.DeadlineExceeded {
			c.trip(err, false)
			return
		}
		limit := c.deadline.Sub(c.begun)
		if limit >= time.Millisecond {
			limit = limit.Round(time.Millisecond)
		}
		c.trip(fmt.Errorf("timed out after %v", limit), true)
		return
	}
	if err := c.parent.Err(); err != nil {
		c.trip(err, err == context.DeadlineExceeded)
		return
	}
	c.checks++
	if c.checks%allocCheckEvery != 0 {
		return
	}
	metrics.Read(c.sample)
	now := c.sample[0].Value.Uint64()
	if c.allocBase == 0 {
		c.allocBase = now
		return
	}
	if now-c.allocBase > c.allocMax {
		c.trip(fmt.Errorf("memory limit exceeded: allocated over %d MiB in one call", c.allocMax>>20), false)
	}
}
