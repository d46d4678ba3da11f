package browsertest

import (
	"fmt"
	"strings"
	"testing"
)

// recordingTB is a testing.TB that records a skip or a failure instead of
// ending the test.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper()                       {}
func (r *recordingTB) Skipf(format string, a ...any) { r.skipped = fmt.Sprintf(format, a...) }
func (r *recordingTB) Fatalf(format string, a ...any) {
	r.failed = fmt.Sprintf(format, a...)
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestMissingBrowser: without a browser a test is skipped with the line to
// run, except under CI=true where it fails.
func TestMissingBrowser(t *testing.T) {
	for _, c := range []struct {
		name       string
		vars       map[string]string
		skip, fail bool
	}{
		{"locally", map[string]string{EnvBrowser: "no-such-browser-anywhere"}, true, false},
		{"in CI", map[string]string{EnvBrowser: "no-such-browser-anywhere", "CI": "true"}, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &recordingTB{TB: t}
			if ctx := newWith(rec, Options{}, env(c.vars)); ctx != nil {
				t.Fatal("a context without a browser")
			}
			if (rec.skipped != "") != c.skip || (rec.failed != "") != c.fail {
				t.Fatalf("skipped %q, failed %q; want skip=%v fail=%v", rec.skipped, rec.failed, c.skip, c.fail)
			}
			if msg := rec.skipped + rec.failed; !strings.Contains(msg, "apt-get install -y chromium") {
				t.Errorf("the message does not say what to install: %q", msg)
			}
		})
	}
}

// TestFindPrefersTheVariable: $ALLMYLEADS_BROWSER wins over PATH.
func TestFindPrefersTheVariable(t *testing.T) {
	if _, ok := Find(env(map[string]string{EnvBrowser: "no-such-browser-anywhere"})); ok {
		t.Fatal("found a browser that does not exist")
	}
	if p, ok := Find(env(map[string]string{EnvBrowser: "sh"})); !ok || !strings.HasSuffix(p, "/sh") {
		t.Fatalf("Find with %s=sh = %q, %v", EnvBrowser, p, ok)
	}
}
