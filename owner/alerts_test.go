package owner_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/owner"
)

// alertsServer serves the fixture's store with the funnel and the failed
// notices, as serve wires them.
func (f *fixture) alertsServer() *httptest.Server {
	f.t.Helper()
	oh, err := owner.NewHandler(owner.Options{
		Records: f.h.Store, Owner: f.h.Store, Engine: f.h.Engine, Rights: rights{f.h.Store}, Media: f.h.Store,
		Business: "Brightside", Clock: f.h.Clock.Now,
		Notices: f.h.Store, Funnel: f.h.Store, Flows: f.h.Flows, StartFlow: "greeting",
	})
	if err != nil {
		f.t.Fatal(err)
	}
	r := mux.NewRouter()
	oh.Routes(r)
	srv := httptest.NewServer(r)
	f.t.Cleanup(srv.Close)
	f.t.Cleanup(oh.Close)
	return srv
}

func getJSON(t *testing.T, srv *httptest.Server, path, token string, v any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode
}

// TestFunnel: the funnel API lists the flows' questions in the order a
// conversation meets them, with how many reached and answered each; the
// console page draws the same figures.
func TestFunnel(t *testing.T) {
	f := newFixture(t, engine.Config{})
	f.converse()
	srv := f.alertsServer()
	var rep owner.FunnelReport
	if code := getJSON(t, srv, "/api/v1/analytics/funnel", f.ro, &rep); code != http.StatusOK {
		t.Fatalf("funnel: %d", code)
	}
	if rep.Conversations != 2 || len(rep.Steps) < 8 {
		t.Fatalf("funnel: %+v", rep)
	}
	first := rep.Steps[0]
	if first.Flow != "consent" || first.Step != "ask_consent" || first.Reached != 2 || first.Answered != 2 || first.Kind != "consent" || first.Question == "" {
		t.Fatalf("first step %+v, want the consent question reached and answered by both", first)
	}
	byStep := map[string]owner.FunnelRow{}
	order := []string{}
	for _, s := range rep.Steps {
		byStep[s.Flow+"/"+s.Step] = s
		order = append(order, s.Flow+"/"+s.Step)
	}
	if s := byStep["collect_details/ask_name"]; s.Reached != 1 || s.Answered != 1 {
		t.Errorf("ask_name: %+v (Bob asked for a person at consent; only Ana went on)", s)
	}
	if s := byStep["confirm_quote/show_quote"]; s.Reached != 1 || s.Answered != 0 || s.Stopped != 1 {
		t.Errorf("show_quote: %+v, want Ana waiting at the quote", s)
	}
	if strings.Index(strings.Join(order, " "), "collect_details/ask_name") > strings.Index(strings.Join(order, " "), "confirm_quote/show_quote") {
		t.Errorf("steps not in conversation order: %v", order)
	}

	c := consoleLogin(t, srv.URL, f.rw)
	page := getPage(t, c, srv.URL+"/console/funnel")
	for _, want := range []string{"consent › ask_consent", "2 reached, 2 answered (100%)", "confirm_quote › show_quote", "<svg"} {
		if !strings.Contains(page, want) {
			t.Errorf("funnel page lacks %q", want)
		}
	}
}

// TestFailedNoticesInNeedsMe: a webhook delivery that failed for good is
// listed by the API and in the console's Needs me until dismissed.
func TestFailedNoticesInNeedsMe(t *testing.T) {
	f := newFixture(t, engine.Config{})
	f.converse()
	srv := f.alertsServer()
	ctx := context.Background()
	lead := f.leadID(ana)
	err := f.h.Store.Commit(ctx, &core.Turn{Notices: []core.Outbound{{Channel: core.WebhookChannel, Contact: ana, Kind: core.OutWebhook,
		Notice: &core.Notice{Event: core.EventQuoteSent, EventID: "evt_1", Lead: lead, URL: "https://crm.example/hook?key=secret", DeliveryID: "dlv_1", Body: "{}"}}}})
	if err != nil {
		t.Fatal(err)
	}
	items, _ := f.h.Store.PendingOutbound(ctx, core.WebhookChannel, 10)
	if len(items) != 1 {
		t.Fatalf("queued: %+v", items)
	}
	if err := f.h.Store.MarkFailed(ctx, items[0].ID, 503, "the receiver answered 503 Service Unavailable", false); err != nil {
		t.Fatal(err)
	}
	var list struct{ Notices []core.FailedNotice }
	if code := getJSON(t, srv, "/api/v1/notices/failed", f.ro, &list); code != http.StatusOK || len(list.Notices) != 1 {
		t.Fatalf("failed notices: %d %+v", code, list)
	}
	n := list.Notices[0]
	if n.Target != "https://crm.example/hook" || n.Delivery != "dlv_1" || n.Lead != lead || n.Event != core.EventQuoteSent {
		t.Fatalf("failed notice %+v", n)
	}
	c := consoleLogin(t, srv.URL, f.rw)
	page := getPage(t, c, srv.URL+"/console/?tab=needs_me")
	if !strings.Contains(page, "did not get through") || !strings.Contains(page, "quote.sent") || strings.Contains(page, "key=secret") {
		t.Fatalf("Needs me does not show the failed webhook:\n%s", page)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/api/v1/notices/failed/"+n.ID, nil)
	req.Header.Set("Authorization", "Bearer "+f.ro)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("a read-only token dismissed: %v %v", res, err)
	}
	req.Header.Set("Authorization", "Bearer "+f.rw)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("dismiss: %v %v", res, err)
	}
	if getJSON(t, srv, "/api/v1/notices/failed", f.ro, &list); len(list.Notices) != 0 {
		t.Fatalf("still listed after dismissal: %+v", list)
	}
}

// consoleLogin logs a client in to the console with a token's secret.
func consoleLogin(t *testing.T, base, secret string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	page := getPage(t, c, base+"/console/login")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF field on the login page")
	}
	res, err := c.PostForm(base+"/console/login", url.Values{"csrf": {m[1]}, "secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/console/" {
		t.Fatalf("login ended at %s", res.Request.URL)
	}
	return c
}

func getPage(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, res.StatusCode, body)
	}
	return string(body)
}
