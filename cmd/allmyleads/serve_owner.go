package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"gopkg.in/yaml.v3"

	"github.com/allmyleads/allmyleads/channels/whatsapp"
	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
	"github.com/allmyleads/allmyleads/owner"
	"github.com/allmyleads/allmyleads/plugins"
)

// ConsoleConfig configures the owner's console and API that serve mounts
// at /console/ and /api/v1.
type ConsoleConfig struct {
	// Templates are the approved WhatsApp templates the reply box offers
	// once a customer's 24-hour window has closed.
	Templates []core.Template `yaml:"templates"`
	// SecureCookies marks the login cookie Secure even when the proxy in
	// front does not say X-Forwarded-Proto: https.
	SecureCookies bool `yaml:"secure_cookies"`
	// PublicURL is where the console is reached from outside
	// ("https://leads.example.com"): the owner's alert cards and the
	// webhooks link to leads there.
	PublicURL string `yaml:"public_url"`
}

// QuoteApproval is the business setting quote_approval: `never`, `always`,
// or a map with `above: AMOUNT` (in the business's currency) and/or
// `low_confidence: 0.8`.
type QuoteApproval struct {
	Always        bool
	Above         float64
	LowConfidence float64
}

// UnmarshalYAML reads never, always, or {above, low_confidence}.
func (q *QuoteApproval) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		switch strings.ToLower(n.Value) {
		case "never", "":
			*q = QuoteApproval{}
			return nil
		case "always":
			*q = QuoteApproval{Always: true}
			return nil
		}
		return fmt.Errorf("line %d: quote_approval: want never, always, {above: AMOUNT} or {low_confidence: 0.8}, got %q", n.Line, n.Value)
	case yaml.MappingNode:
		var m struct {
			Above         *float64 `yaml:"above"`
			LowConfidence *float64 `yaml:"low_confidence"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		*q = QuoteApproval{}
		if m.Above != nil {
			if *m.Above <= 0 || math.IsInf(*m.Above, 0) {
				return fmt.Errorf("line %d: quote_approval.above: want an amount above 0", n.Line)
			}
			q.Above = *m.Above
		}
		if m.LowConfidence != nil {
			if *m.LowConfidence <= 0 || *m.LowConfidence > 1 {
				return fmt.Errorf("line %d: quote_approval.low_confidence: want a confidence in (0, 1], e.g. 0.8", n.Line)
			}
			q.LowConfidence = *m.LowConfidence
		}
		if m.Above == nil && m.LowConfidence == nil {
			return fmt.Errorf("line %d: quote_approval: give above and/or low_confidence", n.Line)
		}
		return nil
	}
	return fmt.Errorf("line %d: quote_approval: want never, always or a map", n.Line)
}

// rule is the engine's approval rule, amounts in minor units of currency.
func (q QuoteApproval) rule(currency string) engine.ApprovalRule {
	dec, ok := plugins.CurrencyDecimals(currency)
	if !ok {
		dec = 2
	}
	return engine.ApprovalRule{Always: q.Always, Above: int64(math.Round(q.Above * math.Pow10(dec))), LowConfidence: q.LowConfidence}
}

// serveHandler is serve's router: the WhatsApp webhook and health
// endpoints, the owner's API at /api/v1 and the console at /console/.
// close ends the console's event streams.
func serveHandler(cfg Config, rt *runtime, ch *whatsapp.Channel, env *cliEnv) (http.Handler, func(), error) {
	r := mux.NewRouter()
	ch.Webhook.Routes(r)
	oh, err := owner.NewHandler(owner.Options{
		Records: rt.store, Owner: rt.store, Engine: rt.engine, Rights: ownerRights{rt.store, rt.engine}, Media: rt.store,
		Templates: consoleTemplates(cfg), Business: cfg.Business.Name, SecureCookies: cfg.Console.SecureCookies,
		Logger:  rt.logger,
		Notices: rt.store, Funnel: rt.store, Flows: rt.flows, StartFlow: cfg.Engine.StartFlow,
		Payments: ownerPayments(cfg, rt),
	})
	if err != nil {
		return nil, nil, err
	}
	oh.Routes(r)
	rt.onCommit(oh.Notify)
	if n, ok := rt.store.(interface{ OnLead(func(string)) }); ok {
		n.OnLead(oh.NotifyLead) // turns other processes commit (Postgres)
	}
	if err := mountPrivacy(r, cfg); err != nil { // serve_privacy.go
		oh.Close()
		return nil, nil, err
	}
	if err := mountPayments(r, cfg, rt); err != nil { // serve_payments.go
		oh.Close()
		return nil, nil, err
	}
	r.Handle("/", http.RedirectHandler("/console/", http.StatusFound)).Methods(http.MethodGet)
	return r, oh.Close, nil
}

// consoleTemplates are the templates the reply box offers: the configured
// ones, else the window template WhatsApp sends on its own.
func consoleTemplates(cfg Config) []core.Template {
	if len(cfg.Console.Templates) > 0 {
		return cfg.Console.Templates
	}
	if cfg.WhatsApp.WindowTemplate != "" {
		return []core.Template{{Name: cfg.WhatsApp.WindowTemplate, Language: cfg.WhatsApp.TemplateLanguage}}
	}
	return nil
}

// consoleNote says where the console is.
func consoleNote(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("the owner's console is at http://%s/console/ and the API at /api/v1 (log in: `allmyleads owner password` or `allmyleads token create NAME`)", net.JoinHostPort(host, port))
}

// ownerRights is the store's export, correction and erasure as the
// console uses them; an erasure tells the webhooks (contact.erased).
type ownerRights struct {
	st backend
	e  *engine.Engine
}

func (o ownerRights) Export(ctx context.Context, contact string) ([]byte, string, error) {
	return o.st.ExportJSON(ctx, contact)
}

func (o ownerRights) Erase(ctx context.Context, contact, actor string) error {
	if _, err := o.st.Erase(ctx, contact, actor); err != nil {
		return err
	}
	return erased(ctx, o.e, contact)
}

func (o ownerRights) Correct(ctx context.Context, contact, field, value, actor string) error {
	if err := o.st.Correct(ctx, contact, field, value, actor); err != nil {
		return err
	}
	// The webhooks hear of the corrected details (lead.updated).
	if err := o.e.Emit(ctx, core.Event{Type: core.EventLeadUpdated, Contact: contact}); err != nil {
		return fmt.Errorf("corrected, but the webhooks were not told: %w", err)
	}
	return nil
}

func (o ownerRights) CorrectableFields() []string { return store.CorrectableFields() }

// onCommit registers a function called after every committed turn.
func (rt *runtime) onCommit(fn func(contact string)) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.commits = append(rt.commits, fn)
}

// committed is the engine's OnCommit.
func (rt *runtime) committed(contact string) {
	rt.mu.Lock()
	fns := rt.commits
	rt.mu.Unlock()
	for _, fn := range fns {
		fn(contact)
	}
}
