package plugins

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// TestResult is the outcome of one test function of a *_test.lua file.
type TestResult struct {
	File     string // the test file as users know it
	Name     string // test_* function; "" when the file itself failed
	Passed   bool
	Err      *Error // why it failed: FILE:LINE of the failure and the message
	Output   string // what the test printed with print(...), a line each (at most 100 lines of 2 KiB)
	Duration time.Duration
}

// testLimits are the budgets of one test function: ten times a call's,
// since tests call the plugin several times.
func (h *Host) testLimits() limits { return h.limits().times(10) }

// RunTests runs the test files (named with or without .lua; none = every
// *_test.lua the host holds). In X_test.lua the globals of X.lua are
// visible, and each global function test_* is one test, run with fresh
// globals. The helpers assert_eq, assert_quote_total and assert_error are
// available. Tests run in file order, sorted by file name.
func (h *Host) RunTests(ctx context.Context, files ...string) ([]TestResult, error) {
	if h.closed.Load() {
		return nil, ErrClosed
	}
	var tests []*version
	if len(files) == 0 {
		for _, v := range *h.files.Load() {
			if v.test {
				tests = append(tests, v)
			}
		}
	} else {
		for _, f := range files {
			name := strings.TrimSuffix(f, ".lua")
			v := h.current(name)
			if v == nil || !v.test {
				return nil, &notFoundError{fmt.Sprintf("test file %s.lua not found", name)}
			}
			tests = append(tests, v)
		}
	}
	slices.SortFunc(tests, func(a, b *version) int { return strings.Compare(a.name, b.name) })
	var out []TestResult
	for _, v := range tests {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		out = append(out, h.runTestFile(ctx, v)...)
	}
	return out, nil
}

// testVM is a state with the file under test and the test file loaded.
type testVM struct {
	*vm
	subject *version
	tests   []string // test_* functions in line order
}

func (h *Host) runTestFile(ctx context.Context, v *version) []TestResult {
	if v.broken != nil {
		return []TestResult{{File: v.file, Err: v.broken}}
	}
	tv, err := h.newTestVM(v)
	if err != nil {
		return []TestResult{{File: v.file, Err: err}}
	}
	if len(tv.tests) == 0 {
		tv.L.Close()
		return []TestResult{{File: v.file, Err: &Error{File: v.file, Msg: "no test_* functions"}}}
	}
	var out []TestResult
	names := tv.tests
	for _, name := range names {
		if tv == nil || tv.broken {
			if tv != nil {
				tv.L.Close()
			}
			if tv, err = h.newTestVM(v); err != nil {
				out = append(out, TestResult{File: v.file, Name: name, Err: err})
				continue
			}
		}
		fn := tv.module.RawGetString(name).(*lua.LFunction)
		tv.resetGlobals()
		tv.ref, tv.contact = v.name+"."+name, "test"
		var printed strings.Builder
		tv.output = &printed
		start := time.Now()
		_, e := tv.run(ctx, h.testLimits(), fn, name)
		tv.endViews()
		tv.output = nil
		out = append(out, TestResult{File: v.file, Name: name, Passed: e == nil, Err: e, Output: printed.String(), Duration: time.Since(start)})
	}
	if tv != nil {
		tv.L.Close()
	}
	return out
}

func (h *Host) newTestVM(v *version) (*testVM, *Error) {
	m := newVM(vmConfig{chunk: v.file, names: v.prog.names, logger: h.logger})
	tv := &testVM{vm: m, subject: v.subject()}
	if err := m.setConfig(h.opts.Config); err != nil {
		m.L.Close()
		return nil, &Error{File: v.file, Msg: "configuration: " + err.Error()}
	}
	m.lib.RawSetString("assert_eq", m.L.NewFunction(m.assertEq))
	m.lib.RawSetString("assert_error", m.L.NewFunction(assertError))
	m.lib.RawSetString("assert_quote_total", m.L.NewFunction(tv.assertQuoteTotal))
	if s := tv.subject; s != nil && s.prog != nil {
		m.chunks = append(m.chunks, s.file)
		m.names = append(m.names, s.prog.names)
		if err := m.load(s.prog, s.file, h.testLimits()); err != nil {
			m.L.Close()
			return nil, err
		}
	}
	if err := m.load(v.prog, v.file, h.testLimits()); err != nil {
		m.L.Close()
		return nil, err
	}
	m.seal()
	type test struct {
		name string
		line int
	}
	var tests []test
	for k, val := m.module.Next(lua.LNil); k != lua.LNil; k, val = m.module.Next(k) {
		fn, ok := val.(*lua.LFunction)
		name := k.String()
		if ok && k.Type() == lua.LTString && strings.HasPrefix(name, "test_") && fn.Proto != nil && fn.Proto.SourceName == v.file {
			tests = append(tests, test{name, fn.Proto.LineDefined})
		}
	}
	slices.SortFunc(tests, func(a, b test) int { return a.line - b.line })
	for _, t := range tests {
		tv.tests = append(tv.tests, t.name)
	}
	return tv, nil
}

// assertEq is assert_eq(actual, expected [, message]): deep equality of
// values and tables (ctx's views and quotes included). A failure shows
// both values in full and, for tables, where they first differ.
func (v *vm) assertEq(L *lua.LState) int {
	actual, expected := L.Get(1), L.Get(2)
	if L.GetTop() < 2 {
		L.RaiseError("assert_eq needs two values: assert_eq(actual, expected)")
	}
	where, equal := v.luaEqual(actual, expected, "", 0)
	if equal {
		return 0
	}
	msg := fmt.Sprintf("expected %s, got %s", v.showValue(expected), v.showValue(actual))
	if where != "" {
		msg += " (they differ at " + where + ")"
	}
	if extra := L.OptString(3, ""); extra != "" {
		msg = extra + ": " + msg
	}
	L.RaiseError("%s", msg)
	return 0
}

// luaEqual compares a and b deeply; when they differ inside tables, where
// is the path of the first difference (sorted keys first).
func (v *vm) luaEqual(a, b lua.LValue, path string, depth int) (where string, equal bool) {
	if depth > maxDepth {
		return path, false
	}
	ta, okA := a.(*lua.LTable)
	tb, okB := b.(*lua.LTable)
	if !okA || !okB {
		if a == b || (a.Type() == lua.LTNumber && b.Type() == lua.LTNumber && a.(lua.LNumber) == b.(lua.LNumber)) {
			return "", true
		}
		if path == "" {
			return "", false
		}
		return path, false
	}
	if ta == tb {
		return "", true
	}
	var err error
	if ta, err = v.plain(ta); err != nil {
		return path, false
	}
	if tb, err = v.plain(tb); err != nil {
		return path, false
	}
	keys := map[lua.LValue]bool{}
	for k, _ := ta.Next(lua.LNil); k != lua.LNil; k, _ = ta.Next(k) {
		keys[k] = true
	}
	for k, _ := tb.Next(lua.LNil); k != lua.LNil; k, _ = tb.Next(k) {
		keys[k] = true
	}
	sorted := make([]lua.LValue, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.SortFunc(sorted, func(x, y lua.LValue) int { return strings.Compare(keyName(x), keyName(y)) })
	for _, k := range sorted {
		sub := keyPath(path, k)
		if w, eq := v.luaEqual(ta.RawGet(k), tb.RawGet(k), sub, depth+1); !eq {
			if w == "" {
				w = sub
			}
			return w, false
		}
	}
	return "", true
}

// keyName orders keys: numbers by value, then strings.
func keyName(k lua.LValue) string {
	if n, ok := k.(lua.LNumber); ok {
		return fmt.Sprintf("0%020.6f", float64(n))
	}
	return "1" + k.String()
}

// keyPath names a field below path: items[2], lead.city.
func keyPath(path string, k lua.LValue) string {
	if n, ok := k.(lua.LNumber); ok {
		return path + "[" + lua.LVAsString(n) + "]"
	}
	if s, ok := k.(lua.LString); ok && isIdent(string(s)) {
		if path == "" {
			return string(s)
		}
		return path + "." + string(s)
	}
	return path + "[" + k.String() + "]"
}

// showValue renders a value for a failure message: tables (ctx's views
// and read-only tables included) as JSON with all their fields.
func (v *vm) showValue(x lua.LValue) string {
	switch x := x.(type) {
	case lua.LString:
		return fmt.Sprintf("%q", string(x))
	case *lua.LTable:
		if g, err := v.result(x); err == nil {
			if b, err := json.Marshal(g); err == nil {
				return string(b)
			}
		}
		if t, err := v.plain(x); err == nil {
			return describeTable(t)
		}
		return describeTable(x)
	}
	return x.String()
}

// assertError is assert_error(pattern, fn, ...): fn(...) must raise an
// error whose message contains pattern.
func assertError(L *lua.LState) int {
	pattern := L.CheckString(1)
	fn := L.CheckFunction(2)
	args := make([]lua.LValue, 0, L.GetTop()-2)
	for i := 3; i <= L.GetTop(); i++ {
		args = append(args, L.Get(i))
	}
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), 0, nil)
	if err == nil {
		L.RaiseError("expected an error containing %q, got none", pattern)
	}
	msg := err.Error()
	if api, ok := err.(*lua.ApiError); ok {
		msg = errorObjectString(api.Object)
	}
	if !strings.Contains(msg, pattern) {
		L.RaiseError("expected an error containing %q, got %q", pattern, msg)
	}
	return 0
}

// assertQuoteTotal is assert_quote_total(ctx, expected [, message]): it
// calls quote of the file under test as the host does (lazy ctx, fresh
// globals, computed amounts), compares the total in major units, and
// returns the quote as templates see it.
func (tv *testVM) assertQuoteTotal(L *lua.LState) int {
	ctxT := L.CheckTable(1)
	expected := float64(L.CheckNumber(2))
	extra := L.OptString(3, "")
	fn, ok := tv.module.RawGetString("quote").(*lua.LFunction)
	if !ok {
		L.RaiseError("assert_quote_total: there is no function quote to call")
	}
	tv.conv = convBudget{values: maxResultValues, bytes: maxResultBytes}
	goCtx, err := tv.fromLua(ctxT, "ctx", 0, nil)
	if err != nil {
		L.RaiseError("assert_quote_total: %v", err)
	}
	in, _ := goCtx.(map[string]any)
	vars, config, err := SplitInput(in)
	if err != nil {
		L.RaiseError("assert_quote_total: %v", err)
	}
	cfgV := tv.config
	if config != nil {
		if cfgV, err = tv.readOnly(config, "ctx.config", 0); err != nil {
			L.RaiseError("assert_quote_total: %v", err)
		}
	}
	arg, err := tv.newCtx(vars, cfgV)
	if err != nil {
		L.RaiseError("assert_quote_total: %v", err)
	}
	L.Push(fn)
	L.Push(arg)
	callErr := L.PCall(1, 1, nil)
	if callErr != nil {
		msg := callErr.Error()
		if api, ok := callErr.(*lua.ApiError); ok {
			msg = errorObjectString(api.Object)
		}
		L.RaiseError("quote failed: %s", msg)
	}
	ret := L.Get(-1)
	L.Pop(1)
	t, ok := ret.(*lua.LTable)
	if ok {
		t, err = tv.plain(t)
	}
	if !ok || err != nil {
		L.RaiseError("assert_quote_total: quote returned %s, not a quote table", ret.Type())
	}
	q, err := buildQuote(t, tv.plain)
	if err != nil {
		L.RaiseError("invalid quote: %v", err)
	}
	dec, _ := CurrencyDecimals(q.Currency)
	want := int64(math.Round(roundPlaces(expected, dec) * math.Pow10(dec)))
	if q.Total != want {
		msg := fmt.Sprintf("quote total is %s, expected %s", FormatMoney(q.Total, q.Currency), FormatMoney(want, q.Currency))
		if extra != "" {
			msg = extra + ": " + msg
		}
		L.RaiseError("%s", msg)
	}
	lv, err := tv.toLua(q.Map(), "", "quote", 0)
	if err != nil {
		L.RaiseError("assert_quote_total: %v", err)
	}
	L.Push(lv)
	return 1
}

// SplitInput reads a call's input in the shape `allmyleads plugin run
// --input` takes and Quote.Inputs keeps: {"lead", "project", "vars",
// "config"}, all optional. lead and project are set into the variables
// (ctx.lead is vars.lead). Unknown keys are errors.
func SplitInput(in map[string]any) (vars, config map[string]any, err error) {
	vars = map[string]any{}
	for k, x := range in {
		switch k {
		case "vars":
			m, ok := x.(map[string]any)
			if !ok && x != nil {
				return nil, nil, fmt.Errorf("vars: want an object, got %s", jsonType(x))
			}
			for vk, vx := range m {
				if _, set := vars[vk]; !set {
					vars[vk] = vx
				}
			}
		case "lead", "project":
			if _, ok := x.(map[string]any); !ok && x != nil {
				return nil, nil, fmt.Errorf("%s: want an object, got %s", k, jsonType(x))
			}
			vars[k] = x
		case "config":
			m, ok := x.(map[string]any)
			if !ok && x != nil {
				return nil, nil, fmt.Errorf("config: want an object, got %s", jsonType(x))
			}
			config = m
		default:
			hint := ""
			if s := suggest(k, []string{"lead", "project", "vars", "config"}); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			return nil, nil, fmt.Errorf("%s: unknown key%s; want lead, project, vars, config", k, hint)
		}
	}
	return vars, config, nil
}

func jsonType(x any) string {
	switch x.(type) {
	case string:
		return "a string"
	case float64, json.Number, int:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", x)
}
