package plugins

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestHotReload changes files under a running host: a good edit is swapped
// in, a broken edit keeps the old version and logs FILE:LINE, a call in
// flight finishes on the version it started with, a new file appears and a
// deleted one falls back to the shipped file.
func TestHotReload(t *testing.T) {
	sink := newLogSink()
	shipped := fstest.MapFS{"x.lua": {Data: []byte("function f() return 'shipped' end\n")}}
	dir := writeFiles(t, map[string]string{"x.lua": "function f() return 'a' end\n"})
	h, err := Open(Options{Dir: dir, Shipped: shipped, Watch: true, Logger: slog.New(sink)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	path := filepath.Join(dir, "x.lua")
	expect := func(want string) {
		t.Helper()
		res, err := call(t, h, "x.f", nil)
		if err != nil || res.Value != want {
			t.Fatalf("x.f = %v, %v; want %q", res, err, want)
		}
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	expect("a")
	hashA, _ := h.Source("x")

	write("x.lua", "function f() return 'b' end\n")
	if attrs := sink.waitFor(t, "plugin reloaded"); attrs["file"] != path {
		t.Fatalf("reloaded %v", attrs)
	}
	expect("b")
	if hashB, _ := h.Source("x"); hashB == hashA {
		t.Fatal("source hash did not change")
	}

	write("x.lua", "function f()\n  return 'c' +\nend\n")
	attrs := sink.waitFor(t, "plugin reload failed; keeping the old version")
	if !strings.Contains(attrs["error"], path+":3:3: syntax error near 'end'") {
		t.Fatalf("reload error %v", attrs)
	}
	expect("b")

	// A call that took its state before the swap finishes on the old version.
	old := h.current("x")
	m, err := old.acquire()
	if err != nil {
		t.Fatal(err)
	}
	write("x.lua", "function f() return 'c' end\n")
	sink.waitFor(t, "plugin reloaded")
	expect("c")
	res, err := old.call(context.Background(), m, "x.f", "f", Input{})
	if err != nil || res.Value != "b" {
		t.Fatalf("in-flight call: %v %v", res, err)
	}
	old.release(m)
	if !m.L.IsClosed() {
		t.Fatal("a state of a replaced version went back to its pool")
	}

	write("y.lua", "function g() return 'new file' end\n")
	sink.waitFor(t, "plugin reloaded")
	if res, err := call(t, h, "y.g", nil); err != nil || res.Value != "new file" {
		t.Fatalf("y.g = %v %v", res, err)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	sink.waitFor(t, "plugin file removed; using the shipped version")
	expect("shipped")

	if err := os.Remove(filepath.Join(dir, "y.lua")); err != nil {
		t.Fatal(err)
	}
	sink.waitFor(t, "plugin file removed")
	if err := h.Has("y.g"); err == nil {
		t.Fatal("y.g still there after its file was removed")
	}
}
