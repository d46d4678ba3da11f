package plugins

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// The budgets of one call. A call counts its own work and allocations, so
// what other goroutines do (their garbage, a busy machine) never fails it;
// the wall-clock deadline is a safety net, not the budget.
const (
	defaultInstructionLimit   = 10_000_000 // a plugin call: a few hundred milliseconds of work
	conditionInstructionLimit = 1_000_000  // a when: expression
	defaultAllocMax           = 64 << 20
	maxStringBytes            = 4 << 20 // the longest string the sandbox builds

	checkEvery     = 1024     // instructions between checks of the clock and the budgets
	fineCheckEvery = 16       // ... once the call has built a big value, or much
	bigValue       = 64 << 10 // a value this big makes single instructions slow (hashing, comparing)
	muchBuilt      = 1 << 20  // so many bytes built make some slow too (#t over a long array's trailing nils)
)

// ErrMemoryLimit is matched (errors.Is) by the error of a call that tried
// to allocate more than its budget (Options.AllocLimit).
var ErrMemoryLimit = errors.New("plugin memory limit exceeded")

// ErrInstructionLimit is matched (errors.Is) by the error of a call that
// did more work than its budget (Options.InstructionLimit).
var ErrInstructionLimit = errors.New("plugin instruction limit exceeded")

// limitError is the error that stopped a call, with its kind.
type limitError struct {
	msg  string
	kind error
}

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Unwrap() error { return e.kind }

// limits are the budgets of one call.
type limits struct {
	time         time.Duration // wall clock: a safety net
	instructions int64
	bytes        int64
}

// times returns the limits multiplied by n (tests call a plugin several
// times in one test function).
func (l limits) times(n int64) limits {
	mul := func(x int64) int64 {
		if x > math.MaxInt64/n {
			return math.MaxInt64
		}
		return x * n
	}
	return limits{time: time.Duration(mul(int64(l.time))), instructions: mul(l.instructions), bytes: mul(l.bytes)}
}

// formatBytes renders a size as users read it: 16 MiB, 512 KiB, 100 B.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// callCtx is the context a state runs under, and the accountant of the
// call in progress. gopher-lua asks for Done() before every instruction;
// counting those calls gives the call's instructions, and every so many
// the host checks the budgets, the clock and the caller's context without
// a timer or goroutine per call. The sandbox's functions report the work
// they do (in instruction units) and the bytes they are about to allocate
// before they allocate them, so one call cannot grab more than its budget
// between two checks.
type callCtx struct {
	parent   context.Context
	begun    time.Time
	deadline time.Time
	steps    int64 // work done, in instructions
	next     int64 // steps at which the next check runs
	every    int64 // steps between checks
	stepMax  int64
	bytes    int64          // bytes the sandbox's functions and operators allocated
	meters   []*lua.Upvalue // the meters of the chunks loaded (meter.go): bytes of tables and closures
	allocMax int64
	done     chan struct{} // nil while running; closed once tripped
	closed   chan struct{}
	err      error
	timeout  bool
}

func (c *callCtx) init() {
	c.closed = make(chan struct{})
	close(c.closed)
	c.parent = context.Background()
}

// start arms the context for one call.
func (c *callCtx) start(parent context.Context, lim limits) {
	c.parent = parent
	c.begun = time.Now()
	c.deadline = c.begun.Add(lim.time)
	if d, ok := parent.Deadline(); ok && d.Before(c.deadline) {
		c.deadline = d
	}
	c.steps, c.bytes, c.every, c.next = 0, 0, checkEvery, checkEvery
	c.stepMax, c.allocMax = lim.instructions, lim.bytes
	c.done, c.err, c.timeout = nil, nil, false
	for _, m := range c.meters {
		m.SetValue(lua.LNumber(0))
	}
	if err := parent.Err(); err != nil {
		c.trip(err, errors.Is(err, context.DeadlineExceeded))
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
	if c.steps >= c.next {
		c.check()
	}
	return c.done
}

// used is what the call is counted to have allocated.
func (c *callCtx) used() int64 {
	n := c.bytes
	for _, m := range c.meters {
		if v, ok := m.Value().(lua.LNumber); ok {
			n += int64(v)
		}
	}
	return n
}

func (c *callCtx) check() {
	c.next = c.steps + c.every
	if c.steps > c.stepMax {
		c.trip(&limitError{fmt.Sprintf("instruction limit of %d exceeded", c.stepMax), ErrInstructionLimit}, false)
		return
	}
	if c.used() > c.allocMax {
		c.trip(c.memoryError(), false)
		return
	}
	if time.Now().After(c.deadline) {
		if err := c.parent.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
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
		c.trip(err, errors.Is(err, context.DeadlineExceeded))
	}
}

func (c *callCtx) memoryError() error {
	return &limitError{"memory limit of " + formatBytes(c.allocMax) + " exceeded", ErrMemoryLimit}
}

// raise stops the Lua code running with the error that tripped the call.
func (c *callCtx) raise(L *lua.LState) {
	L.RaiseError("%s", c.err.Error())
}

// work counts n instructions' worth of work done by a Go function (a
// pattern match, a copy) and stops the call when a budget or the deadline
// is exhausted.
func (c *callCtx) work(L *lua.LState, n int64) {
	if c.done == nil {
		c.steps += n
		if c.steps < c.next {
			return
		}
		c.check()
	}
	if c.done != nil {
		c.raise(L)
	}
}

// alloc counts n bytes a Go function is about to allocate for the call,
// and stops the call, before the allocation, when they do not fit in its
// budget.
func (c *callCtx) alloc(L *lua.LState, n int64) {
	if c.done == nil && c.used()+n > c.allocMax {
		c.trip(c.memoryError(), false)
	}
	if c.done != nil {
		c.raise(L)
	}
	c.bytes += n
	if (n >= bigValue || c.bytes >= muchBuilt) && c.every != fineCheckEvery {
		// Comparing or hashing a big string, or measuring a long list,
		// takes one instruction: check the clock more often from now on.
		c.every = fineCheckEvery
		c.next = min(c.next, c.steps+fineCheckEvery)
	}
}

// allocString is alloc for a string of n bytes the call is about to
// build; what names the function building it, for the error.
func (c *callCtx) allocString(L *lua.LState, n int64, what string) {
	if n > maxStringBytes {
		c.tooLong(L, what, "would")
	}
	c.alloc(L, n)
}

// tooLong stops the call: what (a function) would build, or could build
// (verb), a string longer than a plugin may.
func (c *callCtx) tooLong(L *lua.LState, what, verb string) {
	if c.done == nil {
		c.trip(&limitError{what + ": the result " + verb + " exceed " + formatBytes(maxStringBytes), ErrMemoryLimit}, false)
	}
	c.raise(L)
}
