package engine_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/internal/golden"
	"github.com/allmyleads/allmyleads/plugins"
)

// fixtureConfig is the optional config.yaml of a conversation fixture.
type fixtureConfig struct {
	MaxSteps    int    `yaml:"max_steps"`
	IdleTimeout string `yaml:"idle_timeout"`
}

// TestConversations plays every testdata/conversations/NAME/script.txt
// against the flows (and plugins) beside it and compares the transcript
// with transcript.golden.
func TestConversations(t *testing.T) {
	dirs, err := filepath.Glob("testdata/conversations/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no conversation fixtures: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			h := enginetest.New(t, fixtureOptions(t, dir))
			script, err := os.ReadFile(filepath.Join(dir, "script.txt"))
			if err != nil {
				t.Fatal(err)
			}
			got := enginetest.Run(h, dir, string(script))
			golden.Check(t, filepath.Join(dir, "transcript.golden"), []byte(got))
		})
	}
}

func fixtureOptions(t *testing.T, dir string) enginetest.Options {
	t.Helper()
	o := enginetest.Options{FlowsDir: filepath.Join(dir, "flows")}
	if raw, err := os.ReadFile(filepath.Join(dir, "config.yaml")); err == nil {
		var fc fixtureConfig
		if err := yaml.Unmarshal(raw, &fc); err != nil {
			t.Fatalf("config.yaml: %v", err)
		}
		o.Config.MaxSteps = fc.MaxSteps
		if fc.IdleTimeout != "" {
			d, err := time.ParseDuration(fc.IdleTimeout)
			if err != nil {
				t.Fatalf("config.yaml: idle_timeout: %v", err)
			}
			o.Config.IdleTimeout = d
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "plugins")); err == nil && st.IsDir() {
		host, err := plugins.Open(plugins.Options{Dir: filepath.Join(dir, "plugins"), Timeout: time.Second})
		if err != nil {
			t.Fatalf("plugins: %v", err)
		}
		t.Cleanup(func() { host.Close() })
		o.Plugins = host
	}
	return o
}

// TestEveryStepKindHasAFixture walks the language's registry of step kinds:
// each must have a conversation fixture testdata/conversations/step_KIND, so
// a new kind cannot land untested.
func TestEveryStepKindHasAFixture(t *testing.T) {
	for _, k := range flows.Kinds() {
		dir := filepath.Join("testdata", "conversations", "step_"+string(k.Kind))
		if _, err := os.Stat(filepath.Join(dir, "script.txt")); err != nil {
			t.Errorf("step kind %q has no conversation fixture %s/script.txt", k.Kind, dir)
		}
	}
	_ = engine.ErrDuplicate
}
