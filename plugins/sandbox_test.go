package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var sandboxConfig = map[string]any{
	"rate":    0.21,
	"list":    []any{1.0, 2.0, 3.0},
	"roofing": map[string]any{"minimum": 450.0},
}

// TestSandbox runs each case of testdata/sandbox.json as the body of a
// plugin function (starting on line 2): forbidden names must fail with the
// name and the line, allowed ones must work.
func TestSandbox(t *testing.T) {
	var cases []struct {
		Name  string
		Body  string
		Error string
		Line  int
		Want  any
	}
	readJSON(t, "testdata/sandbox.json", &cases)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			h := openDir(t, map[string]string{"box.lua": "function f(ctx)\n  " + tc.Body + "\nend\n"}, Options{Config: sandboxConfig})
			res, err := call(t, h, "box.f", nil)
			if tc.Error == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				got, _ := json.Marshal(res.Value)
				want, _ := json.Marshal(tc.Want)
				if string(got) != string(want) {
					t.Fatalf("got %s, want %s", got, want)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want an *Error %q", err, tc.Error)
			}
			line := tc.Line
			if line == 0 {
				line = 2
			}
			if pe.Msg != tc.Error || pe.Line != line || !strings.HasSuffix(pe.File, "box.lua") || pe.Func != "f" {
				t.Fatalf("got %q at %s:%d in %q, want %q at line %d", pe.Msg, pe.File, pe.Line, pe.Func, tc.Error, line)
			}
		})
	}
}

// A forbidden name at a file's top level stops Open with FILE:LINE.
func TestSandboxAtLoad(t *testing.T) {
	dir := writeFiles(t, map[string]string{"x.lua": "local a = 1\nlocal exec = os.execute\nfunction f() end\n"})
	_, err := Open(Options{Dir: dir})
	var pe *Error
	if !errors.As(err, &pe) || pe.Line != 2 || pe.Msg != "forbidden: os is not available in plugins" {
		t.Fatalf("got %v", err)
	}
	if !strings.HasSuffix(err.Error(), "x.lua:2: forbidden: os is not available in plugins") {
		t.Fatalf("Error() = %q", err.Error())
	}
}

// Globals a call assigns are gone in the next call on the same state.
func TestGlobalsDoNotLeak(t *testing.T) {
	h := openDir(t, map[string]string{"g.lua": `
counter = 0 -- a file-level global: every call starts from it
function f(ctx)
  if seen ~= nil then error("leaked from another call: " .. seen) end
  if ctx.extra ~= nil then error("ctx leaked from another call: " .. ctx.extra) end
  seen = ctx.vars.id
  ctx.extra = ctx.vars.id
  ctx.project = nil
  _G.other = ctx.vars.id
  counter = counter + 1
  return counter
end
`}, Options{PoolSize: 1})
	for i := range 5 {
		res, err := call(t, h, "g.f", map[string]any{"id": float64(i)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Value != 1.0 {
			t.Fatalf("call %d: counter = %v, want 1 (the file's value, not the last call's)", i, res.Value)
		}
	}
}

func TestTimeout(t *testing.T) {
	cases := map[string]string{
		"endless loop":            "while true do end",
		"loop catching the error": "while true do pcall(function() while true do end end) end",
		"endless tail recursion":  "local function f(n) return f(n + 1) end\n  return f(1)",
		"table.sort comparator":   "local t = {}\n  for i = 1, 100 do t[i] = i end\n  table.sort(t, function(a, b) while true do end end)",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			h := openDir(t, map[string]string{"slow.lua": "function f(ctx)\n  " + body + "\nend\n"}, Options{Timeout: 20 * time.Millisecond, InstructionLimit: noInstructionLimit})
			_, err := call(t, h, "slow.f", nil)
			var pe *Error
			if !errors.As(err, &pe) || !pe.Timeout || !errors.Is(err, ErrTimeout) {
				t.Fatalf("got %v, want a timeout", err)
			}
			if pe.Line < 2 || !strings.Contains(pe.Msg, "timed out after 20ms") {
				t.Fatalf("got %q at line %d", pe.Msg, pe.Line)
			}
			if n := len(h.current("slow").idle); n != 0 {
				t.Fatalf("%d idle states after a timeout: an interrupted state went back to the pool", n)
			}
			// The next call gets a fresh state and works as well as the file lets it.
			if _, err := call(t, h, "slow.f", nil); !errors.Is(err, ErrTimeout) {
				t.Fatalf("second call: %v", err)
			}
		})
	}
}

// The caller's context ends a call too, and is told apart from a timeout.
func TestCallerContext(t *testing.T) {
	h := openDir(t, map[string]string{"slow.lua": "function f(ctx) while true do end end\n"}, Options{Timeout: time.Hour, InstructionLimit: noInstructionLimit})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.Call(ctx, "slow.f", Input{})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("cancelled: got %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = h.Call(ctx, "slow.f", Input{})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("caller deadline: got %v, want a timeout", err)
	}
}

func TestLimits(t *testing.T) {
	cases := []struct {
		name, body, want string
		alloc            int64
	}{
		{"endless recursion", "local function f(n) return 1 + f(n + 1) end\n  return f(1)", "stack overflow", 0},
		{"growing varargs", "local function f(...) return f(1, 2, 3, 4, ...) end\n  return f(string.byte(string.rep('x', 60000), 1, -1))", "registry overflow", 0},
		{"too many values", "return string.byte(string.rep('x', 100000), 1, -1)", "registry overflow", 0},
		{"growing table", "local t = {}\n  local i = 0\n  while true do i = i + 1; t[i] = { i, i, i } end", "memory limit of 8 MiB exceeded", 8 << 20},
		{"growing strings", "local t = {}\n  local s = 'x'\n  while true do s = s .. 'y'; t[#t + 1] = s end", "memory limit of 8 MiB exceeded", 8 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := openDir(t, map[string]string{"big.lua": "function f(ctx)\n  " + tc.body + "\nend\nfunction ok() return 'fine' end\n"},
				Options{Timeout: 20 * time.Second, AllocLimit: tc.alloc})
			_, err := call(t, h, "big.f", nil)
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(pe.Msg, tc.want) || pe.Timeout {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if n := len(h.current("big").idle); n != 0 {
				t.Fatalf("%d idle states: a state that ran out of a limit went back to the pool", n)
			}
			res, err := call(t, h, "big.ok", nil)
			if err != nil || res.Value != "fine" {
				t.Fatalf("after the limit: %v %v", res, err)
			}
		})
	}
}
