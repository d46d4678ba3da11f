// Package plugins owns the Lua host of AllMyLeads: the sandbox, the pool of
// ready states, limits, hot reload, value conversion between Go and Lua,
// the `when:` conditions of flows, and the money arithmetic of quotes. It
// ships the default plugins (pricing.lua and its tests, embedded). It
// imports nothing of AllMyLeads, never talks to a customer and never stores
// anything: the engine calls it through a small interface.
//
// # Plugins
//
// A plugin is a Lua 5.1 file (gopher-lua). A flow calls one of its global
// functions as FILE.FUNCTION (`pricing.quote`) with one argument, ctx:
// ctx.lead, ctx.project, ctx.vars (all variables) and ctx.config (the
// plugins.config section of the configuration, read-only). Files are
// compiled once into function prototypes; every state in a file's pool has
// run the file's top level once. Globals a call assigns are wiped when it
// returns, so nothing one call sets is seen by the next; values kept in
// upvalues or tables of the file's top level are shared by the calls of one
// state and must be treated as constants. ctx and its tables belong to the
// call: the state reuses them for its next call, so a plugin must not keep
// them.
//
// The variables are not copied into Lua on each call: ctx's tables are lazy
// views that convert one level of the Go maps the first time they are
// touched. Results come back as map[string]any, []any, string, float64,
// bool or nil; functions, cyclic tables, NaN and infinities are errors that
// name the field.
//
// # Sandbox and limits
//
// Plugins get the safe parts of base (assert, error, pcall, select, type,
// tonumber, tostring, pairs, ipairs, next, unpack, getmetatable,
// setmetatable, rawget, rawequal), string, table and math, plus log(...)
// (to the structured log, tagged with the plugin and the contact tag) and
// round(x, places) (half away from zero). os, io, debug, package, require,
// dofile, loadfile, load, loadstring, setfenv, getfenv, rawset,
// collectgarbage, coroutine, string.dump and math.random are gone; touching
// one raises "forbidden: NAME is not available in plugins" at the line that
// did. Library tables and ctx.config are read-only; _G is the call's own
// globals.
//
// Each call is budgeted by what it does, counted by the call itself so
// that a busy process never fails it (limits.go): Options.InstructionLimit
// Lua instructions (10M by default; functions such as string.find and
// table.sort count their work in the same unit) and Options.AllocLimit
// bytes (64 MiB): the strings, tables, closures and table slots the call
// builds, counted before they are allocated wherever one operation could
// allocate much (string builders, .., t[k] = v far past a list's end,
// {...}), and estimated from their constructors for tables and closures
// (meter.go). gopher-lua offers no hook for its operators, so the syntax
// tree is rewritten before it is compiled (rewrite.go). One string is at
// most 4 MiB. Options.Timeout and the caller's context are a safety net,
// checked every 1024 instructions, or every 16 once the call has built a
// big value. Lua patterns are matched by a port of Lua 5.1's matcher that
// counts its steps (pattern.go). The call stack (200 frames) and the value
// stack (64k slots) are bounded, so runaway recursion fails cleanly. A
// limit ends the call (pcall cannot catch it); the error matches
// ErrInstructionLimit, ErrMemoryLimit or ErrTimeout. A state that was
// interrupted or exhausted a limit is closed, never returned to the pool.
// Results are bounded too: 100,000 values and 4 MiB of text once shared
// tables are expanded, and a quote 1,000 items. Runtime errors name the
// expression at fault where one on the line fits (names.go):
// "ctx.project.estimate is nil (indexed with "area_m2")".
//
// # Money
//
// A function that returns a table with an `items` key is a pricing
// function, and a function named quote must be one: whatever else it
// returns is an error (ErrInvalidResult). The host, not the plugin, computes the amounts, in integer minor
// units of the currency (ISO 4217 decimals: cents for EUR, yen for JPY, fils
// for KWD), with one rounding rule, half away from zero, applied to the
// decimal a number reads as (35.675 is 35.675, not 35.67499...):
//
//	unit_price_minor = round(unit_price × 10^decimals)    per item
//	line total       = round(quantity × unit_price_minor) per item
//	subtotal         = Σ line totals
//	discount         = round(subtotal × discount)
//	tax              = round((subtotal − discount) × tax_rate)
//	total            = subtotal − discount + tax
//
// quantity defaults to 1. Negative quantities or prices, NaN, a discount
// or tax_rate outside [0, 1), an unknown currency, an empty item list, an
// item without description and unknown keys (a typo such as `unit_prce`)
// are rejected with the field named: `items[2].unit_price: must not be
// negative`. Every Quote keeps the plugin, the SHA-256 of its source and
// its inputs, so a price can be reproduced with `allmyleads plugin run`.
//
// # Conditions
//
// CompileCondition compiles a flow's `when:` expression once; Eval runs it
// over the variables in a small pool of sandboxed states, with a budget of
// 1M instructions and 64 MiB, and a 2 s clock. Field access is nil-safe:
// `lead.city == nil` is true when lead is missing. An evaluation that
// fails is an error, never false.
//
// # Hot reload
//
// With Options.Watch, changes to Options.Dir are picked up (fsnotify): the
// new text is compiled and loaded, then swapped in atomically; calls in
// flight finish on the old version. A file that no longer compiles keeps
// its old version and the error is logged with FILE:LINE. A deleted file
// falls back to the shipped file of the same name, if there is one.
//
// # Tests
//
// RunTests runs *_test.lua files: in X_test.lua the globals of X.lua are
// visible, each global function test_* is a test, and assert_eq,
// assert_error and assert_quote_total help (see pricing_test.lua); what a
// test prints is its TestResult.Output.
package plugins
