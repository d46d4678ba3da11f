package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/extract"
	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/metrics"
	"github.com/allmyleads/allmyleads/plugins"
)

// runtime is everything a running bot needs, wired from the configuration:
// the store, the flows, the plugin host, the extractor, the engine and its
// router. chat and serve share it.
type runtime struct {
	cfg     Config
	logger  *slog.Logger
	store   backend
	flows   *flows.Set
	plugins *plugins.Host
	engine  *engine.Engine
	router  *engine.Router
	// channels are the channels this process serves; the engine renders
	// each message for its channel. chat and serve register theirs.
	channels core.Channels
	// metrics are told what the engine does; serve shows them on /metrics.
	metrics *metrics.Metrics
	// clock is the engine's clock: nil is the real one; the terminal chat
	// has its own, which /wait moves.
	clock func() time.Time
	// notices is the engine's Notifier: nobody until serve sets the
	// owner's alerts and webhooks (serve_alerts.go).
	notices notifierSlot

	mu      sync.Mutex
	notify  []func()
	commits []func(contact string) // after every committed turn (the console's live updates)
}

// newRuntimeOn builds a runtime over st when it is already open (the
// handoff command may have it from the admin socket's server), else over
// the configured store.
func newRuntimeOn(ctx context.Context, cfg Config, env *cliEnv, st backend) (*runtime, error) {
	return newRuntimeAt(ctx, cfg, env, st, nil)
}

// newRuntimeAt is newRuntimeOn with the engine on the given clock (nil:
// the real one). chat and serve open the store and load flows and plugins
// with it; flow or plugin errors come back with every diagnostic,
// FILE:LINE first.
func newRuntimeAt(ctx context.Context, cfg Config, env *cliEnv, st backend, clock func() time.Time) (*runtime, error) {
	rt := &runtime{cfg: cfg, logger: newLogger(env), clock: clock}
	rt.metrics = metrics.New(rt.logger)
	var err error
	if rt.plugins, err = openPlugins(cfg, rt.logger); err != nil {
		return nil, err
	}
	if rt.flows, err = loadFlows(cfg.Flows.Dir, cfg.Engine.StartFlow, rt.plugins); err != nil {
		rt.plugins.Close()
		return nil, err
	}
	if st == nil {
		if st, err = openBackend(ctx, cfg, env); err != nil {
			rt.plugins.Close()
			return nil, err
		}
	}
	return rt.start(st)
}

// start wires the extractor, the engine and the router over the store.
func (rt *runtime) start(st backend) (*runtime, error) {
	cfg, logger, set, host := rt.cfg, rt.logger, rt.flows, rt.plugins
	rt.store = st
	xt := extract.New(extract.Options{Logger: logger, OpenAI: extract.OpenAIOptions{
		APIKey: cfg.OpenAI.APIKey, BaseURL: cfg.OpenAI.BaseURL, Model: cfg.OpenAI.Model,
		Timeout: cfg.OpenAI.Timeout.D(), MaxImageBytes: cfg.OpenAI.MaxImageBytes, Logger: logger,
	}})
	eng, err := engine.New(engineConfig(cfg), engine.Deps{
		Store: st, Flows: set, Plugins: host, Extractor: xt, Rights: st.ChatRights(),
		Tag: st.ContactKey, Logger: logger, OnOutbound: rt.wake, Channels: &rt.channels, Clock: rt.clock,
		OnCommit: rt.committed, Observer: rt.metrics.Engine(), Notifier: &rt.notices, Payments: paymentLinker(cfg),
	})
	if err != nil {
		rt.Close()
		return nil, err
	}
	rt.engine = eng
	rt.router = engine.NewRouter(eng, cfg.Engine.Workers)
	return rt, nil
}

// setNotify registers a wake-up called after every commit that queued
// outbound messages (a channel's sender).
func (rt *runtime) setNotify(fn func()) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.notify = append(rt.notify, fn)
}

func (rt *runtime) wake() {
	rt.mu.Lock()
	fns := rt.notify
	rt.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Close stops the router (finishing queued messages), then closes the
// plugin host and the store.
func (rt *runtime) Close() error {
	if rt.router != nil {
		rt.router.Close()
	}
	var errs []error
	if rt.plugins != nil {
		errs = append(errs, rt.plugins.Close())
	}
	if rt.store != nil {
		errs = append(errs, rt.store.Close())
	}
	return errors.Join(errs...)
}

func newLogger(env *cliEnv) *slog.Logger {
	level := slog.LevelWarn
	switch strings.ToLower(env.getenv("ALLMYLEADS_LOG")) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "error":
		level = slog.LevelError
	}
	w := env.stderr
	if env.logs != nil {
		w = env.logs // the terminal chat's --log file, or nowhere
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// loadFlows loads the flows of dir, or the shipped ones, lints them as
// `flow lint` would (plugin references and conditions checked with host),
// and fails with every error diagnostic: a bot never runs flows the linter
// rejects. A nil host loads without linting (a command that only reads the
// flows' validation rules).
func loadFlows(dir, startFlow string, host *plugins.Host) (*flows.Set, error) {
	set, diags := flows.Load(dir)
	if !diags.HasErrors() && host != nil {
		diags = append(diags, flows.Lint(set, pluginLintOptions(host, startFlow))...)
		diags.Sort()
	}
	if diags.HasErrors() {
		return nil, diagError("flows", diags)
	}
	return set, nil
}

func diagError(what string, diags flows.Diagnostics) error {
	var lines []string
	for _, d := range diags {
		if d.Severity == flows.Error {
			lines = append(lines, d.String())
		}
	}
	return fmt.Errorf("%s have errors (`allmyleads flow lint` shows them too):\n%s", what, strings.Join(lines, "\n"))
}

// pluginsDir is the user plugin folder: the configured one, else ./plugins
// when it exists, else none (the shipped plugins only).
func pluginsDir(cfg Config) string {
	if cfg.Plugins.Dir != "" {
		return cfg.Plugins.Dir
	}
	if st, err := os.Stat("plugins"); err == nil && st.IsDir() {
		return "plugins"
	}
	return ""
}

func openPlugins(cfg Config, logger *slog.Logger) (*plugins.Host, error) {
	pc := map[string]any{"currency": cfg.Business.Currency}
	for k, v := range cfg.Plugins.Config {
		pc[k] = v
	}
	host, err := plugins.Open(plugins.Options{
		Dir: pluginsDir(cfg), Shipped: plugins.ShippedFS(), Timeout: cfg.Plugins.Timeout.D(),
		Config: pc, Logger: logger, Watch: cfg.Plugins.Watch,
	})
	if err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	}
	return host, nil
}

// extractorNote says which extractor reads photos and text.
func extractorNote(cfg Config) string {
	if cfg.OpenAI.APIKey == "" {
		return "Photos and descriptions are read by the offline extractor (sizes, emails, phone numbers from captions and text); set OPENAI_API_KEY to read photos with " + cfg.OpenAI.Model + "."
	}
	return "Photos and descriptions are read by " + cfg.OpenAI.Model + "."
}

func engineConfig(cfg Config) engine.Config {
	return engine.Config{
		StartFlow:     cfg.Engine.StartFlow,
		IdleTimeout:   cfg.Engine.IdleTimeout.D(),
		MaxSteps:      cfg.Engine.MaxSteps,
		Keywords:      cfg.Engine.Keywords,
		Intents:       cfg.Engine.Intents,
		Currency:      cfg.Business.Currency,
		PolicyVersion: cfg.Business.PolicyVersion,
		Business: map[string]any{
			"business_name": cfg.Business.Name,
			"privacy_url":   cfg.Business.PrivacyURL,
			"currency":      cfg.Business.Currency,
			"minimum_age":   cfg.Business.MinimumAge,
		},
		Texts:          cfg.Engine.Texts,
		Privacy:        engine.Privacy{MinimumAge: cfg.Business.MinimumAge, PolicyChanges: cfg.Business.PolicyChanges, Texts: cfg.Engine.PrivacyTexts},
		Payments:       paymentsConfig(cfg),
		QuoteApproval:  cfg.Business.QuoteApproval.rule(cfg.Business.Currency),
		ExtractTimeout: cfg.OpenAI.Timeout.D() + cfg.OpenAI.Timeout.D()/10,
		// Checked by LoadConfig: the quiet hours parse, the zone exists.
		QuietHours:       orZero(engine.ParseQuietHours(cfg.Business.QuietHours)),
		Location:         orZero(time.LoadLocation(cfg.Business.Timezone)),
		TemplateLanguage: cfg.WhatsApp.TemplateLanguage,
	}
}

// orZero returns v, or its zero value when err is set (for values the
// configuration's validation already checked).
func orZero[T any](v T, err error) T {
	if err != nil {
		var zero T
		return zero
	}
	return v
}
