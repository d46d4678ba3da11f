// Package deps holds the test that keeps ../shared/ARCHITECTURE.md's import
// rules true: it asks `go list -deps` what each package really links.
package deps

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/allmyleads/allmyleads"

// rule says what the packages of a pattern must not link (import paths,
// each also forbidding the packages below it), except what allow names.
type rule struct {
	pattern   string
	forbidden []string
	allow     []string
}

// under reports whether dep is path or a package below it.
func under(dep, path string) bool { return dep == path || strings.HasPrefix(dep, path+"/") }

func (r rule) breaks(dep string) bool {
	for _, a := range r.allow {
		if under(dep, a) {
			return false
		}
	}
	for _, f := range r.forbidden {
		if under(dep, f) {
			return true
		}
	}
	return false
}

// rules: the contract, the flow language, the Lua host and the quantity and
// intent readers are leaves;
// stores, extractors and channels link the contract, never the
// interpreter, the Lua host, the flow language, fsnotify or validator; the
// interpreter never links a channel or a database; the shipped binary does
// not link the testing package.
var rules = []rule{
	{pattern: module + "/engine/core", forbidden: []string{module, "github.com", "golang.org/x", "go.etcd.io", "gopkg.in"}, allow: []string{module + "/engine/core"}},
	{pattern: module + "/flows", forbidden: []string{module}, allow: []string{module + "/flows"}},
	{pattern: module + "/plugins", forbidden: []string{module}, allow: []string{module + "/plugins"}},
	{pattern: module + "/engine/store/...", forbidden: []string{module, "github.com/yuin/gopher-lua", "github.com/fsnotify", "github.com/go-playground/validator"},
		allow: []string{module + "/engine/core", module + "/engine/store"}},
	{pattern: module + "/engine/extract/...", forbidden: []string{module, "github.com/yuin/gopher-lua", "github.com/fsnotify"},
		allow: []string{module + "/engine/core", module + "/engine/extract", module + "/engine/quantity"}},
	{pattern: module + "/engine/quantity", forbidden: []string{module}, allow: []string{module + "/engine/quantity"}},
	{pattern: module + "/engine/intent", forbidden: []string{module}, allow: []string{module + "/engine/intent"}},
	{pattern: module + "/channels/...", forbidden: []string{module, "github.com/yuin/gopher-lua", "github.com/fsnotify", "github.com/go-playground/validator", "go.etcd.io/bbolt"},
		allow: []string{module + "/engine/core", module + "/channels"}},
	{pattern: module + "/engine", forbidden: []string{module + "/channels", module + "/engine/store", "go.etcd.io/bbolt"}},
	{pattern: module + "/cmd/allmyleads", forbidden: []string{"testing"}},
}

func TestImportRules(t *testing.T) {
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", r.pattern).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", r.pattern, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if r.breaks(dep) {
				t.Errorf("%s links %s, which ARCHITECTURE.md's import rules forbid", r.pattern, dep)
			}
		}
	}
}

// TestRuleMatching keeps the matcher honest: a rule must catch what it names.
func TestRuleMatching(t *testing.T) {
	r := rules[3] // engine/store
	for dep, want := range map[string]bool{
		module + "/engine":                 true,
		module + "/engine/core":            false,
		module + "/engine/store/storetest": false,
		module + "/plugins":                true,
		"github.com/yuin/gopher-lua/ast":   true,
		"go.etcd.io/bbolt":                 false,
		"testing":                          false,
	} {
		if got := r.breaks(dep); got != want {
			t.Errorf("engine/store linking %s: breaks = %v, want %v", dep, got, want)
		}
	}
}
