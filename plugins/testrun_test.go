package plugins

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// formatResults renders results the way `allmyleads plugin test` does.
func formatResults(results []TestResult) string {
	var b strings.Builder
	for _, r := range results {
		if r.Passed {
			fmt.Fprintf(&b, "PASS %s:%s\n", r.File, r.Name)
		} else {
			fmt.Fprintf(&b, "FAIL %s: %s: %s\n", location(r.Err), r.Name, r.Err.Msg)
		}
		for _, line := range strings.SplitAfter(r.Output, "\n") {
			if line != "" {
				fmt.Fprintf(&b, "    %s", line)
			}
		}
	}
	return b.String()
}

func location(e *Error) string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return e.File
}

func TestRunShippedTests(t *testing.T) {
	h, err := Open(Options{Shipped: ShippedFS()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	results, err := h.RunTests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 10 {
		t.Fatalf("only %d shipped tests", len(results))
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("FAIL %s: %s: %v", r.File, r.Name, r.Err)
		}
	}
}

// TestRunTests runs testdata/plugintest/calc_test.lua, whose tests pass
// and fail on purpose, and compares the report with a golden file.
func TestRunTests(t *testing.T) {
	// test_endless runs into the instruction limit (ten times a call's),
	// long before the clock.
	h, err := Open(Options{Dir: "testdata/plugintest", Timeout: time.Minute, InstructionLimit: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	results, err := h.RunTests(context.Background(), "calc_test.lua")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plugintest.golden", []byte(formatResults(results)))
	if _, err := h.RunTests(context.Background(), "nothing_test"); err == nil {
		t.Fatal("a missing test file was not an error")
	}
}
