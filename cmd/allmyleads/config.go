package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"gopkg.in/yaml.v3"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/flows"
)

// defaultConfigFile is read when present and --config is not given.
const defaultConfigFile = "allmyleads.yaml"

// Config is the whole configuration file. Every setting has a working
// default, so a fresh checkout runs without a file. Each package gets its
// own section; secrets come from the environment.
type Config struct {
	Business  BusinessConfig  `yaml:"business"`
	Engine    EngineConfig    `yaml:"engine"`
	Store     StoreConfig     `yaml:"store"`
	Flows     FlowsConfig     `yaml:"flows"`
	Plugins   PluginsConfig   `yaml:"plugins"`
	WhatsApp  WhatsAppConfig  `yaml:"whatsapp"`
	OpenAI    OpenAIConfig    `yaml:"openai"`
	Retention RetentionConfig `yaml:"retention"`
	Server    ServerConfig    `yaml:"server"`
	Console   ConsoleConfig   `yaml:"console"`  // the owner's console and API (serve_owner.go)
	Web       WebConfig       `yaml:"web"`      // serve_web.go
	Metrics   MetricsConfig   `yaml:"metrics"`  // serve_web.go
	Payments  PaymentsConfig  `yaml:"payments"` // serve_payments.go
	// Owner and Webhooks: who hears what happens (serve_alerts.go).
	Owner    OwnerConfig     `yaml:"owner"`
	Webhooks []WebhookConfig `yaml:"webhooks"`
}

// BusinessConfig describes the business the bot speaks for.
type BusinessConfig struct {
	Name          string `yaml:"name" validate:"required,max=80"`
	Currency      string `yaml:"currency" validate:"required,len=3,uppercase"`
	PrivacyURL    string `yaml:"privacy_url" validate:"omitempty,url"`
	PolicyVersion string `yaml:"policy_version" validate:"required"`
	Timezone      string `yaml:"timezone" validate:"required,timezone"`
	// QuoteApproval says which quotes wait for the owner's approval:
	// never, always, {above: 2000}, {low_confidence: 0.8} (serve_owner.go).
	QuoteApproval QuoteApproval `yaml:"quote_approval"`
	// MinimumAge is the age the consent question confirms (section 11).
	MinimumAge int `yaml:"minimum_age" validate:"min=13,max=25"`
	// PolicyChanges says what changed in this policy version; a customer
	// who agreed to an earlier one reads it before going on (section 13).
	PolicyChanges string `yaml:"policy_changes" validate:"max=600"`
	// PolicyFile is the policy in Markdown that serve shows at /privacy
	// ("" = the shipped one); PolicyDate its date, shown with the version.
	PolicyFile string `yaml:"policy_file"`
	PolicyDate string `yaml:"policy_date"`
	// QuietHours is when no reminder is sent, in Timezone ("21:00-08:00");
	// "" is off.
	QuietHours string `yaml:"quiet_hours"`
}

// EngineConfig tunes the conversation engine.
type EngineConfig struct {
	StartFlow   string          `yaml:"start_flow" validate:"required"`
	IdleTimeout Duration        `yaml:"idle_timeout" validate:"gt=0"`
	MaxSteps    int             `yaml:"max_steps" validate:"min=5,max=10000"`
	Workers     int             `yaml:"workers" validate:"min=1,max=1024"`
	Keywords    engine.Keywords `yaml:"keywords"`
	// Intents are the same commands in plain words, in six languages.
	Intents engine.Intents `yaml:"intents"`
	// Texts override the engine's own wording (opt-out confirmation...).
	Texts engine.Texts `yaml:"texts"`
	// PrivacyTexts override its wording for age, policy changes,
	// corrections and payments.
	PrivacyTexts engine.PrivacyTexts `yaml:"privacy_texts"`
}

// StoreConfig says where state is kept and how it is sealed: one bbolt
// file (the default), or a Postgres database that several serve processes
// share (store_open.go).
type StoreConfig struct {
	// Driver is bbolt or postgres; "" is postgres when a URL is set (here,
	// in ALLMYLEADS_DATABASE_URL or DATABASE_URL), else bbolt.
	Driver  string `yaml:"driver" validate:"omitempty,oneof=bbolt postgres"`
	Path    string `yaml:"path" validate:"required"` // the bbolt file
	KeyFile string `yaml:"key_file"`                 // default (bbolt): PATH.key beside the database
	// URL is the Postgres database (postgres://user:pass@host/db?sslmode=require).
	URL string `yaml:"url"`
	// Schema is the Postgres schema the tables live in (default allmyleads).
	Schema string `yaml:"schema"`
	// MaxConns bounds the Postgres connections for reads and writes
	// (default 16); the engine's turns in flight hold up to engine.workers
	// more.
	MaxConns int `yaml:"max_conns" validate:"gte=0,lte=1000"`
}

// Store drivers.
const (
	driverBbolt    = "bbolt"
	driverPostgres = "postgres"
)

// driver is the store the configuration selects.
func (c StoreConfig) driver() string {
	switch {
	case c.Driver != "":
		return c.Driver
	case c.URL != "":
		return driverPostgres
	}
	return driverBbolt
}

// FlowsConfig says where flows come from ("" = the shipped ones).
type FlowsConfig struct {
	Dir string `yaml:"dir"`
}

// PluginsConfig configures the Lua host.
type PluginsConfig struct {
	Dir     string         `yaml:"dir"` // "" = ./plugins when present, else the shipped ones
	Timeout Duration       `yaml:"timeout" validate:"gt=0"`
	Watch   bool           `yaml:"watch"`
	Config  map[string]any `yaml:"config"` // ctx.config of every plugin
}

// WhatsAppConfig configures the Cloud API channel. Secrets are usually set
// with WHATSAPP_* environment variables.
type WhatsAppConfig struct {
	Token            string  `yaml:"token"`
	PhoneNumberID    string  `yaml:"phone_number_id"`
	AppSecret        string  `yaml:"app_secret"`
	VerifyToken      string  `yaml:"verify_token"`
	APIBase          string  `yaml:"api_base" validate:"required,url"`
	RatePerSecond    float64 `yaml:"rate_per_second" validate:"gt=0,max=1000"`
	WindowTemplate   string  `yaml:"window_template"` // template sent outside the 24 h window; "" holds the message
	TemplateLanguage string  `yaml:"template_language" validate:"required"`
}

// OpenAIConfig configures the extractor. Without an API key the offline
// extractor is used.
type OpenAIConfig struct {
	APIKey        string   `yaml:"api_key"`
	BaseURL       string   `yaml:"base_url" validate:"omitempty,url"`
	Model         string   `yaml:"model" validate:"required"`
	Timeout       Duration `yaml:"timeout" validate:"gt=0"`
	MaxImageBytes int      `yaml:"max_image_bytes" validate:"min=1024"`
}

// RetentionConfig holds how long each kind of record is kept (section 7 of
// the privacy policy).
type RetentionConfig struct {
	Communications Duration `yaml:"communications" validate:"gt=0"`
	AIRecords      Duration `yaml:"ai_records" validate:"gt=0"`
	Projects       Duration `yaml:"projects" validate:"gt=0"` // after completion
	Payments       Duration `yaml:"payments" validate:"gt=0"`
}

// ServerConfig configures `allmyleads serve`.
type ServerConfig struct {
	Addr string `yaml:"addr" validate:"required"`
}

const (
	day  = 24 * time.Hour
	year = 365 * day
)

// DefaultConfig returns the configuration used when no file says otherwise.
func DefaultConfig() Config {
	return Config{
		Business: BusinessConfig{
			Name:          "Brightside Roofing & Painting",
			Currency:      "EUR",
			PrivacyURL:    "https://allmyleads.example/privacy",
			PolicyVersion: "2025-12-06",
			Timezone:      "UTC",
			MinimumAge:    18,
			PolicyDate:    "December 6, 2025",
		},
		Engine: EngineConfig{
			StartFlow:   "greeting",
			IdleTimeout: Duration(7 * day),
			MaxSteps:    100,
			Workers:     64,
			Keywords:    engine.DefaultConfig().Keywords,
		},
		Store:   StoreConfig{Path: "data/allmyleads.db"},
		Plugins: PluginsConfig{Timeout: Duration(2 * time.Second)}, // a safety net: instruction and memory budgets bound a call (plugins/README.md)
		WhatsApp: WhatsAppConfig{
			APIBase:          "https://graph.facebook.com/v23.0",
			RatePerSecond:    80,
			TemplateLanguage: "en_US",
		},
		OpenAI: OpenAIConfig{Model: "gpt-4o-mini", Timeout: Duration(30 * time.Second), MaxImageBytes: 5 << 20},
		Retention: RetentionConfig{
			Communications: Duration(3 * year),
			AIRecords:      Duration(1 * year),
			Projects:       Duration(7 * year),
			Payments:       Duration(7 * year),
		},
		Server: ServerConfig{Addr: "127.0.0.1:8080"}, // localhost: put HTTPS in front (README)
		Web:    defaultWebConfig(),
	}
}

// LoadConfig reads the configuration: defaults, then the file (path, or
// allmyleads.yaml when present and path is ""), then environment overrides.
// Errors name FILE:LINE.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	explicit := path != ""
	if !explicit {
		path = defaultConfigFile
	}
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := decodeConfig(path, raw, &cfg); err != nil {
			return cfg, err
		}
	case explicit || !errors.Is(err, os.ErrNotExist):
		return cfg, fmt.Errorf("read config: %w", err)
	}
	applyEnv(&cfg, getenv)
	if err := validateConfig(path, &cfg); err != nil {
		return cfg, err
	}
	return cfg, nil
}

var yamlLineRe = regexp.MustCompile(`line (\d+): (.*)`)

func decodeConfig(path string, raw []byte, cfg *Config) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	err := dec.Decode(cfg)
	if err == nil {
		return nil
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var lines []string
		for _, e := range te.Errors {
			lines = append(lines, configLine(path, e))
		}
		return errors.New(strings.Join(lines, "\n"))
	}
	return errors.New(configLine(path, err.Error()))
}

// configLine turns a yaml.v3 message ("yaml: line 3: ...") into FILE:LINE: message.
func configLine(path, msg string) string {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		text := m[2]
		if strings.Contains(text, "not found in type") {
			field := strings.TrimPrefix(strings.SplitN(text, " not found", 2)[0], "field ")
			typ := strings.TrimPrefix(strings.SplitN(text, " in type ", 2)[1], "main.")
			text = fmt.Sprintf("unknown key %q", field)
			if near := flows.Closest(field, configKeys()[typ]); near != "" {
				text += fmt.Sprintf(" (did you mean %q?)", near)
			}
		}
		return fmt.Sprintf("%s:%s: error: %s", path, m[1], text)
	}
	return fmt.Sprintf("%s: error: %s", path, msg)
}

// configKeys maps each configuration struct's type name to its YAML keys,
// for did-you-mean hints on unknown keys.
func configKeys() map[string][]string {
	out := map[string][]string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		if t.Kind() != reflect.Struct || out[t.Name()] != nil {
			return
		}
		keys := []string{}
		for i := range t.NumField() {
			f := t.Field(i)
			if name := yamlName(f.Tag.Get("yaml")); name != "" {
				keys = append(keys, name)
			}
			walk(f.Type)
		}
		out[t.Name()] = keys
	}
	walk(reflect.TypeFor[Config]())
	return out
}

func applyEnv(cfg *Config, getenv func(string) string) {
	set := func(dst *string, name string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	set(&cfg.WhatsApp.Token, "WHATSAPP_TOKEN")
	set(&cfg.WhatsApp.PhoneNumberID, "WHATSAPP_PHONE_NUMBER_ID")
	set(&cfg.WhatsApp.AppSecret, "WHATSAPP_APP_SECRET")
	set(&cfg.WhatsApp.VerifyToken, "WHATSAPP_VERIFY_TOKEN")
	set(&cfg.WhatsApp.APIBase, "WHATSAPP_API_BASE")
	set(&cfg.OpenAI.APIKey, "OPENAI_API_KEY")
	set(&cfg.OpenAI.BaseURL, "OPENAI_BASE_URL")
	set(&cfg.OpenAI.Model, "OPENAI_MODEL")
	set(&cfg.Store.Path, "ALLMYLEADS_DB")
	set(&cfg.Store.URL, "DATABASE_URL")
	set(&cfg.Store.URL, "ALLMYLEADS_DATABASE_URL")
	set(&cfg.Store.KeyFile, "ALLMYLEADS_KEY_FILE")
	set(&cfg.Metrics.Token, "ALLMYLEADS_METRICS_TOKEN")
	set(&cfg.Payments.StripeSecretKey, "STRIPE_SECRET_KEY")
	set(&cfg.Payments.StripeWebhookSecret, "STRIPE_WEBHOOK_SECRET")
	set(&cfg.Payments.StripeAPIBase, "STRIPE_API_BASE")
	applyAlertEnv(cfg, getenv)
}

// checkRetention refuses retention periods under a day: "6m" is six
// minutes in Go's notation, never what a privacy policy means.
func checkRetention(path string, r RetentionConfig) []string {
	var lines []string
	for name, d := range map[string]Duration{"communications": r.Communications, "ai_records": r.AIRecords, "projects": r.Projects, "payments": r.Payments} {
		if d.D() > 0 && d.D() < day {
			lines = append(lines, fmt.Sprintf("%s: error: retention.%s: %s is under a day (m means minutes); write days or years, e.g. 180d or 1y", path, name, d.D()))
		}
	}
	sort.Strings(lines)
	return lines
}

func validateConfig(path string, cfg *Config) error {
	if _, err := engine.ParseQuietHours(cfg.Business.QuietHours); err != nil {
		return fmt.Errorf("%s: error: business.quiet_hours: %v", path, err)
	}
	if lines := append(checkRetention(path, cfg.Retention), checkAlerts(path, cfg)...); len(lines) > 0 {
		return errors.New(strings.Join(lines, "\n"))
	}
	if cfg.Store.driver() == driverPostgres && cfg.Store.URL == "" {
		return fmt.Errorf("%s: error: store.url: the postgres driver needs the database's URL (store.url, ALLMYLEADS_DATABASE_URL or DATABASE_URL)", path)
	}
	if err := checkPayments(cfg.Payments); err != nil {
		return fmt.Errorf("%s: error: %w", path, err)
	}
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string { return yamlName(f.Tag.Get("yaml")) })
	err := v.Struct(cfg)
	if err == nil {
		return nil
	}
	var ve validator.ValidationErrors
	if !errors.As(err, &ve) {
		return fmt.Errorf("%s: %w", path, err)
	}
	var lines []string
	for _, fe := range ve {
		field := strings.TrimPrefix(fe.Namespace(), "Config.")
		lines = append(lines, fmt.Sprintf("%s: error: %s: fails %q (value %v)", path, field, fe.Tag()+paramSuffix(fe.Param()), fe.Value()))
	}
	return errors.New(strings.Join(lines, "\n"))
}

func paramSuffix(p string) string {
	if p == "" {
		return ""
	}
	return "=" + p
}

func yamlName(tag string) string {
	name := strings.SplitN(tag, ",", 2)[0]
	if name == "-" {
		return ""
	}
	return name
}

// Duration is a time.Duration that YAML may write as Go durations ("100ms",
// "72h") or with days and years ("7d", "3y", a year being 365 days).
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML reads "7d", "3y" or a Go duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": day, "y": year} {
		if num, ok := strings.CutSuffix(s, suffix); ok {
			n, err := strconv.ParseFloat(num, 64)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("duration %q: want a number before %q", s, suffix)
			}
			return time.Duration(n * float64(unit)), nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want e.g. 100ms, 30s, 72h, 7d or 3y", s)
	}
	return v, nil
}
