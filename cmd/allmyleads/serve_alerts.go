package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/allmyleads/allmyleads/channels/whatsapp"
	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/owner/notify"
)

// OwnerConfig is the owner's WhatsApp as a console: the numbers that get
// alert cards and whose button presses are owner commands.
type OwnerConfig struct {
	// WhatsApp are the owner's numbers ("+44 7700 900999").
	WhatsApp []string `yaml:"whatsapp"`
	// Events are the events that reach them (default: all of
	// core.OwnerEvents).
	Events []string `yaml:"events"`
	// Template is the approved template sent instead of a card outside
	// the owner's 24-hour window (README shows its text); unset: such
	// cards wait, listed in the console as failed notices.
	Template OwnerTemplate `yaml:"template"`
}

// OwnerTemplate names the owner's alert template.
type OwnerTemplate struct {
	Name     string `yaml:"name"`
	Language string `yaml:"language"` // default whatsapp.template_language
}

// WebhookConfig is one receiver of the business's events.
type WebhookConfig struct {
	URL string `yaml:"url"`
	// Secret signs every delivery; SecretEnv names an environment variable
	// that holds it instead (secrets come from the environment).
	Secret    string   `yaml:"secret"`
	SecretEnv string   `yaml:"secret_env"`
	Events    []string `yaml:"events"` // default: every event
}

// checkAlerts checks the owner, webhooks and console.public_url settings,
// every finding at once.
func checkAlerts(path string, cfg *Config) []string {
	var lines []string
	bad := func(format string, a ...any) {
		lines = append(lines, fmt.Sprintf("%s: error: "+format, append([]any{path}, a...)...))
	}
	for i, n := range cfg.Owner.WhatsApp {
		if u, err := core.NormalizeURN(n); err != nil || core.URNScheme(u) != core.SchemeWhatsApp {
			bad("owner.whatsapp[%d]: %q is not a phone number (write it with its country code, e.g. +44 7700 900999)", i, n)
		}
	}
	for i, e := range cfg.Owner.Events {
		if !slices.Contains(core.OwnerEvents(), e) {
			bad("owner.events[%d]: unknown event %q (%s)", i, e, eventHint(e, core.OwnerEvents()))
		}
	}
	if len(cfg.Owner.WhatsApp) > 0 && cfg.Console.PublicURL == "" {
		bad("owner.whatsapp: set console.public_url too, so the cards can link to the lead (e.g. https://leads.example.com)")
	}
	if u := cfg.Console.PublicURL; u != "" && !isHTTPURL(u) {
		bad("console.public_url: %q is not an http(s) address", u)
	}
	seen := map[string]bool{}
	for i, w := range cfg.Webhooks {
		switch {
		case !isHTTPURL(w.URL):
			bad("webhooks[%d].url: %q is not an http(s) address", i, w.URL)
		case seen[w.URL]:
			bad("webhooks[%d].url: %s is configured twice", i, w.URL)
		}
		seen[w.URL] = true
		if w.Secret == "" {
			if w.SecretEnv != "" {
				bad("webhooks[%d].secret_env: %s is not set", i, w.SecretEnv)
			} else {
				bad("webhooks[%d]: give a secret (or secret_env naming the variable that holds it)", i)
			}
		} else if len(w.Secret) < 16 {
			bad("webhooks[%d].secret: use at least 16 characters (e.g. `allmyleads keygen`)", i)
		}
		for j, e := range w.Events {
			if e != "*" && !slices.Contains(core.WebhookEvents(), e) {
				bad("webhooks[%d].events[%d]: unknown event %q (%s)", i, j, e, eventHint(e, core.WebhookEvents()))
			}
		}
	}
	return lines
}

// applyAlertEnv reads the webhooks' secrets from the environment.
func applyAlertEnv(cfg *Config, getenv func(string) string) {
	for i := range cfg.Webhooks {
		if w := &cfg.Webhooks[i]; w.SecretEnv != "" {
			w.Secret = getenv(w.SecretEnv)
		}
	}
}

// eventHint suggests the event meant, else lists them.
func eventHint(e string, known []string) string {
	if near := flows.Closest(e, known); near != "" {
		return fmt.Sprintf("did you mean %q?", near)
	}
	return "one of " + strings.Join(known, ", ")
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// webhooks are the configured receivers.
func webhooks(cfg Config) []notify.Webhook {
	var out []notify.Webhook
	for _, w := range cfg.Webhooks {
		out = append(out, notify.Webhook{URL: w.URL, Secret: w.Secret, Events: w.Events})
	}
	return out
}

// alertsOn says whether the business wants to hear anything.
func alertsOn(cfg Config) bool { return len(cfg.Owner.WhatsApp) > 0 || len(cfg.Webhooks) > 0 }

// notifierSlot is the engine's Notifier until serve sets one: the chat and
// the record commands run the same engine and tell nobody.
type notifierSlot struct {
	n atomic.Pointer[notify.Notifier]
}

func (s *notifierSlot) Notices(ctx context.Context, evs []core.Event) []core.Outbound {
	if n := s.n.Load(); n != nil {
		return n.Notices(ctx, evs)
	}
	return nil
}

// alerts is what serve runs for the business to hear about its leads.
type alerts struct {
	notifier  *notify.Notifier
	commands  *notify.Commands // nil without owner numbers
	deliverer *notify.Deliverer
}

// startAlerts makes the notifier the engine tells, the owner's commands in
// front of the router, and the webhook deliverer, from the configuration.
func startAlerts(cfg Config, rt *runtime, tune func(*notify.DelivererOptions)) (*alerts, error) {
	a := &alerts{}
	var tpl *core.Template
	if t := cfg.Owner.Template; t.Name != "" {
		lang := t.Language
		if lang == "" {
			lang = cfg.WhatsApp.TemplateLanguage
		}
		tpl = &core.Template{Name: t.Name, Language: lang}
	}
	n, err := notify.New(notify.Options{
		Owners: cfg.Owner.WhatsApp, OwnerEvents: cfg.Owner.Events, OwnerChannel: whatsapp.ChannelName, Template: tpl,
		ConsoleURL: cfg.Console.PublicURL, Webhooks: webhooks(cfg), Leads: rt.store, Windows: rt.store, Logger: rt.logger,
	})
	if err != nil {
		return nil, err
	}
	a.notifier = n
	if alertsOn(cfg) {
		rt.notices.n.Store(n)
	}
	if len(cfg.Owner.WhatsApp) > 0 {
		a.commands, err = notify.NewCommands(notify.CommandOptions{
			Owners: cfg.Owner.WhatsApp, Next: rt.router, Engine: rt.engine, Records: rt.store, Store: rt.store,
			Links: n.LeadURL, OnOutbound: rt.wake, Logger: rt.logger,
		})
		if err != nil {
			return nil, err
		}
	}
	do := notify.DelivererOptions{
		Outbox: rt.store, Webhooks: webhooks(cfg), Logger: rt.logger, Result: rt.metrics.WebhookResults(),
	}
	if tune != nil {
		tune(&do)
	}
	a.deliverer = notify.NewDeliverer(do)
	rt.setNotify(a.deliverer.Wake)
	return a, nil
}

// dispatcher is where WhatsApp messages go: the owner's commands first.
func (a *alerts) dispatcher(rt *runtime) core.Dispatcher {
	if a.commands != nil {
		return a.commands
	}
	return rt.router
}

// gaveUp tells the owner about a message to a customer that failed for good.
func (a *alerts) gaveUp(rt *runtime) func(ctx context.Context, out core.Outbound, reason string) {
	return func(ctx context.Context, out core.Outbound, reason string) {
		if err := rt.engine.Emit(ctx, core.Event{Type: core.EventSendFailed, Contact: out.Contact, Reason: reason}); err != nil {
			rt.logger.Error("tell the owner about a failed send", "err", err)
		}
	}
}

// erased tells the business's systems a contact's data is gone.
func erased(ctx context.Context, e *engine.Engine, contact string) error {
	if e == nil {
		return nil
	}
	err := e.Emit(ctx, core.Event{Type: core.EventContactErased, Contact: contact})
	if err != nil {
		return errors.Join(errors.New("the contact is erased, but the webhooks were not told"), err)
	}
	return nil
}
