package plugins

import (
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// noInstructionLimit lets a test reach the wall-clock deadline.
const noInstructionLimit = 1 << 60

// writeFiles writes name → text into a new temporary folder.
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// openDir opens a host on a folder holding the given files (no shipped
// plugins unless opts says so).
func openDir(t testing.TB, files map[string]string, opts Options) *Host {
	t.Helper()
	opts.Dir = writeFiles(t, files)
	h, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// readJSON decodes a testdata file.
func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the output (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// call runs ref with vars.
func call(t testing.TB, h *Host, ref string, vars map[string]any) (*Result, error) {
	t.Helper()
	return h.Call(context.Background(), ref, Input{Contact: "c_test", Vars: vars})
}

// logSink is a slog.Handler that keeps records and signals each one.
type logSink struct {
	mu      sync.Mutex
	records []slog.Record
	ch      chan slog.Record
}

func newLogSink() *logSink { return &logSink{ch: make(chan slog.Record, 64)} }

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	s.mu.Lock()
	s.records = append(s.records, r)
	s.mu.Unlock()
	select {
	case s.ch <- r:
	default:
	}
	return nil
}
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *logSink) WithGroup(string) slog.Handler      { return s }

// waitFor waits until a record with the message arrives, or fails the
// test at the deadline. It returns the record's attributes.
func (s *logSink) waitFor(t *testing.T, msg string) map[string]string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-s.ch:
			if r.Message == msg {
				attrs := map[string]string{}
				r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
				return attrs
			}
		case <-deadline:
			t.Fatalf("no log record %q within the deadline", msg)
			return nil
		}
	}
}
