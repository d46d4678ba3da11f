package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/engine/store"
)

// scrape fetches the metrics page as Prometheus would.
func scrape(t *testing.T, h http.Handler, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, Path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

// value finds one series' value in the text exposition ("" when absent).
func value(page, series string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	if m := re.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

// conversation plays the shipped quote conversation on the web chat's
// channel name, with the observer and the store watched.
func conversation(t *testing.T, m *Metrics) {
	t.Helper()
	h := enginetest.New(t, enginetest.Options{Observer: m.Engine()})
	m.WatchStore(h.Store, 0)
	contact := "web:visitor1"
	var last core.Inbound
	for _, line := range []string{"Hi", "Yes, that's fine", "Ana Lima", "ana@example.com", "+44 7700 900123", "skip",
		"12 High Street, Bristol BS1 4DJ", "roofing", "Some tiles slipped in the storm and the gutter at the back leaks.",
		"photo", "done", "yes", "accept"} {
		if line == "photo" {
			last = h.Photo(contact, []byte("\xff\xd8\xff\xe0synthetic"), "front of the roof, about 40 m2")
		} else {
			last = h.Message(contact, line)
		}
		last.Channel = "web"
		h.Send(last)
	}
	h.Send(last) // a duplicate delivery
}

// TestScrapeAfterAConversation: after a whole quote conversation the page
// shows the messages in and out by channel and kind, the handle latency
// histogram, the plugin and extractor calls, the outbox (nothing sent: no
// channel runs here), and the lead by its status; the hooks of the
// channels add their series.
func TestScrapeAfterAConversation(t *testing.T) {
	m := New(nil)
	conversation(t, m)
	m.SendFailed("whatsapp", "131026")
	m.SignatureFailed("whatsapp")
	m.WebRejected("rate_limited")
	m.WebDelivered()
	m.GaugeFunc("web_connections", "Open live connections of the web chat.", func() float64 { return 3 })

	code, page := scrape(t, m.Handler(""), "")
	if code != http.StatusOK {
		t.Fatalf("scrape: %d\n%s", code, page)
	}
	for series, want := range map[string]string{
		`allmyleads_messages_in_total{channel="web",kind="text"}`:            "12",
		`allmyleads_messages_in_total{channel="web",kind="image"}`:           "1",
		`allmyleads_messages_duplicate_total{channel="web"}`:                 "1",
		`allmyleads_handle_duration_seconds_count{channel="web"}`:            "13",
		`allmyleads_plugin_duration_seconds_count{plugin="pricing.quote"}`:   "1",
		`allmyleads_extractor_duration_seconds_count{extractor="offline"}`:   "2", // the description, then the photos
		`allmyleads_leads{status="accepted"}`:                                "1",
		`allmyleads_inbox_depth`:                                             "0",
		`allmyleads_send_failures_total{channel="whatsapp",code="131026"}`:   "1",
		`allmyleads_webhook_signature_failures_total{channel="whatsapp"}`:    "1",
		`allmyleads_web_rejected_total{code="rate_limited"}`:                 "1",
		`allmyleads_web_delivered_total`:                                     "1",
		`allmyleads_web_connections`:                                         "3",
		`allmyleads_handle_duration_seconds_bucket{channel="web",le="+Inf"}`: "13",
	} {
		if got := value(page, series); got != want {
			t.Errorf("%s = %q, want %q", series, got, want)
		}
	}
	out := value(page, `allmyleads_messages_out_total{channel="web",kind="buttons"}`)
	queued := value(page, `allmyleads_outbox_depth{channel="web"}`)
	if out == "" || out == "0" || queued == "" || queued == "0" {
		t.Errorf("buttons queued %q, outbox depth %q", out, queued)
	}
	for _, absent := range []string{"plugin_errors_total{", "extractor_errors_total{", "handle_errors_total{"} {
		if strings.Contains(page, absent) {
			t.Errorf("the page has %s without any failure", absent)
		}
	}
	// Nothing personal in any label.
	for _, secret := range []string{"visitor1", "Ana", "ana@example.com", "7700"} {
		if strings.Contains(page, secret) {
			t.Errorf("the page shows %q", secret)
		}
	}
	checkNames(t, page)
}

// checkNames keeps the naming rules: the allmyleads_ prefix, _total on
// counters, seconds on histograms.
func checkNames(t *testing.T, page string) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^# TYPE (\S+) (\S+)$`)
	n := 0
	for _, m := range re.FindAllStringSubmatch(page, -1) {
		name, typ := m[1], m[2]
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		n++
		switch {
		case !strings.HasPrefix(name, "allmyleads_"):
			t.Errorf("%s: not under allmyleads_", name)
		case typ == "counter" && !strings.HasSuffix(name, "_total"):
			t.Errorf("counter %s does not end in _total", name)
		case typ == "histogram" && !strings.HasSuffix(name, "_seconds"):
			t.Errorf("histogram %s is not in seconds", name)
		}
	}
	if n < 10 {
		t.Errorf("only %d allmyleads series types on the page", n)
	}
}

// TestToken: with metrics.token set, a scrape without it is refused.
func TestToken(t *testing.T) {
	m := New(nil)
	h := m.Handler("s3cret")
	for _, c := range []struct {
		token string
		want  int
	}{{"", http.StatusUnauthorized}, {"wrong", http.StatusUnauthorized}, {"s3cret", http.StatusOK}} {
		if code, body := scrape(t, h, c.token); code != c.want {
			t.Errorf("token %q: %d, want %d (%s)", c.token, code, c.want, body)
		}
	}
}

type failingStats struct{}

func (failingStats) Depths(context.Context) (store.Depths, error) {
	return store.Depths{}, errors.New("database closed")
}
func (failingStats) LeadStatuses(context.Context) (map[string]int, error) {
	return nil, errors.New("database closed")
}

// TestStoreFailureKeepsTheRest: a store that cannot be read costs its own
// series, not the page.
func TestStoreFailureKeepsTheRest(t *testing.T) {
	m := New(nil)
	m.WatchStore(failingStats{}, 0)
	m.WebDelivered()
	code, page := scrape(t, m.Handler(""), "")
	if code != http.StatusOK || value(page, "allmyleads_web_delivered_total") != "1" || strings.Contains(page, "allmyleads_leads{") {
		t.Fatalf("scrape with a failing store: %d\n%s", code, page)
	}
}

// TestLabelsStayBounded: a label that keeps getting new values reports
// the rest as "other".
func TestLabelsStayBounded(t *testing.T) {
	m := New(nil)
	for i := range maxLabelValues + 10 {
		m.SendFailed("whatsapp", fmt.Sprint(100000+i))
	}
	_, page := scrape(t, m.Handler(""), "")
	if got := strings.Count(page, "allmyleads_send_failures_total{"); got != maxLabelValues+1 {
		t.Errorf("%d send failure series, want %d", got, maxLabelValues+1)
	}
	if value(page, `allmyleads_send_failures_total{channel="whatsapp",code="other"}`) != "10" {
		t.Error("the values past the bound are not counted as other")
	}
}
