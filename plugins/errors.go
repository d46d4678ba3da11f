package plugins

import (
	"errors"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// ErrTimeout is matched (errors.Is) by every error of a call or condition
// that ran out of time.
var ErrTimeout = errors.New("plugin call timed out")

// ErrClosed is returned by calls on a Host after Close.
var ErrClosed = errors.New("plugin host closed")

// Error is what goes wrong in a plugin or a condition: a compile error, a
// runtime error, a sandbox violation, an invalid result, a timeout or an
// exhausted limit. It says where: FILE:LINE, the function, and for
// conditions the column within the expression.
type Error struct {
	File    string // file as the user knows it (user folder path or shipped name); "" for conditions
	Line    int    // 1-based; 0 when unknown
	Col     int    // 1-based column; set for syntax errors of conditions
	Func    string // function that was called, "" at load time
	Msg     string
	Timeout bool // the call ran out of time (errors.Is(err, ErrTimeout))

	cause error // context error or limit that stopped the call
}

// Error renders FILE:LINE: message (or "column N: message" for a condition).
func (e *Error) Error() string {
	var loc string
	switch {
	case e.File != "" && e.Line > 0:
		loc = e.File + ":" + strconv.Itoa(e.Line)
		if e.Col > 0 {
			loc += ":" + strconv.Itoa(e.Col)
		}
	case e.File != "":
		loc = e.File
	case e.Line > 1 && e.Col > 0:
		loc = "line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Col)
	case e.Col > 0:
		loc = "column " + strconv.Itoa(e.Col)
	case e.Line > 0:
		loc = "line " + strconv.Itoa(e.Line)
	}
	if loc == "" {
		return e.Msg
	}
	return loc + ": " + e.Msg
}

// Is makes errors.Is(err, ErrTimeout) true for timeouts.
func (e *Error) Is(target error) bool { return target == ErrTimeout && e.Timeout }

// Unwrap returns the context error that ended the call, if any.
func (e *Error) Unwrap() error { return e.cause }

// luaError turns an error of gopher-lua into an *Error. Lua prefixes
// messages with "CHUNK:LINE:" where it knows the place; chunks are the
// files loaded in the state, the first being the one called, and names
// what their expressions are called (to name the one an error is about).
func luaError(chunks []string, names []*nameIndex, fn string, err error) *Error {
	e := &Error{File: chunks[0], Func: fn}
	var msg string
	var api *lua.ApiError
	if errors.As(err, &api) {
		msg = errorObjectString(api.Object)
		if api.Type == lua.ApiErrorPanic {
			msg = panicMessage(msg)
		}
	} else {
		msg = err.Error()
	}
	e.Msg = strings.TrimSpace(msg)
	if strings.HasSuffix(msg, "registry overflow") {
		msg += ": too many values on the Lua stack (runaway varargs, unpack or recursion)"
		e.Msg = msg
	}
	for i, c := range chunks {
		if line, rest := splitPosition(c, msg); line > 0 {
			e.File, e.Line, e.Msg = c, line, rest
			if i < len(names) {
				e.Msg = names[i].explain(line, rest)
			}
			break
		}
	}
	return e
}

// panicMessage words a Go panic inside the Lua runtime. gopher-lua can fail
// while reporting a registry overflow that happens as a function starts
// (its position is then -1).
func panicMessage(detail string) string {
	if strings.Contains(detail, "index out of range [-1]") {
		return "registry overflow"
	}
	return "internal error in the Lua runtime: " + detail
}

// splitPosition removes a leading "CHUNK:LINE: " from a Lua error message.
func splitPosition(chunk, msg string) (int, string) {
	msg = strings.TrimSpace(msg)
	rest, ok := strings.CutPrefix(msg, chunk+":")
	if !ok {
		return 0, msg
	}
	digits, after, ok := strings.Cut(rest, ":")
	if !ok {
		return 0, msg
	}
	line, err := strconv.Atoi(digits)
	if err != nil {
		return 0, msg
	}
	return line, strings.TrimSpace(after)
}

// errorObjectString renders the value given to error(): strings as they
// are, tables as their converted form, anything else with tostring rules.
func errorObjectString(v lua.LValue) string {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case *lua.LNilType:
		return "nil"
	case *lua.LTable:
		if m := x.RawGetString("message"); m.Type() == lua.LTString {
			return m.String()
		}
		return "error object " + describeTable(x)
	}
	return v.String()
}

// describeTable renders a small table for an error message, without
// following nested tables.
func describeTable(t *lua.LTable) string {
	var b strings.Builder
	b.WriteByte('{')
	n := 0
	t.ForEach(func(k, v lua.LValue) {
		if n == 8 {
			b.WriteString(", ...")
		}
		if n >= 8 {
			n++
			return
		}
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k.String())
		b.WriteString(" = ")
		if v.Type() == lua.LTTable {
			b.WriteString("{...}")
		} else {
			b.WriteString(v.String())
		}
		n++
	})
	b.WriteByte('}')
	return b.String()
}

// syntaxError turns a parse or compile error into an *Error at FILE:LINE.
func syntaxError(file string, err error) *Error {
	var pe *parse.Error
	if errors.As(err, &pe) {
		what := strings.TrimSpace(pe.Message)
		if what == "" || what == "syntax error" {
			what = "syntax error"
		}
		if pe.Pos.Line == parse.EOF {
			msg := "unexpected end of file"
			if pe.Token != "" {
				msg += " after '" + pe.Token + "'"
			}
			return &Error{File: file, Msg: msg}
		}
		msg := what
		if pe.Token != "" {
			msg += " near '" + pe.Token + "'"
		}
		return &Error{File: file, Line: pe.Pos.Line, Col: pe.Pos.Column, Msg: msg}
	}
	var ce *lua.CompileError
	if errors.As(err, &ce) {
		return &Error{File: file, Line: ce.Line, Msg: "compile error: " + ce.Message}
	}
	return &Error{File: file, Msg: err.Error()}
}
