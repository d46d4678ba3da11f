package openaitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// recorder stands in for the test the server reports to, so these tests
// can see what the server would fail a test for.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Helper() {}

func (r *recorder) errors() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "\n")
}

const goodBody = `{"model":"gpt-4o-mini","stream":false,"messages":[
 {"role":"system","content":"Only extract."},
 {"role":"user","content":[{"type":"text","text":"Roof?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}],
 "response_format":{"type":"json_schema","json_schema":{"name":"extracted_fields","strict":true,"schema":{
  "type":"object","additionalProperties":false,"required":["area_m2","material"],"properties":{
   "area_m2":{"type":"object","additionalProperties":false,"required":["value","confidence"],"properties":{"value":{"type":"number"},"confidence":{"type":"number"}}},
   "material":{"type":"object","additionalProperties":false,"required":["value","confidence"],"properties":{"value":{"type":["string","null"],"enum":["tiles","metal",null]},"confidence":{"type":"number"}}}}}}}}`

func post(t *testing.T, url, body string, header map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-test")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("reply is not JSON: %s", raw)
	}
	return resp.StatusCode, resp.Header, out
}

func TestAnswers(t *testing.T) {
	s := New(t)
	s.Reply(Good(map[string]any{"area_m2": 42}), RateLimit(7), ServerError(), Refusal(), BadJSON())

	code, _, body := post(t, s.URL, goodBody, nil)
	msg := body["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	var content map[string]map[string]any
	if err := json.Unmarshal([]byte(msg["content"].(string)), &content); err != nil || code != 200 {
		t.Fatalf("good: %d %v %v", code, msg, err)
	}
	if content["area_m2"]["value"] != 42.0 || content["area_m2"]["confidence"] != GoodConfidence || content["material"]["value"] != nil {
		t.Errorf("good content = %v", content)
	}
	if u := body["usage"].(map[string]any); u["prompt_tokens"] != float64(DefaultPromptTokens) {
		t.Errorf("usage = %v", u)
	}

	code, h, body := post(t, s.URL, goodBody, nil)
	if code != 429 || h.Get("Retry-After") != "7" || body["error"].(map[string]any)["code"] != "rate_limit_exceeded" {
		t.Errorf("rate limit: %d %v %v", code, h, body)
	}
	if code, _, body = post(t, s.URL, goodBody, nil); code != 500 || body["error"].(map[string]any)["type"] != "server_error" {
		t.Errorf("server error: %d %v", code, body)
	}
	_, _, body = post(t, s.URL, goodBody, nil)
	msg = body["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	if msg["refusal"] == nil || msg["content"] != nil {
		t.Errorf("refusal message = %v", msg)
	}
	_, _, body = post(t, s.URL, goodBody, nil)
	msg = body["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	if c := msg["content"].(string); !strings.Contains(c, `"confidence":1.7`) || !strings.Contains(c, `"not what was asked"`) || !strings.Contains(c, `12345`) {
		t.Errorf("bad JSON content = %s", c)
	}
	if n := len(s.Requests()); n != 5 {
		t.Errorf("%d requests recorded", n)
	}
	if r := s.Requests()[0]; r.Model != "gpt-4o-mini" || len(r.ImageURLs()) != 1 || r.Texts()[0] != "Roof?" || r.System() != "Only extract." {
		t.Errorf("decoded request = %+v", r)
	}
}

// The checks must fail a test whose client sends the wrong shape.
func TestShapeChecks(t *testing.T) {
	cases := []struct {
		name, from, to string
		header         map[string]string
		want           string
	}{
		{"not strict", `"strict":true`, `"strict":false`, nil, "strict is not true"},
		{"json_object", `"type":"json_schema"`, `"type":"json_object"`, nil, "want json_schema"},
		{"open object", `"type":"object","additionalProperties":false,"required":["area_m2","material"]`, `"type":"object","required":["area_m2","material"]`, nil, "additionalProperties must be false"},
		{"optional property", `"required":["area_m2","material"]`, `"required":["area_m2"]`, nil, `property "material" is not required`},
		{"nullable enum without null", `"enum":["tiles","metal",null]`, `"enum":["tiles","metal"]`, nil, "a nullable enum must list null"},
		{"http image", `data:image/png;base64,iVBORw0KGgo=`, `https://example.com/roof.png`, nil, "not a data:image"},
		{"bad base64", `iVBORw0KGgo=`, `!!!`, nil, "bad base64"},
		{"no model", `"model":"gpt-4o-mini",`, ``, nil, "no model"},
		{"streaming", `"stream":false`, `"stream":true`, nil, "stream is true"},
		{"no auth", ``, ``, map[string]string{"Authorization": ""}, "Authorization"},
		{"bad schema name", `"name":"extracted_fields"`, `"name":"extracted fields!"`, nil, "json_schema.name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			s := New(rec)
			body := strings.Replace(goodBody, c.from, c.to, 1)
			code, _, reply := post(t, s.URL, body, c.header)
			if code != http.StatusBadRequest || reply["error"].(map[string]any)["type"] != "invalid_request_error" {
				t.Errorf("got %d %v, want the API's 400", code, reply)
			}
			if errs := rec.errors(); !strings.Contains(errs, c.want) {
				t.Errorf("test errors %q lack %q", errs, c.want)
			}
		})
	}
}

func TestUnusedAndMissingAnswersFailTheTest(t *testing.T) {
	var rec *recorder
	t.Run("inner", func(t *testing.T) {
		rec = &recorder{TB: t}
		s := New(rec)
		post(t, s.URL, goodBody, nil) // nothing queued
		s.Reply(ServerError())        // never used
	})
	errs := rec.errors()
	if !strings.Contains(errs, "no answer queued") || !strings.Contains(errs, "1 queued answer(s) never asked for") {
		t.Errorf("errors = %q", errs)
	}
}

func TestDefaultAnswer(t *testing.T) {
	s := New(t)
	s.Default(Good(map[string]any{"material": "tiles"}))
	for range 2 {
		if code, _, _ := post(t, s.URL, goodBody, nil); code != 200 {
			t.Fatalf("status %d", code)
		}
	}
}
