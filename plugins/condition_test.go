package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestConditions runs testdata/conditions.json: `when:` expressions over
// variables, with nil-safe field access and errors that point into the
// expression.
func TestConditions(t *testing.T) {
	var cases []struct {
		Expr  string
		Vars  map[string]any
		Want  bool
		Error string
	}
	readJSON(t, "testdata/conditions.json", &cases)
	for _, tc := range cases {
		t.Run(tc.Expr, func(t *testing.T) {
			c, err := CompileCondition(tc.Expr)
			var got bool
			if err == nil {
				c.lim.time = time.Hour // some cases run into the budgets
				got, err = c.Eval(tc.Vars)
			}
			if tc.Error != "" {
				var pe *Error
				if !errors.As(err, &pe) || err.Error() != tc.Error {
					t.Fatalf("got %v, want %q", err, tc.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.Want {
				t.Fatalf("got %v, want %v", got, tc.Want)
			}
		})
	}
}

// One compiled condition is evaluated from many goroutines at once, each
// with its own variables.
func TestConditionConcurrent(t *testing.T) {
	c, err := CompileCondition("project.estimate.area_m2 > 50 and lead.name ~= nil")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				area := float64(g*20 + i%3)
				vars := map[string]any{"project": map[string]any{"estimate": map[string]any{"area_m2": area}}, "lead": map[string]any{"name": "x"}}
				got, err := c.Eval(vars)
				if err != nil || got != (area > 50) {
					errs <- fmt.Errorf("area %v: got %v, %v", area, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConditionVarsUnchanged(t *testing.T) {
	c, err := CompileCondition("(function() lead.name = 'changed' end)() == nil")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{"lead": map[string]any{"name": "Jane"}}
	if _, err := c.Eval(vars); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(vars); string(b) != `{"lead":{"name":"Jane"}}` {
		t.Fatalf("variables changed: %s", b)
	}
	if c.String() != "(function() lead.name = 'changed' end)() == nil" {
		t.Fatal("String() is not the expression")
	}
	// A global the expression assigns is gone in the next evaluation.
	c, err = CompileCondition("leaked == nil and (function() leaked = true end)() == nil")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if ok, err := c.Eval(nil); err != nil || !ok {
			t.Fatalf("evaluation %d: %v %v", i, ok, err)
		}
	}
}

// FuzzCompileCondition: any text compiles or fails with an *Error, and a
// compiled condition evaluates without panicking.
func FuzzCompileCondition(f *testing.F) {
	for _, s := range []string{"project.service == 'other'", "lead.city == nil", "#x > 1 and y", "a ==", "((", "x = 1", "'\\", "--[[", "function() end"} {
		f.Add(s)
	}
	vars := map[string]any{"project": map[string]any{"service": "roofing"}, "x": []any{1.0, 2.0}}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := CompileCondition(expr)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("%q: error %v is not an *Error", expr, err)
			}
			return
		}
		_, err = c.Eval(vars)
		var pe *Error
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("%q: eval error %v is not an *Error", expr, err)
		}
	})
}

// A condition that exhausts a budget, or whose caller gives up, returns an
// error of that kind and false; the next evaluation is unaffected.
func TestConditionBudgets(t *testing.T) {
	for expr, kind := range map[string]error{
		"(function() local n = 0 while true do n = n + 1 end end)()":                     ErrInstructionLimit,
		"(function() local t = {} while true do t[#t + 1] = { x = 1 } end end)()":        ErrMemoryLimit,
		"(function() local t = {} t[6e7] = 1 end)()":                                     ErrMemoryLimit,
		"(function() local s = string.rep('x', 1e6) while true do s = s .. s end end)()": ErrMemoryLimit,
	} {
		c, err := CompileCondition(expr)
		if err != nil {
			t.Fatal(err)
		}
		c.lim.time = time.Hour // the budgets, not the clock, must stop these
		for i := range 2 {
			ok, err := c.Eval(nil)
			if ok || !errors.Is(err, kind) {
				t.Errorf("%s (evaluation %d): got %v, %v; want a %v", expr, i, ok, err, kind)
			}
		}
	}
	c, err := CompileCondition("(function() while true do end end)()")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, err := c.EvalContext(ctx, nil); ok || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, %v", ok, err)
	}
	c, err = CompileCondition("lead.name ~= nil")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.EvalContext(context.Background(), map[string]any{"lead": map[string]any{"name": "x"}}); !ok || err != nil {
		t.Errorf("after the limits: %v, %v", ok, err)
	}
}
