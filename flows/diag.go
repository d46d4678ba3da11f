package flows

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a diagnostic stops a flow from running (Error), is
// advice (Warning), or says how far the check went (Note).
type Severity int

// The severities, errors first.
const (
	Error Severity = iota
	Warning
	// Note is neither an error nor a warning: it says what was not
	// checked, e.g. because another file has syntax errors.
	Note
)

// String returns "error", "warning" or "note".
func (s Severity) String() string {
	switch s {
	case Warning:
		return "warning"
	case Note:
		return "note"
	}
	return "error"
}

// Diagnostic is one finding about a flow file, with its place and, where one
// helps, a hint such as `did you mean "ask_email"?`.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Message  string
	Hint     string
}

// String renders the diagnostic as one line:
// FILE:LINE:COL: error: message (hint).
func (d Diagnostic) String() string {
	var b strings.Builder
	switch {
	case d.Pos.File == "" && d.Pos.Line == 0:
		b.WriteString("-")
	case d.Pos.Line == 0:
		b.WriteString(d.Pos.File)
	default:
		b.WriteString(d.Pos.String())
	}
	b.WriteString(": ")
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	b.WriteString(d.Message)
	if d.Hint != "" {
		b.WriteString(" (")
		b.WriteString(d.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Diagnostics is a list of findings, usually from loading and linting.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the errors.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Count returns how many errors and warnings there are; notes are not
// counted.
func (ds Diagnostics) Count() (errors, warnings int) {
	for _, d := range ds {
		switch d.Severity {
		case Error:
			errors++
		case Warning:
			warnings++
		}
	}
	return errors, warnings
}

// Sort orders the diagnostics by file, line and column, errors before
// warnings at the same place, so output is stable.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		return a.Message < b.Message
	})
}

// String renders one diagnostic per line.
func (ds Diagnostics) String() string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Err returns the errors as one error value, or nil when there are none, for
// callers that refuse to run broken flows.
func (ds Diagnostics) Err() error {
	errs := ds.Errors()
	if len(errs) == 0 {
		return nil
	}
	return &LoadError{Diagnostics: errs}
}

// LoadError carries the errors that stop flows from running.
type LoadError struct {
	Diagnostics Diagnostics
}

// Error names the first error and how many more there are.
func (e *LoadError) Error() string {
	if len(e.Diagnostics) == 0 {
		return "flows: no errors"
	}
	first := e.Diagnostics[0].String()
	if n := len(e.Diagnostics) - 1; n > 0 {
		return fmt.Sprintf("%s (and %d more %s)", first, n, plural(n, "error", "errors"))
	}
	return first
}

// collector gathers diagnostics; loading and linting share it.
type collector struct {
	diags Diagnostics
}

func (c *collector) add(sev Severity, pos Pos, hint, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	c.diags = append(c.diags, Diagnostic{Pos: pos, Severity: sev, Message: msg, Hint: hint})
}

func (c *collector) errorf(pos Pos, hint, format string, args ...any) {
	c.add(Error, pos, hint, format, args...)
}

func (c *collector) warnf(pos Pos, hint, format string, args ...any) {
	c.add(Warning, pos, hint, format, args...)
}

func (c *collector) notef(pos Pos, hint, format string, args ...any) {
	c.add(Note, pos, hint, format, args...)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
