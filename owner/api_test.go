package owner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/engine/store"
	"github.com/allmyleads/allmyleads/owner"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	ana = "whatsapp:447700900100"
	bob = "whatsapp:447700900200"
)

// fixture is a handler over a real store and engine with two customers:
// Ana, who went through the shipped quote conversation with a photo, and
// Bob, who asked for a person.
type fixture struct {
	t      *testing.T
	h      *enginetest.Harness
	oh     *owner.Handler
	srv    *httptest.Server
	rw, ro string // tokens
}

// rights adapts the store for the handler, as serve does.
type rights struct{ st *store.Store }

func (r rights) Export(ctx context.Context, c string) ([]byte, string, error) {
	return r.st.ExportJSON(ctx, c)
}
func (r rights) Erase(ctx context.Context, c, actor string) error {
	_, err := r.st.Erase(ctx, c, actor)
	return err
}
func (r rights) Correct(ctx context.Context, c, f, v, a string) error {
	return r.st.Correct(ctx, c, f, v, a)
}
func (r rights) CorrectableFields() []string { return store.CorrectableFields() }

func newFixture(t *testing.T, cfg engine.Config) *fixture {
	t.Helper()
	var channels core.Channels
	if err := channels.Register(whatsappLike{}); err != nil {
		t.Fatal(err)
	}
	h := enginetest.New(t, enginetest.Options{Config: cfg, Channels: &channels})
	oh, err := owner.NewHandler(owner.Options{
		Records: h.Store, Owner: h.Store, Engine: h.Engine, Rights: rights{h.Store}, Media: h.Store,
		Templates: []core.Template{{Name: "follow_up", Language: "en_GB"}}, Business: "Brightside",
		Clock: h.Clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := mux.NewRouter()
	oh.Routes(r)
	f := &fixture{t: t, h: h, oh: oh, srv: httptest.NewServer(r)}
	t.Cleanup(f.srv.Close)
	t.Cleanup(oh.Close)
	f.rw = f.token("crm", false)
	f.ro = f.token("viewer", true)
	return f
}

func (f *fixture) token(name string, readOnly bool) string {
	secret := owner.NewTokenSecret()
	if err := f.h.Store.CreateToken(context.Background(), core.Token{Name: name, Hash: owner.HashToken(secret), ReadOnly: readOnly, CreatedBy: "test"}); err != nil {
		f.t.Fatal(err)
	}
	return secret
}

// photo is a small real JPEG.
func photo(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/roof.jpg")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// converse runs the shipped quote conversation for Ana on WhatsApp and a
// person request for Bob.
func (f *fixture) converse() {
	h := f.h
	wa := func(in core.Inbound) core.Inbound { in.Channel = "whatsapp"; return in }
	for _, text := range []string{"Hi", "yes", "Ana Lima", "ana@example.com", "1", "skip", "12 High Street, Bristol BS1 4DJ", "roofing", "Tiles slipped in the storm."} {
		h.Send(wa(h.Message(ana, text)))
		h.Clock.Advance(time.Minute)
	}
	h.Send(wa(h.Photo(ana, photo(f.t), "front of the roof, about 40 m2")))
	h.Clock.Advance(time.Minute)
	for _, text := range []string{"done", "yes"} {
		h.Send(wa(h.Message(ana, text)))
		h.Clock.Advance(time.Minute)
	}
	h.Send(wa(h.Message(bob, "Hi")))
	h.Clock.Advance(time.Minute)
	h.Send(wa(h.Message(bob, "AGENT")))
	h.Clock.Advance(time.Minute)
}

// step is one request of the golden script.
type step struct {
	name, method, path, token, body string
}

func (f *fixture) do(s step) (int, http.Header, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(s.method, f.srv.URL+s.path, strings.NewReader(s.body))
	if err != nil {
		f.t.Fatal(err)
	}
	if s.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, body
}

func (f *fixture) leadID(contact string) string { return f.h.Store.LeadID(contact) }

func (f *fixture) quoteID(contact string) string {
	s := f.h.Session(contact)
	if s == nil || s.Quote == nil {
		f.t.Fatalf("%s has no quote", contact)
	}
	return s.Quote.ID
}

var reCursor = regexp.MustCompile(`"next_cursor": "[^"]+"`)

// normalize makes an answer comparable: lead ids and contact keys (keyed
// hashes under a random key) and cursors replaced, long lists cut.
func (f *fixture) normalize(body []byte) string {
	s := string(body)
	for name, c := range map[string]string{"ANA": ana, "BOB": bob} {
		ck := f.h.Store.ContactKey(c)
		s = strings.ReplaceAll(s, ck, "<ck:"+name+">")
		s = strings.ReplaceAll(s, f.leadID(c), "<lead:"+name+">")
	}
	s = reCursor.ReplaceAllString(s, `"next_cursor": "<cursor>"`)
	return s
}

// summary keeps the parts of a big answer a golden file can show.
func summary(body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	if _, ok := m["messages"]; ok {
		msgs, _ := m["messages"].([]any)
		out := map[string]any{"summary": m["summary"], "messages": len(msgs), "notes": m["notes"]}
		if qs, ok := m["quotes"].([]any); ok && len(qs) > 0 {
			q := qs[0].(map[string]any)
			out["quote"] = map[string]any{"id": q["id"], "status": q["status"], "revision": q["revision"], "total": q["total"], "items": q["items"], "evidence": q["evidence"]}
		}
		if len(msgs) > 0 {
			out["last_message"] = msgs[len(msgs)-1]
		}
		b, _ := json.MarshalIndent(out, "", "  ")
		return b
	}
	return body
}

// TestAPI walks every route through a script of requests (auth, bad
// input, not found, pagination, every action) and compares each answer
// with testdata/api.golden.
func TestAPI(t *testing.T) {
	f := newFixture(t, engine.Config{})
	f.converse()
	A, B, Q := f.leadID(ana), f.leadID(bob), f.quoteID(ana)
	missing := strings.Repeat("0", 24)
	steps := []step{
		{"no token", "GET", "/api/v1/leads", "", ""},
		{"wrong token", "GET", "/api/v1/leads", "aml_wrong", ""},
		{"list", "GET", "/api/v1/leads?tab=all", f.ro, ""},
		{"needs me", "GET", "/api/v1/leads?tab=needs_me", f.ro, ""},
		{"page 1 of 2", "GET", "/api/v1/leads?tab=all&limit=1", f.ro, ""},
		{"bad tab", "GET", "/api/v1/leads?tab=mine", f.ro, ""},
		{"bad stage", "GET", "/api/v1/leads?stage=won", f.ro, ""},
		{"bad limit", "GET", "/api/v1/leads?limit=0", f.ro, ""},
		{"bad cursor", "GET", "/api/v1/leads?cursor=abc", f.ro, ""},
		{"bad since", "GET", "/api/v1/leads?since=yesterday", f.ro, ""},
		{"search", "GET", "/api/v1/leads?tab=all&q=ana%40example", f.ro, ""},
		{"stage filter", "GET", "/api/v1/leads?stage=quoted", f.ro, ""},
		{"lead", "GET", "/api/v1/leads/" + A, f.ro, ""},
		{"lead not found", "GET", "/api/v1/leads/" + missing, f.ro, ""},
		{"lead bad id", "GET", "/api/v1/leads/nope", f.ro, ""},
		{"read-only may not write", "POST", "/api/v1/leads/" + B + "/messages", f.ro, `{"text":"hello"}`},
		{"message unknown field", "POST", "/api/v1/leads/" + B + "/messages", f.rw, `{"txt":"hello"}`},
		{"message empty", "POST", "/api/v1/leads/" + B + "/messages", f.rw, `{"text":"  "}`},
		{"message not json", "POST", "/api/v1/leads/" + B + "/messages", f.rw, `hello`},
		{"message to missing lead", "POST", "/api/v1/leads/" + missing + "/messages", f.rw, `{"text":"hello"}`},
		{"message bad media", "POST", "/api/v1/leads/" + B + "/messages", f.rw, `{"media":{"data":"!!"}}`},
		{"reply", "POST", "/api/v1/leads/" + B + "/messages", f.rw, `{"text":"Hi Bob, Sam here. How can I help?"}`},
		{"release", "POST", "/api/v1/leads/" + B + "/release", f.rw, ""},
		{"release again", "POST", "/api/v1/leads/" + B + "/release", f.rw, ""},
		{"handoff", "POST", "/api/v1/leads/" + A + "/handoff", f.rw, ""},
		{"release ana", "POST", "/api/v1/leads/" + A + "/release", f.rw, ""},
		{"patch nothing", "PATCH", "/api/v1/leads/" + A, f.rw, `{}`},
		{"patch bad status", "PATCH", "/api/v1/leads/" + A, f.rw, `{"status":"won"}`},
		{"note", "PATCH", "/api/v1/leads/" + A, f.rw, `{"note":"Prefers mornings."}`},
		{"correct bad field", "POST", "/api/v1/leads/" + A + "/corrections", f.rw, `{"field":"lead.age","value":"3"}`},
		{"correct bad email", "POST", "/api/v1/leads/" + A + "/corrections", f.rw, `{"field":"lead.email","value":"not an email"}`},
		{"correct", "POST", "/api/v1/leads/" + A + "/corrections", f.rw, `{"field":"lead.email","value":"ana.lima@example.com"}`},
		{"quote", "GET", "/api/v1/quotes/" + Q, f.ro, ""},
		{"quote not found", "GET", "/api/v1/quotes/q_missing", f.ro, ""},
		{"revision bad line", "POST", "/api/v1/quotes/" + Q + "/revisions", f.rw, `{"items":[{"description":"","quantity":1,"unit_price":100}]}`},
		{"revision bad set", "POST", "/api/v1/quotes/" + Q + "/revisions", f.rw, `{"set":{"lead.name":"x"}}`},
		{"revision both", "POST", "/api/v1/quotes/" + Q + "/revisions", f.rw, `{"set":{"project.estimate.area_m2":38},"discount":100}`},
		{"approve not held", "POST", "/api/v1/quotes/" + Q + "/approval", f.rw, ""},
		{"reprice", "POST", "/api/v1/quotes/" + Q + "/revisions", f.rw, `{"set":{"project.estimate.area_m2":38}}`},
		{"edit lines", "POST", "/api/v1/quotes/" + Q + "/revisions", f.rw, `{"items":[{"description":"Roofing, tiles","quantity":38,"unit":"m²","unit_price":5500},{"description":"Scaffolding","quantity":1,"unit":"job","unit_price":30000}],"discount":5000,"valid_until":"2026-04-30"}`},
		{"outcome bad", "POST", "/api/v1/quotes/" + Q + "/outcome", f.rw, `{"outcome":"maybe"}`},
		{"paid", "POST", "/api/v1/quotes/" + Q + "/outcome", f.rw, `{"outcome":"paid","payment_ref":"INV-1042"}`},
		{"paid again", "POST", "/api/v1/quotes/" + Q + "/outcome", f.rw, `{"outcome":"lost","reason":"x"}`},
		{"lead after", "GET", "/api/v1/leads/" + A, f.ro, ""},
		{"canned bad", "PUT", "/api/v1/canned-replies", f.rw, `{"canned_replies":[{"shortcut":"a b","text":"x"}]}`},
		{"canned", "PUT", "/api/v1/canned-replies", f.rw, `{"canned_replies":[{"shortcut":"thanks","text":"Thank you! We will be in touch."}]}`},
		{"canned list", "GET", "/api/v1/canned-replies", f.ro, ""},
		{"templates", "GET", "/api/v1/templates", f.ro, ""},
		{"media not found", "GET", "/api/v1/media/abc", f.ro, ""},
		{"lost", "PATCH", "/api/v1/leads/" + B, f.rw, `{"status":"lost","reason":"went elsewhere"}`},
		{"erase read-only", "DELETE", "/api/v1/leads/" + B, f.ro, ""},
		{"erase", "DELETE", "/api/v1/leads/" + B, f.rw, ""},
		{"erased", "GET", "/api/v1/leads/" + B, f.ro, ""},
		{"list after", "GET", "/api/v1/leads?tab=all", f.ro, ""},
		{"unknown route", "GET", "/api/v1/nothing", f.ro, ""},
	}
	var out strings.Builder
	for _, s := range steps {
		code, hdr, body := f.do(s)
		fmt.Fprintf(&out, "### %s: %s %s\n%d %s\n", s.name, s.method, f.normalize([]byte(s.path)), code, hdr.Get("Content-Type"))
		if len(body) > 0 {
			text := f.normalize(summary(body))
			out.WriteString(text)
			if !strings.HasSuffix(text, "\n") {
				out.WriteString("\n")
			}
		}
		if code >= 400 && !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d answered as %s, want problem+json", s.name, code, hdr.Get("Content-Type"))
		}
	}
	golden(t, "testdata/api.golden", out.String())
	f.checkAudit()
}

// checkAudit: every change names who made it.
func (f *fixture) checkAudit() {
	log, err := f.h.Store.AuditLog(context.Background(), time.Time{})
	if err != nil {
		f.t.Fatal(err)
	}
	actions := map[string]string{}
	for _, a := range log {
		actions[a.Action] = a.Actor
	}
	for _, want := range []string{"reply", "release", "takeover", "note", "correct", "quote_revise", "quote_paid", "lead_lost", "erase", "canned_replies"} {
		if actions[want] != "token:crm" {
			f.t.Errorf("audit %q by %q, want token:crm (log %v)", want, actions[want], actions)
		}
	}
}

// TestRefusedRequestsChangeNothing: a refused request leaves the store as
// it was.
func TestRefusedRequestsChangeNothing(t *testing.T) {
	f := newFixture(t, engine.Config{})
	f.converse()
	A, Q := f.leadID(ana), f.quoteID(ana)
	before, _, _ := f.h.Store.ExportJSON(context.Background(), ana)
	for _, s := range []step{
		{"", "POST", "/api/v1/leads/" + A + "/messages", "", `{"text":"x"}`},
		{"", "POST", "/api/v1/leads/" + A + "/messages", f.ro, `{"text":"x"}`},
		{"", "POST", "/api/v1/leads/" + A + "/messages", f.rw, `{"text":"x","extra":1}`},
		{"", "POST", "/api/v1/quotes/" + Q + "/revisions", f.rw, `{"items":[]}`},
		{"", "POST", "/api/v1/quotes/" + Q + "/revisions", f.rw, `{"discount":99999999}`},
		{"", "PATCH", "/api/v1/leads/" + A, f.rw, `{"status":"lost","note":""}`},
		{"", "DELETE", "/api/v1/leads/" + A, f.ro, ""},
	} {
		if code, _, body := f.do(s); code < 400 {
			t.Errorf("%s %s: %d %s, want refused", s.method, s.path, code, body)
		}
	}
	after, _, _ := f.h.Store.ExportJSON(context.Background(), ana)
	if !bytes.Equal(stripGenerated(before), stripGenerated(after)) {
		t.Error("a refused request changed the customer's records")
	}
}

var reGenerated = regexp.MustCompile(`"generated": "[^"]+"`)

func stripGenerated(b []byte) []byte { return reGenerated.ReplaceAll(b, nil) }

// TestOpenAPICoversEveryRoute walks the router: every API route has its
// operation in the OpenAPI document, and the document names no route the
// router lacks.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	f := newFixture(t, engine.Config{})
	r := mux.NewRouter()
	f.oh.Routes(r)
	code, _, body := f.do(step{method: "GET", path: "/api/v1/openapi.json"})
	if code != http.StatusOK {
		t.Fatalf("openapi.json: %d", code)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	routed := map[string]bool{}
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil || !strings.HasPrefix(path, "/api/v1/") {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil
		}
		for _, m := range methods {
			key := strings.ToLower(m) + " " + path
			routed[key] = true
			op, ok := doc.Paths[path][strings.ToLower(m)]
			if !ok {
				t.Errorf("%s %s is routed but not in openapi.json", m, path)
				continue
			}
			if op["summary"] == "" || op["responses"] == nil {
				t.Errorf("%s %s: operation without summary or responses", m, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for m := range ops {
			if !routed[m+" "+path] {
				documented = append(documented, m+" "+path)
			}
		}
	}
	sort.Strings(documented)
	if len(documented) > 0 {
		t.Errorf("documented but not routed: %v", documented)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -update refreshes it if the change is right):\n%s", path, diff(string(want), got))
	}
}

// diff shows the first lines that differ.
func diff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return ""
}

// whatsappLike declares WhatsApp's capabilities, with its 24-hour window,
// for the conversations the tests play on channel "whatsapp".
type whatsappLike struct{}

func (whatsappLike) Name() string { return "whatsapp" }
func (whatsappLike) Capabilities() core.Capabilities {
	return core.Capabilities{MaxButtons: 3, MaxButtonTitle: 20, MaxListRows: 10, MaxRowTitle: 24, MaxText: 4096,
		Media: []string{"image", "document"}, Window: 24 * time.Hour, Templates: true}
}
func (whatsappLike) Send(context.Context, core.Outbound) (string, error) { return "", nil }
