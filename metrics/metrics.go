// Package metrics is the program's /metrics: Prometheus series of what the
// engine, the channels and the store do, with client_golang. The engine and
// the channels know nothing of it: they take small hooks (engine.Observer,
// the channels' Hooks) that serve wires to the methods here, and the
// store's depths and lead counts are read at scrape time.
//
// Every name starts with allmyleads_, counters end in _total, durations are
// histograms in seconds, and labels take bounded values only (a channel, a
// message kind, an error code, a plugin reference, a status), never a
// contact or a message id. A label that keeps getting new values past
// maxLabelValues reports the rest as "other".
package metrics

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
)

// Path is where serve answers the scrape.
const Path = "/metrics"

const namespace = "allmyleads"

// maxLabelValues bounds the values one label takes; later ones are "other".
const maxLabelValues = 64

// Metrics holds the program's series in its own registry (no global state).
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	messagesIn     *prometheus.CounterVec
	messagesOut    *prometheus.CounterVec
	duplicates     *prometheus.CounterVec
	handleSeconds  *prometheus.HistogramVec
	handleErrors   *prometheus.CounterVec
	sendFailures   *prometheus.CounterVec
	badSignatures  *prometheus.CounterVec
	pluginSeconds  *prometheus.HistogramVec
	pluginErrors   *prometheus.CounterVec
	extractSeconds *prometheus.HistogramVec
	extractErrors  *prometheus.CounterVec
	webRejected    *prometheus.CounterVec
	webDelivered   prometheus.Counter

	labels bounded
}

// New returns the series, registered with the Go runtime's and the
// process's own.
func New(logger *slog.Logger) *Metrics {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry(), log: logger, labels: bounded{seen: map[string]map[string]bool{}}}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
		m.reg.MustRegister(h)
		return h
	}
	m.messagesIn = counter("messages_in_total", "Inbound messages handled by the engine, by channel and kind (duplicates excluded).", "channel", "kind")
	m.messagesOut = counter("messages_out_total", "Outbound messages queued by the engine, by channel and kind.", "channel", "kind")
	m.duplicates = counter("messages_duplicate_total", "Inbound messages delivered again and ignored, by channel.", "channel")
	m.handleSeconds = histogram("handle_duration_seconds", "Time to handle one inbound message, from its load to its commit.", prometheus.DefBuckets, "channel")
	m.handleErrors = counter("handle_errors_total", "Inbound messages whose handling failed, by channel.", "channel")
	m.sendFailures = counter("send_failures_total", "Failed send attempts, by channel and error code.", "channel", "code")
	m.badSignatures = counter("webhook_signature_failures_total", "Webhooks refused for a missing or wrong signature, by channel.", "channel")
	m.pluginSeconds = histogram("plugin_duration_seconds", "Time of one plugin call, by plugin function.",
		[]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}, "plugin")
	m.pluginErrors = counter("plugin_errors_total", "Plugin calls that failed, by plugin function.", "plugin")
	m.extractSeconds = histogram("extractor_duration_seconds", "Time of one extractor call (photos and text read), by extractor.",
		[]float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60}, "extractor")
	m.extractErrors = counter("extractor_errors_total", "Extractor calls that did not succeed, by extractor and outcome.", "extractor", "outcome")
	m.webRejected = counter("web_rejected_total", "Web chat requests refused, by error code (rate_limited, too_large, forbidden_origin...).", "code")
	m.webDelivered = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "web_delivered_total", Help: "Web chat messages a visitor's page showed and acknowledged."})
	m.reg.MustRegister(m.webDelivered,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the series live, for a test to gather them.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Engine is the observer serve gives the engine.
func (m *Metrics) Engine() engine.Observer {
	return engine.Observer{
		Handled: func(h engine.Handled) {
			ch := m.labels.value("channel", h.Channel)
			switch {
			case h.Duplicate:
				m.duplicates.WithLabelValues(ch).Inc()
				return
			case h.Err != nil:
				m.handleErrors.WithLabelValues(ch).Inc()
			default:
				m.messagesIn.WithLabelValues(ch, m.labels.value("kind", string(h.Kind))).Inc()
			}
			m.handleSeconds.WithLabelValues(ch).Observe(h.Took.Seconds())
		},
		Queued: func(channel string, kind core.OutboundKind) {
			m.messagesOut.WithLabelValues(m.labels.value("channel", channel), m.labels.value("kind", string(kind))).Inc()
		},
		Plugin: func(ref string, took time.Duration, err error) {
			ref = m.labels.value("plugin", ref)
			m.pluginSeconds.WithLabelValues(ref).Observe(took.Seconds())
			if err != nil {
				m.pluginErrors.WithLabelValues(ref).Inc()
			}
		},
		Extracted: func(x string, took time.Duration, outcome string) {
			x = m.labels.value("extractor", x)
			m.extractSeconds.WithLabelValues(x).Observe(took.Seconds())
			if outcome != core.OutcomeOK {
				m.extractErrors.WithLabelValues(x, m.labels.value("outcome", outcome)).Inc()
			}
		},
	}
}

// SendFailed counts a failed send attempt of a channel.
func (m *Metrics) SendFailed(channel, code string) {
	m.sendFailures.WithLabelValues(m.labels.value("channel", channel), m.labels.value("code", code)).Inc()
}

// SignatureFailed counts a webhook refused for its signature.
func (m *Metrics) SignatureFailed(channel string) {
	m.badSignatures.WithLabelValues(m.labels.value("channel", channel)).Inc()
}

// WebRejected counts a web chat request refused with an error code.
func (m *Metrics) WebRejected(code string) {
	m.webRejected.WithLabelValues(m.labels.value("code", code)).Inc()
}

// WebDelivered counts a web chat message a page acknowledged.
func (m *Metrics) WebDelivered() { m.webDelivered.Inc() }

// GaugeFunc adds a gauge read at scrape time (allmyleads_NAME).
func (m *Metrics) GaugeFunc(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, fn))
}

// StoreStats is what the scrape reads from the store (*store.Store).
type StoreStats interface {
	Depths(ctx context.Context) (store.Depths, error)
	LeadStatuses(ctx context.Context) (map[string]int, error)
}

// WatchStore reads the inbox and outbox depths and the leads by status at
// each scrape, giving up after timeout (default 5 s).
func (m *Metrics) WatchStore(s StoreStats, timeout time.Duration) {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	m.reg.MustRegister(&storeCollector{s: s, timeout: timeout, labels: &m.labels,
		inbox:  prometheus.NewDesc(namespace+"_inbox_depth", "Raw inbound payloads stored and not yet handled.", nil, nil),
		outbox: prometheus.NewDesc(namespace+"_outbox_depth", "Outbound messages not yet sent, due or waiting for a retry, by channel.", []string{"channel"}, nil),
		leads:  prometheus.NewDesc(namespace+"_leads", "Contacts by status (new, consented, quoted, accepted...).", []string{"status"}, nil),
	})
}

type storeCollector struct {
	s                    StoreStats
	timeout              time.Duration
	labels               *bounded
	inbox, outbox, leads *prometheus.Desc
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.inbox
	ch <- c.outbox
	ch <- c.leads
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	d, err := c.s.Depths(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.inbox, err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.inbox, prometheus.GaugeValue, float64(d.Inbox))
		for name, n := range d.Outbox {
			ch <- prometheus.MustNewConstMetric(c.outbox, prometheus.GaugeValue, float64(n), c.labels.value("channel", name))
		}
	}
	st, err := c.s.LeadStatuses(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.leads, err)
		return
	}
	sum := map[string]int{}
	for status, n := range st {
		if status == "" {
			status = "unknown"
		}
		sum[c.labels.value("status", status)] += n
	}
	for status, n := range sum {
		ch <- prometheus.MustNewConstMetric(c.leads, prometheus.GaugeValue, float64(n), status)
	}
}

// Handler answers the scrape; with a token, only a request bearing it
// ("Authorization: Bearer TOKEN").
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slogAdapter{m.log},
	})
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics: a bearer token is required (metrics.token)", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Println(v ...any) {
	parts := make([]string, len(v))
	for i, x := range v {
		if s, ok := x.(string); ok {
			parts[i] = s
		} else if e, ok := x.(error); ok {
			parts[i] = e.Error()
		}
	}
	a.log.Error("metrics: " + strings.Join(parts, " "))
}

// bounded keeps each label to maxLabelValues distinct values.
type bounded struct {
	mu   sync.Mutex
	seen map[string]map[string]bool
}

func (b *bounded) value(label, v string) string {
	if v == "" {
		v = "none"
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	set := b.seen[label]
	if set == nil {
		set = map[string]bool{}
		b.seen[label] = set
	}
	if set[v] {
		return v
	}
	if len(set) >= maxLabelValues {
		return "other"
	}
	set[v] = true
	return v
}
