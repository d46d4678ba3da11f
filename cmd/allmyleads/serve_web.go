package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/time/rate"

	"github.com/allmyleads/allmyleads/channels/web"
	"github.com/allmyleads/allmyleads/channels/whatsapp"
	"github.com/allmyleads/allmyleads/metrics"
)

// WebConfig configures the web chat that serve mounts at /chat/.
type WebConfig struct {
	Enabled bool `yaml:"enabled"`
	// AllowedOrigins are the sites whose pages may embed the chat with
	// widget.js ("https://www.example.com"; "*" for any); the chat's own
	// origin always may.
	AllowedOrigins []string      `yaml:"allowed_origins" validate:"dive,eq=*|http_url"`
	Rates          WebRateConfig `yaml:"rates"`
	// ClientIPHeader names the header a proxy in front sets to the
	// visitor's address ("X-Forwarded-For"); "" uses the peer address.
	ClientIPHeader string `yaml:"client_ip_header"`
	// SecretFile keeps the key that signs visitors' tokens; default
	// PATH.chat-secret beside the database, created on first start.
	SecretFile string `yaml:"secret_file"`
}

// WebRateConfig bounds how fast one address and one visitor may send
// messages and photos; zero takes the default.
type WebRateConfig struct {
	PerIP           float64 `yaml:"per_ip" validate:"gte=0"`       // per second; default 3
	PerIPBurst      int     `yaml:"per_ip_burst" validate:"gte=0"` // default 30
	PerContact      float64 `yaml:"per_contact" validate:"gte=0"`  // per second; default 1
	PerContactBurst int     `yaml:"per_contact_burst" validate:"gte=0"`
}

// MetricsConfig configures /metrics.
type MetricsConfig struct {
	// Token, when set, is required as "Authorization: Bearer TOKEN"
	// (ALLMYLEADS_METRICS_TOKEN).
	Token string `yaml:"token"`
}

func defaultWebConfig() WebConfig { return WebConfig{Enabled: true} }

// webSecretPath is where the web chat's signing key is kept.
func webSecretPath(cfg Config) string {
	if cfg.Web.SecretFile != "" {
		return cfg.Web.SecretFile
	}
	return cfg.Store.Path + ".chat-secret"
}

// checkOrigins refuses allowed_origins that are not a scheme and a host.
func checkOrigins(list []string) error {
	for _, o := range list {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
			return fmt.Errorf("web.allowed_origins: %q is not an origin: write the site's scheme and host, e.g. https://www.example.com, or * for any", o)
		}
	}
	return nil
}

// whatsappHooks tells the metrics what the WhatsApp channel does.
func whatsappHooks(m *metrics.Metrics) whatsapp.Hooks {
	return whatsapp.Hooks{
		BadSignature: func() { m.SignatureFailed(whatsapp.ChannelName) },
		SendFailed:   func(code string) { m.SendFailed(whatsapp.ChannelName, code) },
	}
}

// frontDoor is everything serve answers on HTTP: the WhatsApp webhook and
// health endpoints, the web chat under /chat/ (unless web.enabled is
// false) and /metrics; and the workers behind them.
type frontDoor struct {
	wa      *whatsapp.Channel
	chat    *web.Channel // nil when the web chat is off
	handler http.Handler
	// workers run beside the channels' (the webhook deliverer).
	workers []func(ctx context.Context) error
}

// openFrontDoor registers the channels with the runtime and mounts them
// beside /metrics. The web chat's key is read from its file, or made on
// first start, so visitors keep their conversation across restarts.
func openFrontDoor(cfg Config, rt *runtime, wa *whatsapp.Channel, base http.Handler) (*frontDoor, error) {
	if err := rt.channels.Register(wa); err != nil {
		return nil, err
	}
	m := rt.metrics
	m.WatchStore(rt.store, 0)
	mux := http.NewServeMux()
	mux.Handle("GET "+metrics.Path, m.Handler(cfg.Metrics.Token))
	mux.Handle("/", base) // the webhook, the console and the API
	f := &frontDoor{wa: wa, handler: mux}
	if !cfg.Web.Enabled {
		return f, nil
	}
	if err := checkOrigins(cfg.Web.AllowedOrigins); err != nil {
		return nil, err
	}
	secret, _, err := web.LoadOrCreateSecret(webSecretPath(cfg))
	if err != nil {
		return nil, err
	}
	r := cfg.Web.Rates
	chat, err := web.New(web.Options{
		Business: cfg.Business.Name, Secret: secret,
		Dispatcher: rt.router, Outbox: rt.store, Store: rt.store, Reminder: rt.engine,
		AllowedOrigins: cfg.Web.AllowedOrigins, ClientIPHeader: cfg.Web.ClientIPHeader,
		Limits: web.Limits{PerIP: rate.Limit(r.PerIP), PerIPBurst: r.PerIPBurst, PerContact: rate.Limit(r.PerContact), PerContactBurst: r.PerContactBurst},
		Hooks: web.Hooks{
			Rejected:  m.WebRejected,
			Delivered: m.WebDelivered,
			Failed:    func(code string) { m.SendFailed(web.ChannelName, code) },
		},
		Tag: rt.store.ContactKey, Logger: rt.logger,
	})
	if err != nil {
		return nil, err
	}
	if err := rt.channels.Register(chat); err != nil {
		return nil, err
	}
	rt.setNotify(chat.Wake)
	m.GaugeFunc("web_connections", "Open live connections of the web chat's pages.", func() float64 { return float64(chat.Connections()) })
	mux.Handle("/chat/", chat.Handler())
	f.chat = chat
	return f, nil
}

// Handler answers every request serve takes.
func (f *frontDoor) Handler() http.Handler { return f.handler }

// attach ends the chat's live connections when the HTTP server shuts
// down, so its Shutdown need not wait for them.
func (f *frontDoor) attach(hs *http.Server) {
	if f.chat != nil {
		hs.RegisterOnShutdown(f.chat.CloseStreams)
	}
}

// Run runs the WhatsApp workers, the web chat's sender and the other
// workers until ctx ends.
func (f *frontDoor) Run(ctx context.Context) error {
	run := append([]func(context.Context) error{f.wa.Run}, f.workers...)
	if f.chat != nil {
		run = append(run, f.chat.Run)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(run))
	for i, fn := range run {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = fn(ctx) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// webNote says where the web chat and the metrics are, for serve's start.
func webNote(cfg Config, addr string) string {
	host := addr
	if strings.HasPrefix(host, "[::]:") || strings.HasPrefix(host, "0.0.0.0:") {
		host = "localhost:" + host[strings.LastIndexByte(host, ':')+1:]
	}
	if !cfg.Web.Enabled {
		return fmt.Sprintf("metrics on http://%s%s; the web chat is off (web.enabled: false)", host, metrics.Path)
	}
	return fmt.Sprintf("web chat on http://%s/chat/ (for a site: <script src=\"http://%s/chat/widget.js\" async></script>), metrics on http://%s%s", host, host, host, metrics.Path)
}
