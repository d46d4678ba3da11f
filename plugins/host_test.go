package plugins

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

func TestShippedPricing(t *testing.T) {
	h, err := Open(Options{Shipped: ShippedFS()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	res, err := call(t, h, "pricing.quote", benchVars())
	if err != nil {
		t.Fatal(err)
	}
	// 42.5 m² tiles × €55 = €2,337.50; scaffolding €350; rush 15% of the
	// work = €350.63 (rounded by the plugin); subtotal €3,038.13;
	// VAT 21% = €638.0073 → €638.01; total €3,676.14.
	q := res.Quote
	if q == nil || q.Total != 367614 || q.Subtotal != 303813 || q.Tax != 63801 || len(q.Items) != 3 {
		t.Fatalf("quote %+v", q)
	}
	if q.Items[2].Description != "Rush fee (15%)" || q.Items[2].UnitPrice != 35063 {
		t.Fatalf("rush line %+v", q.Items[2])
	}
	_, err = call(t, h, "pricing.quote", map[string]any{"project": map[string]any{"service": "other"}})
	var pe *Error
	if !errors.As(err, &pe) || pe.File != "pricing.lua" || pe.Line == 0 || !strings.HasPrefix(pe.Msg, "needs a human") {
		t.Fatalf("other: %v", err)
	}
	if _, ok := h.Source("pricing.lua"); !ok {
		t.Fatal("no source hash for pricing.lua")
	}
}

func TestHas(t *testing.T) {
	h, err := Open(Options{Shipped: ShippedFS()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for ref, want := range map[string]string{
		"pricing.quote":          "",
		"pricng.quote":           `plugin file pricng.lua not found (did you mean "pricing.quote"?)`,
		"billing.quote":          "plugin file billing.lua not found (plugins: pricing)",
		"pricing.qoute":          `pricing.lua has no function qoute (did you mean "pricing.quote"?)`,
		"pricing.discount_rules": "pricing.lua has no function discount_rules (functions: quote)",
		"pricing_test.test_x":    "pricing_test.lua is a test file, not a plugin (did you mean \"pricing.test_x\"?)",
		"pricing":                `plugin "pricing": want FILE.FUNCTION, e.g. pricing.quote`,
		"pricing.":               `plugin "pricing.": want FILE.FUNCTION, e.g. pricing.quote`,
	} {
		err := h.Has(ref)
		switch {
		case want == "" && err != nil:
			t.Errorf("Has(%q) = %v", ref, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Errorf("Has(%q) = %v\n want %s", ref, err, want)
		}
	}
	if err := h.Has("pricing.qoute"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing function is not ErrNotFound: %v", err)
	}
	if _, err := h.Call(context.Background(), "pricing.qoute", Input{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Call of a missing function: %v", err)
	}
}

// Files of the user folder override shipped files of the same name; the
// others stay.
func TestUserFolderOverrides(t *testing.T) {
	shipped := fstest.MapFS{
		"pricing.lua": {Data: []byte("function name() return 'shipped' end\n")},
		"extras.lua":  {Data: []byte("function hello() return 'extras' end\n")},
	}
	h := openDir(t, map[string]string{"pricing.lua": "function name() return 'mine' end\n", "notes.txt": "not a plugin"}, Options{Shipped: shipped})
	for ref, want := range map[string]string{"pricing.name": "mine", "extras.hello": "extras"} {
		res, err := call(t, h, ref, nil)
		if err != nil || res.Value != want {
			t.Errorf("%s = %v, %v; want %q", ref, res, err, want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	cases := map[string]struct {
		files map[string]string
		want  []string
	}{
		"syntax error": {map[string]string{"bad.lua": "function f()\n  return 1 +\nend\n"}, []string{"bad.lua:3:3: syntax error near 'end'"}},
		"unclosed":     {map[string]string{"bad.lua": "function f()\n  return 1\n"}, []string{"bad.lua: unexpected end of file"}},
		"runtime error at load": {map[string]string{"bad.lua": "local x = nil\nlocal y = x.field\n"},
			[]string{`bad.lua:2: x is nil (indexed with "field")`}},
		"two broken files": {map[string]string{"a.lua": "x = = 1\n", "b.lua": "function\n"},
			[]string{"a.lua:1:5: syntax error near '='", "b.lua: unexpected end of file"}},
		"dotted name":       {map[string]string{"my.pricing.lua": "function f() end\n"}, []string{"my.pricing.lua: a plugin file name may not contain dots or spaces"}},
		"endless top level": {map[string]string{"loop.lua": "while true do end\n"}, []string{"loop.lua:1: instruction limit of 1000000 exceeded"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			_, err := Open(Options{Dir: dir, Timeout: time.Minute, InstructionLimit: 1_000_000}) // the instruction limit, not the clock, stops the loop
			if err == nil {
				t.Fatal("Open succeeded")
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("%v is not an *Error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), filepath.Join(dir, w)) {
					t.Errorf("error %q does not contain %q", err, filepath.Join(dir, w))
				}
			}
		})
	}
	if _, err := Open(Options{Dir: filepath.Join(t.TempDir(), "missing")}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing folder: %v", err)
	}
}

// A test file that does not compile does not stop the host.
func TestBrokenTestFileDoesNotStopTheHost(t *testing.T) {
	sink := newLogSink()
	h := openDir(t, map[string]string{"p.lua": "function f() return 1 end\n", "p_test.lua": "function test_x(\n"},
		Options{Logger: slog.New(sink)})
	if res, err := call(t, h, "p.f", nil); err != nil || res.Value != 1.0 {
		t.Fatalf("%v %v", res, err)
	}
	results, err := h.RunTests(context.Background())
	if err != nil || len(results) != 1 || results[0].Passed || !strings.Contains(results[0].Err.Error(), "p_test.lua: unexpected end of file") {
		t.Fatalf("%+v %v", results, err)
	}
	if len(sink.records) == 0 || sink.records[0].Level != slog.LevelWarn {
		t.Fatalf("no warning logged: %v", sink.records)
	}
}

// log(...) goes to the structured log tagged with plugin and contact.
func TestLog(t *testing.T) {
	sink := newLogSink()
	h := openDir(t, map[string]string{"p.lua": "function f(ctx)\n  log('area', 42, nil, true)\n  print('also logged')\nend\n"}, Options{Logger: slog.New(sink)})
	if _, err := h.Call(context.Background(), "p.f", Input{Contact: "c_9f2"}); err != nil {
		t.Fatal(err)
	}
	if len(sink.records) != 2 {
		t.Fatalf("records %v", sink.records)
	}
	r := sink.records[0]
	attrs := map[string]string{}
	r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
	if r.Message != "area 42 nil true" || attrs["plugin"] != "p.f" || attrs["contact"] != "c_9f2" || r.Level != slog.LevelInfo {
		t.Fatalf("record %q %v", r.Message, attrs)
	}
}

// Many goroutines call through the pool at once; every caller gets the
// price of its own input.
func TestConcurrentCalls(t *testing.T) {
	h, err := Open(Options{Shipped: ShippedFS(), PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				area := float64(20 + g*5 + i%4)
				vars := map[string]any{"project": map[string]any{"service": "painting", "estimate": map[string]any{"area_m2": area, "surface": "ceilings"}}}
				res, err := h.Call(context.Background(), "pricing.quote", Input{Contact: fmt.Sprint(g), Vars: vars})
				if err != nil {
					errs <- err
					return
				}
				// ceilings €19/m², minimum €250, VAT 21%
				work := max(area*1900, 25000)
				want := int64(work) + int64(work*0.21+0.5)
				if res.Quote.Total != want {
					errs <- fmt.Errorf("area %v: total %d, want %d", area, res.Quote.Total, want)
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
	if n := len(h.current("pricing").idle); n > 2 {
		t.Errorf("%d idle states, pool size 2", n)
	}
}

func TestClose(t *testing.T) {
	h := openDir(t, map[string]string{"p.lua": "function f() return 1 end\n"}, Options{})
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := call(t, h, "p.f", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "pricing.lua", Line: 12, Msg: "boom"}, "pricing.lua:12: boom"},
		{Error{File: "pricing.lua", Line: 12, Col: 3, Msg: "boom"}, "pricing.lua:12:3: boom"},
		{Error{File: "pricing.lua", Msg: "boom"}, "pricing.lua: boom"},
		{Error{Col: 7, Msg: "boom"}, "column 7: boom"},
		{Error{Line: 2, Col: 7, Msg: "boom"}, "line 2, column 7: boom"},
		{Error{Msg: "boom"}, "boom"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
