package engine_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/internal/golden"
	"github.com/allmyleads/allmyleads/plugins"
)

// fixtureConfig is the optional config.yaml of a conversation fixture.
type fixtureConfig struct {
	MaxSteps    int    `yaml:"max_steps"`
	IdleTimeout string `yaml:"idle_timeout"`
	// Plugins is the folder of Lua plugins the fixture's flows call,
	// relative to the fixture's folder; fixtures share testdata/plugins.
	Plugins string `yaml:"plugins"`
	// QuietHours and Timezone are the business's quiet hours ("21:00-08:00")
	// in its time zone (default UTC).
	QuietHours string `yaml:"quiet_hours"`
	Timezone   string `yaml:"timezone"`
	// WhatsApp gives the fixture's channel WhatsApp's 24-hour window and
	// templates.
	WhatsApp bool `yaml:"whatsapp"`
}

// TestConversations plays every testdata/conversations/NAME/script.txt
// against the flows beside it (the shipped flows when it has no flows
// folder; and the plugins its config.yaml names) and compares the
// transcript with transcript.golden.
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
	if _, err := os.Stat(o.FlowsDir); errors.Is(err, os.ErrNotExist) {
		o.FlowsDir = "" // a fixture without a flows folder plays the shipped flows
	}
	var fc fixtureConfig
	cfgPath := filepath.Join(dir, "config.yaml")
	if raw, err := os.ReadFile(cfgPath); err == nil {
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("%s: %v", cfgPath, err)
		}
	}
	o.Config.MaxSteps = fc.MaxSteps
	if fc.IdleTimeout != "" {
		d, err := time.ParseDuration(fc.IdleTimeout)
		if err != nil {
			t.Fatalf("%s: idle_timeout: %v", cfgPath, err)
		}
		o.Config.IdleTimeout = d
	}
	if fc.QuietHours != "" {
		q, err := engine.ParseQuietHours(fc.QuietHours)
		if err != nil {
			t.Fatalf("%s: %v", cfgPath, err)
		}
		o.Config.QuietHours = q
	}
	if fc.Timezone != "" {
		loc, err := time.LoadLocation(fc.Timezone)
		if err != nil {
			t.Fatalf("%s: timezone: %v", cfgPath, err)
		}
		o.Config.Location = loc
	}
	if fc.WhatsApp {
		o.Channels = &core.Channels{}
		if err := o.Channels.Register(enginetest.WhatsAppLike("test")); err != nil {
			t.Fatal(err)
		}
	}
	if fc.Plugins != "" {
		host, err := plugins.Open(plugins.Options{Dir: filepath.Join(dir, fc.Plugins), Timeout: time.Second})
		if err != nil {
			t.Fatalf("%s: plugins: %v", cfgPath, err)
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
