package plugins

import (
	"bufio"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostileOptions are the budgets the hostile cases run under. The wall
// clock is far longer than any case needs: a case that reaches it fails
// (its error would be a timeout), so the work budgets, not the clock,
// must stop every one of them.
var hostileOptions = Options{AllocLimit: 16 << 20, InstructionLimit: 1_000_000, Timeout: 5 * time.Minute}

// hostileHeapBound is what the process may allocate while one case runs:
// a few times the budget (sizes are estimated, and the garbage of
// ordinary instructions is not counted), far below what these plugins
// allocate unchecked (GiBs).
const hostileHeapBound = 64 << 20

// hostileCase is one file of testdata/hostile, from its header comments:
//
//	-- want: memory | instructions | error | result | timeout
//	-- error: text the error's message contains
//	-- line: the line it names (optional)
//	-- call: the function to call (default f)
//	-- timeout: the wall clock, for the cases only the clock can stop
type hostileCase struct {
	want, error, call string
	line              int
	timeout           time.Duration
}

func readHostileCase(t *testing.T, path string) hostileCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := hostileCase{call: "f"}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "-- "), ": ")
		if !ok || !strings.HasPrefix(sc.Text(), "-- ") {
			break
		}
		switch key {
		case "want":
			c.want = val
		case "error":
			c.error = val
		case "call":
			c.call = val
		case "line":
			if c.line, err = strconv.Atoi(val); err != nil {
				t.Fatalf("%s: line: %v", path, err)
			}
		case "timeout":
			if c.timeout, err = time.ParseDuration(val); err != nil {
				t.Fatalf("%s: timeout: %v", path, err)
			}
		}
	}
	if c.want == "" || c.error == "" {
		t.Fatalf("%s: the header needs want: and error:", path)
	}
	return c
}

// TestHostilePlugins runs every plugin of testdata/hostile, each written
// to take the server down (memory, time, a result too big to keep), and
// checks what stopped it: the kind of error and its message. No timings
// are asserted.
func TestHostilePlugins(t *testing.T) {
	files, err := filepath.Glob("testdata/hostile/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("no hostile cases: %v", err)
	}
	kinds := map[string]error{"memory": ErrMemoryLimit, "instructions": ErrInstructionLimit, "result": ErrInvalidResult}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".lua")
		t.Run(name, func(t *testing.T) {
			c := readHostileCase(t, path)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			opts := hostileOptions
			if c.timeout > 0 {
				opts.Timeout = c.timeout
			}
			sink := newLogSink()
			opts.Logger = slog.New(sink)
			h := openDir(t, map[string]string{"hostile.lua": string(src) + "\nfunction fine__() return 'fine' end\n"}, opts)
			before := heapAllocs()
			_, err = call(t, h, "hostile."+c.call, map[string]any{"project": map[string]any{"service": "roofing"}})
			grew := heapAllocs() - before
			t.Logf("allocated %d MiB", grew>>20)
			if grew > hostileHeapBound {
				t.Errorf("the process allocated %d MiB during the call", grew>>20)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want an *Error", err)
			}
			if errors.Is(err, ErrTimeout) != (c.want == "timeout") {
				t.Fatalf("got %v, want a %s error", err, c.want)
			}
			if kind, ok := kinds[c.want]; ok && !errors.Is(err, kind) {
				t.Errorf("got %v, want a %s error", err, c.want)
			}
			if c.want == "error" {
				for _, kind := range kinds {
					if errors.Is(err, kind) {
						t.Errorf("got %v, want a plain error", err)
					}
				}
			}
			if !strings.Contains(pe.Msg, c.error) {
				t.Errorf("message %q does not contain %q", pe.Msg, c.error)
			}
			if c.line > 0 && pe.Line != c.line {
				t.Errorf("line %d, want %d (%v)", pe.Line, c.line, err)
			}
			// The log got a bounded share, and the host is fine afterwards.
			sink.mu.Lock()
			if len(sink.records) > maxLogLines+1 {
				t.Errorf("%d log lines from one call", len(sink.records))
			}
			for _, r := range sink.records {
				if len(r.Message) > maxLogLine+16 {
					t.Errorf("a log line of %d bytes", len(r.Message))
				}
			}
			sink.mu.Unlock()
			if res, err := call(t, h, "hostile.fine__", nil); err != nil || res.Value != "fine" {
				t.Errorf("the next call: %v, %v", res, err)
			}
		})
	}
}

// heapAllocs is what the process has allocated so far.
func heapAllocs() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
