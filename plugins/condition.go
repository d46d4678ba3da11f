package plugins

import (
	"context"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// conditionLimits are the budgets of one evaluation of a condition: its
// work and memory, counted by itself, and a wall clock that only catches
// what the counts cannot (it is long, so a busy machine never fails a
// condition).
var conditionLimits = limits{time: 2 * time.Second, instructions: conditionInstructionLimit, bytes: defaultAllocMax}

// conditionChunk is the chunk name of conditions in Lua's messages.
const conditionChunk = "when"

// Condition is a compiled `when:` expression of a flow: a Lua expression
// over the variables (`project.service == "roofing" and lead.city ~= nil`).
// Field access is nil-safe (`lead.city == nil` is true when lead is
// missing) and the variables are read-only. It is safe for concurrent use.
type Condition struct {
	expr string
	prog *program
	lim  limits    // conditionLimits (tests stretch the clock)
	pool sync.Pool // *condVM
}

// condVM is a sandboxed state ready to evaluate one condition.
type condVM struct {
	*vm
	fn     *lua.LFunction
	scope  *lua.LTable           // the expression's globals: empty unless it assigns one
	globMT *lua.LTable           // resolves names to variables and the library
	vars   map[string]any        // the variables of the evaluation in progress
	seen   map[string]lua.LValue // variables converted in this evaluation
}

// CompileCondition compiles a `when:` expression once. A syntax error is an
// *Error whose Col (and Line, for expressions over several lines) points
// into the expression.
func CompileCondition(expr string) (*Condition, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, &Error{Msg: "empty condition: want an expression such as project.service == \"roofing\""}
	}
	const prefix = "return "
	chunk, err := parse.Parse(strings.NewReader(prefix+expr), conditionChunk)
	if err != nil {
		e := syntaxError("", err)
		e.Msg = strings.Replace(e.Msg, "end of file", "end of the expression", 1)
		if e.Line == 1 && e.Col > len(prefix) {
			e.Col -= len(prefix)
		}
		if e.Line == 0 && !strings.Contains(expr, "\n") {
			e.Col = len(expr) + 1 // the expression ended too early
		}
		if e.Line == 1 {
			e.Line = 0
		}
		return nil, e
	}
	if len(chunk) != 1 {
		return nil, &Error{Msg: "want one expression, not statements"}
	}
	ret, ok := chunk[0].(*ast.ReturnStmt)
	if !ok || len(ret.Exprs) != 1 {
		return nil, &Error{Msg: "want one expression, not a list"}
	}
	prog, err := compileProgram(chunk, conditionChunk)
	if err != nil {
		return nil, syntaxError("", err)
	}
	return &Condition{expr: expr, prog: prog, lim: conditionLimits}, nil
}

// String returns the expression as written.
func (c *Condition) String() string { return c.expr }

// Eval evaluates the condition over vars with Lua's truthiness (only nil
// and false are false). An evaluation that fails (comparing a number with
// nil, a budget exhausted) returns an *Error, never false: the caller
// decides what a broken condition means.
func (c *Condition) Eval(vars map[string]any) (bool, error) {
	return c.EvalContext(context.Background(), vars)
}

// EvalContext is Eval stopped by ctx as well (a server shutting down).
func (c *Condition) EvalContext(ctx context.Context, vars map[string]any) (bool, error) {
	cv, _ := c.pool.Get().(*condVM)
	if cv == nil {
		cv = c.newVM()
	}
	cv.vars = vars
	var args []lua.LValue
	if c.prog.helpers {
		// The expression is the chunk: it declares a new meter each time.
		args = cv.helpers[:]
		cv.cc.meters, cv.metered = cv.cc.meters[:0], true
	}
	ret, e := cv.run(ctx, c.lim, cv.fn, "", args...)
	cv.metered = false
	cv.vars = nil
	clear(cv.seen)
	cv.endViews()
	if k, _ := cv.scope.Next(lua.LNil); k != lua.LNil {
		cv.newEnv() // the expression assigned a global: start clean
	}
	if !cv.broken {
		c.pool.Put(cv)
	} else {
		cv.L.Close()
	}
	if e != nil {
		e.File = ""
		if strings.Contains(c.expr, "\n") {
			e.Line = max(e.Line, 1)
		} else {
			e.Line = 0
		}
		return false, e
	}
	return lua.LVAsBool(ret), nil
}

func (c *Condition) newVM() *condVM {
	m := newVM(vmConfig{chunk: conditionChunk, names: c.prog.names, nilSafe: true})
	cv := &condVM{vm: m, fn: m.L.NewFunctionFromProto(c.prog.proto), seen: map[string]lua.LValue{}}
	cv.globMT = m.L.CreateTable(0, 2)
	cv.globMT.RawSetString("__index", m.L.NewFunction(cv.global))
	cv.globMT.RawSetString("__metatable", lua.LString("locked"))
	cv.newEnv()
	return cv
}

func (cv *condVM) newEnv() {
	cv.scope = cv.L.CreateTable(0, 0)
	cv.scope.Metatable = cv.globMT
	cv.fn.Env = cv.scope
}

// global answers a name in a condition: a variable (converted lazily, the
// same value for the rest of the evaluation), else a safe library name.
func (cv *condVM) global(L *lua.LState) int {
	k, ok := L.Get(2).(lua.LString)
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	if lv, ok := cv.seen[string(k)]; ok {
		L.Push(lv)
		return 1
	}
	if x, ok := cv.vars[string(k)]; ok {
		lv, err := cv.toLua(x, "", string(k), 0)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		cv.seen[string(k)] = lv
		L.Push(lv)
		return 1
	}
	L.Push(L.GetField(cv.lib, string(k)))
	return 1
}
