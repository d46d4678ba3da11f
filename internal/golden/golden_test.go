package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiff reads each testdata/diff/NAME.txt (a "-- want --" section, then
// a "-- got --" section) and checks the diff with NAME.diff.
func TestDiff(t *testing.T) {
	files, err := filepath.Glob("testdata/diff/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rest, ok := strings.CutPrefix(string(raw), "-- want --\n")
			want, got, ok2 := strings.Cut(rest, "-- got --\n")
			if !ok || !ok2 {
				t.Fatalf("%s: want a -- want -- section, then a -- got -- section", f)
			}
			Check(t, strings.TrimSuffix(f, ".txt")+".diff", []byte(diff("want.golden", []byte(want), []byte(got))))
		})
	}
}

// recorder is a testing.TB that keeps what Check reports.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, a...))
}

// TestCheck checks each way Check can go; it sets -update itself, so it
// runs the same under go test -update.
func TestCheck(t *testing.T) {
	defer func(old bool) { *Update = old }(*Update)
	*Update = false
	dir := t.TempDir()
	path := filepath.Join(dir, "out", "x.golden")

	r := &recorder{TB: t}
	Check(r, path, []byte("a\n"))
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "x.golden") || !strings.Contains(r.fatals[0], "go test -update") {
		t.Errorf("missing golden file: reports %q, want one fatal naming the file and go test -update", r.fatals)
	}

	*Update = true
	r = &recorder{TB: t}
	Check(r, path, []byte("a\nb\n"))
	*Update = false
	if len(r.errors)+len(r.fatals) > 0 {
		t.Fatalf("-update: reports %q %q", r.errors, r.fatals)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a\nb\n" {
		t.Fatalf("-update wrote %q (%v)", b, err)
	}

	r = &recorder{TB: t}
	Check(r, path, []byte("a\nb\n"))
	if len(r.errors)+len(r.fatals) > 0 {
		t.Errorf("same output: reports %q %q", r.errors, r.fatals)
	}

	r = &recorder{TB: t}
	Check(r, path, []byte("a\nc\n"))
	if len(r.errors) != 1 || len(r.fatals) != 0 {
		t.Fatalf("different output: reports %q %q, want one error", r.errors, r.fatals)
	}
	for _, want := range []string{path + " differs", "go test -update", "- b\n", "+ c\n"} {
		if !strings.Contains(r.errors[0], want) {
			t.Errorf("report lacks %q:\n%s", want, r.errors[0])
		}
	}
}
