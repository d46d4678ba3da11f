package extract

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/extract/openaitest"
)

// sleeps records the waits between retries instead of waiting.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// fakeJPEG is a few bytes that sniff as a JPEG.
var fakeJPEG = []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01}

const customerText = "Roof is about 40 square metres, metal sheets. Call me on +31 6 1234 5678."

type openaiFixture struct {
	srv  *openaitest.Server
	x    *OpenAI
	wait *sleeps
	logs *bytes.Buffer
}

func newOpenAIFixture(t *testing.T, edit func(*OpenAIOptions)) *openaiFixture {
	t.Helper()
	f := &openaiFixture{srv: openaitest.New(t), wait: &sleeps{}, logs: &bytes.Buffer{}}
	opts := OpenAIOptions{
		APIKey:  "sk-test-secret",
		BaseURL: f.srv.URL,
		Model:   "gpt-4o-mini",
		Timeout: 10 * time.Second,
		Logger:  slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Sleep:   f.wait.sleep,
	}
	if edit != nil {
		edit(&opts)
	}
	f.x = NewOpenAI(opts)
	return f
}

func roofRequest(t testing.TB) core.ExtractRequest {
	return core.ExtractRequest{
		Contact:      "+31612345678",
		Instructions: "Estimate the roof area in square metres and the roofing material.",
		Fields:       mustFields(t, "area_m2:number,material:enum(tiles|metal|shingles),notes:string?,tags:string[]?"),
		Texts:        []string{customerText, "the back side"}, // the engine passes captions as texts too
		Images:       []core.Media{{ID: "m1", MIME: "image/jpeg", Caption: "the back side", Data: fakeJPEG}},
	}
}

func extractOutcome(err error) string {
	var xe *core.ExtractError
	if errors.As(err, &xe) {
		return xe.Outcome
	}
	if err != nil {
		return "untyped: " + err.Error()
	}
	return core.OutcomeOK
}

func TestOpenAIGood(t *testing.T) {
	f := newOpenAIFixture(t, nil)
	f.srv.Reply(openaitest.Good(map[string]any{"area_m2": 41.5, "material": "Metal", "tags": []string{"rust"}}).WithUsage(812, 37))
	req := roofRequest(t)
	res, err := f.x.Extract(context.Background(), req)
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	want := map[string]core.FieldResult{
		"area_m2":  {Value: 41.5, Confidence: openaitest.GoodConfidence},
		"material": {Value: "metal", Confidence: openaitest.GoodConfidence},
		"tags":     {Value: []any{"rust"}, Confidence: openaitest.GoodConfidence},
	}
	if !reflect.DeepEqual(res.Fields, want) {
		t.Errorf("fields = %#v\nwant %#v", res.Fields, want)
	}
	if res.Extractor != NameOpenAI || res.Model != "gpt-4o-mini" || res.PromptTokens != 812 || res.OutputTokens != 37 {
		t.Errorf("facts = %s %s tokens %d/%d", res.Extractor, res.Model, res.PromptTokens, res.OutputTokens)
	}
	if res.PromptVersion != PromptVersion(req.Instructions, req.Fields) || len(res.PromptVersion) != 12 {
		t.Errorf("prompt version %q", res.PromptVersion)
	}

	reqs := f.srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Model != "gpt-4o-mini" || r.Header.Get("Authorization") != "Bearer sk-test-secret" {
		t.Errorf("model %q auth %q", r.Model, r.Header.Get("Authorization"))
	}
	if len(r.Messages) != 2 || r.Messages[0].Role != "system" || !strings.Contains(r.System(), "Only extract") {
		t.Errorf("messages: %+v", r.Messages)
	}
	texts := strings.Join(r.Texts(), "\n")
	for _, s := range []string{req.Instructions, customerText, "the back side", "material (enum: one of tiles, metal, shingles, required)"} {
		if !strings.Contains(texts, s) {
			t.Errorf("user texts lack %q:\n%s", s, texts)
		}
	}
	if n := strings.Count(texts, "the back side"); n != 1 {
		t.Errorf("caption sent %d times", n)
	}
	if imgs := r.ImageURLs(); len(imgs) != 1 || imgs[0] != "data:image/jpeg;base64,"+base64.StdEncoding.EncodeToString(fakeJPEG) {
		t.Errorf("image URLs = %q", imgs)
	}
	rf := r.ResponseFormat
	if rf.Type != "json_schema" || !rf.Strict || rf.Name != schemaName {
		t.Errorf("response_format = %+v", rf)
	}
	schema, _ := BuildSchema(req.Fields)
	wantSchema := roundTrip(t, schema)
	if !reflect.DeepEqual(rf.Schema, wantSchema) {
		t.Errorf("schema sent differs from BuildSchema")
	}
	// The reply's order on the wire: fields in file order, value first.
	if names := r.FieldNames(); !reflect.DeepEqual(names, []string{"area_m2", "material", "notes", "tags"}) {
		t.Errorf("schema field order %v", names)
	}
	assertNoSecretsLogged(t, f.logs.String())
}

func roundTrip(t *testing.T, schema map[string]any) map[string]any {
	t.Helper()
	raw, err := SchemaJSON(schema)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func assertNoSecretsLogged(t *testing.T, logs string) {
	t.Helper()
	for _, secret := range []string{"sk-test-secret", "40 square metres", "1234 5678", "the back side", base64.StdEncoding.EncodeToString(fakeJPEG)} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
}

func TestOpenAIOutcomes(t *testing.T) {
	type want struct {
		outcome        string
		requests       int
		prompt, output int
		waits          []time.Duration
		fields         map[string]core.FieldResult
	}
	p, o := openaitest.DefaultPromptTokens, openaitest.DefaultCompletionTokens
	cases := []struct {
		name    string
		answers []openaitest.Answer
		opts    func(*OpenAIOptions)
		want    want
	}{
		{
			name:    "low confidence",
			answers: []openaitest.Answer{openaitest.LowConfidence(map[string]any{"area_m2": 40, "material": "tiles"})},
			want: want{outcome: core.OutcomeOK, requests: 1, prompt: p, output: o, fields: map[string]core.FieldResult{
				"area_m2": {Value: 40.0, Confidence: openaitest.LowConfidenceLevel}, "material": {Value: "tiles", Confidence: openaitest.LowConfidenceLevel}}},
		},
		{
			name:    "per-field confidence",
			answers: []openaitest.Answer{openaitest.Good(map[string]any{"area_m2": openaitest.Field{Value: 12, Confidence: 0.2}, "material": "metal"})},
			want: want{outcome: core.OutcomeOK, requests: 1, prompt: p, output: o, fields: map[string]core.FieldResult{
				"area_m2": {Value: 12.0, Confidence: 0.2}, "material": {Value: "metal", Confidence: openaitest.GoodConfidence}}},
		},
		{
			name:    "schema-breaking JSON twice is invalid",
			answers: []openaitest.Answer{openaitest.BadJSON(), openaitest.BadJSON()},
			want:    want{outcome: core.OutcomeInvalid, requests: 2, prompt: 2 * p, output: 2 * o},
		},
		{
			name:    "schema-breaking JSON then good",
			answers: []openaitest.Answer{openaitest.BadJSON(), openaitest.Good(map[string]any{"area_m2": 40, "material": "metal"})},
			want: want{outcome: core.OutcomeOK, requests: 2, prompt: 2 * p, output: 2 * o, fields: map[string]core.FieldResult{
				"area_m2": {Value: 40.0, Confidence: openaitest.GoodConfidence}, "material": {Value: "metal", Confidence: openaitest.GoodConfidence}}},
		},
		{
			name:    "not JSON then a required field null",
			answers: []openaitest.Answer{openaitest.Content("Sure! The roof is 40 m2."), openaitest.Good(map[string]any{"material": "metal"})},
			want:    want{outcome: core.OutcomeInvalid, requests: 2, prompt: 2 * p, output: 2 * o},
		},
		{
			name:    "fenced JSON from a compatible server",
			answers: []openaitest.Answer{openaitest.Content("```json\n{\"area_m2\":{\"value\":40,\"confidence\":0.8},\"material\":{\"value\":\"tiles\",\"confidence\":0.7}}\n```")},
			want: want{outcome: core.OutcomeOK, requests: 1, prompt: p, output: o, fields: map[string]core.FieldResult{
				"area_m2": {Value: 40.0, Confidence: 0.8}, "material": {Value: "tiles", Confidence: 0.7}}},
		},
		{
			name:    "refusal",
			answers: []openaitest.Answer{openaitest.Refusal()},
			want:    want{outcome: core.OutcomeRefused, requests: 1, prompt: p, output: 12},
		},
		{
			name:    "429 honours Retry-After",
			answers: []openaitest.Answer{openaitest.RateLimit(3), openaitest.Good(map[string]any{"area_m2": 40, "material": "metal"})},
			want: want{outcome: core.OutcomeOK, requests: 2, prompt: p, output: o, waits: []time.Duration{3 * time.Second}, fields: map[string]core.FieldResult{
				"area_m2": {Value: 40.0, Confidence: openaitest.GoodConfidence}, "material": {Value: "metal", Confidence: openaitest.GoodConfidence}}},
		},
		{
			name:    "429 without Retry-After backs off",
			answers: []openaitest.Answer{openaitest.RateLimit(-1), openaitest.RateLimit(-1), openaitest.RateLimit(-1)},
			want:    want{outcome: core.OutcomeError, requests: 3, waits: []time.Duration{500 * time.Millisecond, time.Second}},
		},
		{
			name:    "429 whose Retry-After passes the deadline",
			answers: []openaitest.Answer{openaitest.RateLimit(60)},
			opts:    func(o *OpenAIOptions) { o.Timeout = 5 * time.Second },
			want:    want{outcome: core.OutcomeError, requests: 1},
		},
		{
			name:    "500 then good",
			answers: []openaitest.Answer{openaitest.ServerError(), openaitest.Good(map[string]any{"area_m2": 40, "material": "metal"})},
			want: want{outcome: core.OutcomeOK, requests: 2, prompt: p, output: o, waits: []time.Duration{500 * time.Millisecond}, fields: map[string]core.FieldResult{
				"area_m2": {Value: 40.0, Confidence: openaitest.GoodConfidence}, "material": {Value: "metal", Confidence: openaitest.GoodConfidence}}},
		},
		{
			name:    "500 until retries run out",
			answers: []openaitest.Answer{openaitest.ServerError(), openaitest.ServerError(), openaitest.ServerError()},
			want:    want{outcome: core.OutcomeError, requests: 3, waits: []time.Duration{500 * time.Millisecond, time.Second}},
		},
		{
			name:    "500 with retries off",
			answers: []openaitest.Answer{openaitest.ServerError()},
			opts:    func(o *OpenAIOptions) { o.MaxRetries = -1 },
			want:    want{outcome: core.OutcomeError, requests: 1},
		},
		{
			name:    "hang past the timeout",
			answers: []openaitest.Answer{openaitest.Hang()},
			opts:    func(o *OpenAIOptions) { o.Timeout = 50 * time.Millisecond },
			want:    want{outcome: core.OutcomeTimeout, requests: 1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newOpenAIFixture(t, c.opts)
			f.srv.Reply(c.answers...)
			req := roofRequest(t)
			res, err := f.x.Extract(context.Background(), req)
			if got := extractOutcome(err); got != c.want.outcome {
				t.Fatalf("outcome %q (%v), want %q", got, err, c.want.outcome)
			}
			if res == nil {
				t.Fatal("no result")
			}
			if n := len(f.srv.Requests()); n != c.want.requests {
				t.Errorf("%d requests, want %d", n, c.want.requests)
			}
			if res.PromptTokens != c.want.prompt || res.OutputTokens != c.want.output {
				t.Errorf("tokens %d/%d, want %d/%d", res.PromptTokens, res.OutputTokens, c.want.prompt, c.want.output)
			}
			if res.PromptVersion == "" || res.Extractor != NameOpenAI {
				t.Errorf("facts missing on the result: %+v", res)
			}
			if w := f.wait.got(); !reflect.DeepEqual(w, c.want.waits) && (len(w) != 0 || len(c.want.waits) != 0) {
				t.Errorf("waits %v, want %v", w, c.want.waits)
			}
			if c.want.outcome == core.OutcomeOK && !reflect.DeepEqual(res.Fields, c.want.fields) {
				t.Errorf("fields = %#v\nwant %#v", res.Fields, c.want.fields)
			}
			if c.want.outcome != core.OutcomeOK && res.Fields != nil {
				t.Errorf("fields on failure: %v", res.Fields)
			}
			assertNoSecretsLogged(t, f.logs.String())
		})
	}
}

// The retry after a reply that does not fit shows the model its reply and
// what was wrong.
func TestOpenAIRepairRequest(t *testing.T) {
	f := newOpenAIFixture(t, nil)
	f.srv.Reply(openaitest.BadJSON(), openaitest.Good(map[string]any{"area_m2": 40, "material": "metal"}))
	if _, err := f.x.Extract(context.Background(), roofRequest(t)); err != nil {
		t.Fatal(err)
	}
	second := f.srv.Requests()[1]
	if n := len(second.Messages); n != 4 || second.Messages[2].Role != "assistant" || second.Messages[3].Role != "user" {
		t.Fatalf("repair messages: %+v", second.Messages)
	}
	if !strings.Contains(second.Messages[3].Content, `field "area_m2": want a number`) {
		t.Errorf("repair text %q does not say what was wrong", second.Messages[3].Content)
	}
}

func TestOpenAIImages(t *testing.T) {
	big := append(append([]byte(nil), fakeJPEG...), make([]byte, 2048)...)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	f := newOpenAIFixture(t, func(o *OpenAIOptions) { o.MaxImageBytes = 1024 })
	f.srv.Reply(openaitest.Good(map[string]any{"area_m2": 40, "material": "metal"}))
	req := roofRequest(t)
	req.Texts = nil
	req.Images = []core.Media{
		{ID: "big", MIME: "image/jpeg", Data: big},
		{ID: "pdf", MIME: "application/pdf", Data: []byte("%PDF-1.7")},
		{ID: "nobytes", MIME: "image/jpeg"},
		{ID: "sniffed", Data: png},
		{ID: "ok", MIME: "image/jpeg; charset=binary", Data: fakeJPEG},
	}
	if _, err := f.x.Extract(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := f.srv.Requests()[0].ImageURLs()
	want := []string{
		"data:image/png;base64," + base64.StdEncoding.EncodeToString(png),
		"data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(fakeJPEG),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("images sent = %q\nwant %q", got, want)
	}
	for _, id := range []string{"big", "pdf", "nobytes"} {
		if !strings.Contains(f.logs.String(), "media_id="+id) {
			t.Errorf("leaving out %s is not logged:\n%s", id, f.logs)
		}
	}
}

func TestOpenAINothingToRead(t *testing.T) {
	f := newOpenAIFixture(t, func(o *OpenAIOptions) { o.MaxImageBytes = 4 })
	req := roofRequest(t)
	req.Texts = []string{"  "}
	req.Images[0].Caption = ""
	_, err := f.x.Extract(context.Background(), req)
	if extractOutcome(err) != core.OutcomeError || !errors.Is(err, ErrNothingToRead) {
		t.Fatalf("err = %v, want ErrNothingToRead", err)
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for nothing", n)
	}
}

func TestOpenAIBadFieldSpec(t *testing.T) {
	f := newOpenAIFixture(t, nil)
	req := roofRequest(t)
	req.Fields[0].Type = "decimal"
	_, err := f.x.Extract(context.Background(), req)
	if extractOutcome(err) != core.OutcomeError || !errors.Is(err, ErrFieldSpec) || !strings.Contains(err.Error(), "area_m2") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenAICancelledIsNotTimeout(t *testing.T) {
	f := newOpenAIFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.x.Extract(ctx, roofRequest(t))
	if got := extractOutcome(err); got != core.OutcomeError || !errors.Is(err, context.Canceled) {
		t.Fatalf("outcome %q (%v), want error wrapping context.Canceled", got, err)
	}
}

// A 4xx other than 429 is not retried.
func TestOpenAIClientErrorNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`))
	}))
	defer srv.Close()
	x := NewOpenAI(OpenAIOptions{APIKey: "sk-wrong", BaseURL: srv.URL + "/v1", Sleep: (&sleeps{}).sleep})
	_, err := x.Extract(context.Background(), roofRequest(t))
	if extractOutcome(err) != core.OutcomeError || calls.Load() != 1 || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v after %d calls", err, calls.Load())
	}
}

func TestNewChoosesExtractor(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if _, ok := New(Options{Logger: log}).(*Offline); !ok {
		t.Fatal("without a key New must return the offline extractor")
	}
	if n := strings.Count(logs.String(), "OpenAI is not configured"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
	x, ok := New(Options{OpenAI: OpenAIOptions{APIKey: "sk-x"}, Logger: log}).(*OpenAI)
	if !ok || x.opts.Model != DefaultModel || x.opts.Timeout != DefaultTimeout || x.opts.MaxRetries != DefaultMaxRetries || x.log != log {
		t.Fatalf("New with a key = %#v", x)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{map[string]string{"Retry-After": "3"}, 3 * time.Second, true},
		{map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond, true},
		{map[string]string{"Retry-After": now.Add(20 * time.Second).Format(http.TimeFormat)}, 20 * time.Second, true},
		{map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0, true},
		{map[string]string{"Retry-After-Ms": "250", "Retry-After": "1"}, 250 * time.Millisecond, true},
		{map[string]string{"Retry-After": "soon"}, 0, false},
		{map[string]string{"Retry-After": "-4"}, 0, false},
		{nil, 0, false},
	}
	for _, c := range cases {
		h := http.Header{}
		for k, v := range c.header {
			h.Set(k, v)
		}
		got, ok := retryAfter(h, now)
		if got != c.want || ok != c.ok {
			t.Errorf("retryAfter(%v) = %v, %v; want %v, %v", c.header, got, ok, c.want, c.ok)
		}
	}
}

// A connection cut before any reply is retried like a 5xx.
func TestOpenAIRetriesDroppedConnection(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1767225600,"model":"gpt-4o-mini-2024-07-18",` +
			`"choices":[{"index":0,"message":{"role":"assistant","content":"{\"n\":{\"value\":3,\"confidence\":0.9}}","refusal":null},"finish_reason":"stop"}],` +
			`"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}`))
	}))
	defer srv.Close()
	wait := &sleeps{}
	x := NewOpenAI(OpenAIOptions{APIKey: "sk-x", BaseURL: srv.URL + "/v1", Sleep: wait.sleep})
	res, err := x.Extract(context.Background(), core.ExtractRequest{Fields: mustFields(t, "n:integer"), Texts: []string{"three"}})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || len(wait.got()) != 1 || res.Fields["n"].Value != 3.0 || res.Model != "gpt-4o-mini-2024-07-18" {
		t.Fatalf("calls %d waits %v result %+v", calls.Load(), wait.got(), res)
	}
}
