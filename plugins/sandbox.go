package plugins

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Limits of one Lua state. The call stack bounds recursion; the registry
// (Lua's value stack) bounds varargs, unpack and deep expressions. The
// budgets of a call are in limits.go.
const (
	callStackSize    = 200
	registrySize     = 1024
	registryMaxSize  = 64 * 1024
	registryGrowStep = 4096
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
	helpers [4]lua.LValue    // a rewritten chunk's arguments: .., t[k] = v, {...} and its meter (rewrite.go)
	metered bool             // the chunk running may register its meter
	names   []*nameIndex     // for each of chunks: what its expressions are called
	ref     string           // current call, for log()
	contact string           // current call's contact tag, for log()
	logged  int              // log lines of the current call
	conv    convBudget       // what the conversion to Go in progress has left
	output  *strings.Builder // where print writes in a test; nil: the log
	broken  bool             // interrupted or out of limits: never reuse
}

type vmConfig struct {
	chunk   string
	names   *nameIndex
	logger  *slog.Logger
	nilSafe bool // conditions: indexing nil gives nil
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
		names:    []*nameIndex{cfg.names},
		logger:   cfg.logger,
		pending:  make(map[*lua.LTable]lazySource),
		kids:     make(map[kidKey]*lua.LTable),
		readonly: make(map[*lua.LTable]roSource),
	}
	v.cc.init()
	v.helpers = [4]lua.LValue{L.NewFunction(v.luaConcat), L.NewFunction(v.keyGuard), L.NewFunction(v.manyGuard), L.NewFunction(v.registerMeter)}
	globals := L.G.Global
	lib := L.CreateTable(0, 40)
	for _, name := range []string{"assert", "error", "getmetatable", "pcall", "rawequal", "rawget",
		"select", "setmetatable", "tostring", "xpcall", "_VERSION"} {
		lib.RawSetString(name, globals.RawGetString(name))
	}
	lib.RawSetString("pairs", L.NewFunction(v.pairs))
	v.ipairsIter = L.NewFunction(ipairsIter)
	lib.RawSetString("ipairs", L.NewFunction(v.ipairs))
	lib.RawSetString("next", L.NewFunction(v.next))
	lib.RawSetString("unpack", L.NewFunction(v.unpack))
	lib.RawSetString("tonumber", v.wrapToNumber(globals.RawGetString("tonumber").(*lua.LFunction)))
	lib.RawSetString("log", L.NewFunction(v.log))
	lib.RawSetString("print", L.NewFunction(v.print))
	lib.RawSetString("round", L.NewFunction(luaRound))
	lib.RawSetString("type", L.NewFunction(v.typeOf))
	for i, name := range []string{"nil", "boolean", "number", "string", "function", "userdata", "thread", "table", "channel"} {
		v.typeNames[i] = lua.LString(name)
	}

	str := globals.RawGetString("string").(*lua.LTable)
	str.RawSetString("dump", lua.LNil)
	str.RawSetString("__index", lua.LNil)
	v.openStrings(str)
	// Strings' methods ("x"):upper() read this table; the metatable is
	// protected so a plugin cannot reach or change it.
	strMT := L.CreateTable(0, 2)
	strMT.RawSetString("__index", str)
	strMT.RawSetString("__metatable", lua.LString("locked"))
	L.SetMetatable(lua.LString(""), strMT)

	tbl := globals.RawGetString("table").(*lua.LTable)
	tbl.RawSetString("insert", v.wrapTable(L.NewFunction(v.tableInsert), true))
	tbl.RawSetString("remove", v.wrapTable(L.NewFunction(v.tableRemove), true))
	tbl.RawSetString("sort", v.wrapTable(L.NewFunction(v.tableSort(tbl.RawGetString("sort").(*lua.LFunction))), true))
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

// A call's log lines reach the server's log: their number and length are
// bounded.
const (
	maxLogLine  = 2 << 10
	maxLogLines = 100
)

// log is log(...): one structured log line, tagged with the plugin and
// the contact.
func (v *vm) log(L *lua.LState) int {
	if v.logger == nil || !v.logger.Enabled(context.Background(), slog.LevelInfo) {
		return 0
	}
	if line, ok := v.logLine(L); ok {
		v.logger.Info(line, "plugin", v.ref, "contact", v.contact)
	}
	return 0
}

// print is print(...): in a test, a line of the test's output; elsewhere
// a log line.
func (v *vm) print(L *lua.LState) int {
	if v.output == nil {
		return v.log(L)
	}
	if line, ok := v.logLine(L); ok {
		v.output.WriteString(line)
		v.output.WriteByte('\n')
	}
	return 0
}

// logLine joins the arguments of log or print with spaces, cut to
// maxLogLine; ok is false once the call has written maxLogLines lines.
func (v *vm) logLine(L *lua.LState) (string, bool) {
	v.logged++
	switch {
	case v.logged == maxLogLines+1:
		return fmt.Sprintf("(more than %d lines in one call: the rest are left out)", maxLogLines), true
	case v.logged > maxLogLines:
		return "", false
	}
	var b strings.Builder
	for i := 1; i <= L.GetTop(); i++ {
		if i > 1 {
			b.WriteByte(' ')
		}
		part := L.ToStringMeta(L.Get(i)).String()
		if room := maxLogLine - b.Len(); len(part) > room {
			b.WriteString(strings.ToValidUTF8(part[:max(room, 0)], ""))
			b.WriteString("... (cut)")
			break
		}
		b.WriteString(part)
	}
	return b.String(), true
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

// wrapTable makes a table library function see through lazy views and
// read-only proxies (writers may not change a read-only table).
func (v *vm) wrapTable(orig *lua.LFunction, writes bool) *lua.LFunction {
	return v.L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		L.Replace(1, v.plainTable(t, writes))
		return orig.GFunction(L)
	})
}

// concat is table.concat(t [, sep [, i [, j]]]); the size of the result is
// known, and counted, before it is built.
func (v *vm) concat(L *lua.LState) int {
	t := v.plainTable(L.CheckTable(1), false)
	sep := L.OptString(2, "")
	i := optPos(L, 3, 1)
	j := optPos(L, 4, t.Len())
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	size := int64(0)
	for k := i; k <= j; k++ {
		switch val := t.RawGetInt(k).(type) {
		case lua.LString:
			size += int64(len(val))
		case lua.LNumber:
			size += int64(len(val.String()))
		default:
			L.RaiseError("invalid value (%s) at index %d in table for concat", val.Type(), k)
		}
		if k > i {
			size += int64(len(sep))
		}
		if size > maxStringBytes {
			v.cc.tooLong(L, "table.concat", "would")
		}
	}
	v.cc.work(L, int64(j-i)/8+size/64)
	v.cc.allocString(L, size, "table.concat")
	var b strings.Builder
	b.Grow(int(size))
	for k := i; k <= j; k++ {
		if k > i {
			b.WriteString(sep)
		}
		b.WriteString(lua.LVAsString(t.RawGetInt(k)))
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
	i := optPos(L, 2, 1)
	j := optPos(L, 3, t.Len())
	if j-i >= registryMaxSize/2 {
		L.RaiseError("unpack: too many results (%d)", j-i+1)
	}
	v.cc.work(L, int64(max(0, j-i))/8)
	for k := i; k <= j; k++ {
		L.Push(t.RawGetInt(k))
	}
	return max(0, j-i+1)
}

// wrapToNumber counts the work of tonumber on long strings.
func (v *vm) wrapToNumber(orig *lua.LFunction) *lua.LFunction {
	return v.L.NewFunction(func(L *lua.LState) int {
		if s, ok := L.Get(1).(lua.LString); ok && len(s) > 64 {
			v.cc.work(L, int64(len(s))/64)
		}
		return orig.GFunction(L)
	})
}
