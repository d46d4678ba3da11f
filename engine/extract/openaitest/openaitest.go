// Package openaitest is a test double of the OpenAI Chat Completions API: an
// httptest server that speaks the real wire format, checks the shape of
// every request AllMyLeads sends (model, a user message of text and
// image_url parts with base64 data URLs, a strict json_schema
// response_format) and answers from a queue the test fills: a good result,
// a low-confidence one, JSON that breaks the schema, a refusal, a 429 with
// Retry-After, a 500, or a hang past the client's timeout.
//
//	s := openaitest.New(t)
//	s.Reply(openaitest.RateLimit(1), openaitest.Good(map[string]any{"area_m2": 42}))
//	x := extract.NewOpenAI(extract.OpenAIOptions{APIKey: "test", BaseURL: s.URL})
//
// A request of the wrong shape fails the test and gets the 400 the real API
// would give. It imports nothing of AllMyLeads, so any package's tests can
// use it.
package openaitest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Confidences that Good and LowConfidence give fields without their own.
const (
	GoodConfidence     = 0.95
	LowConfidenceLevel = 0.4
)

// Default token counts of a successful answer (see Answer.WithUsage).
const (
	DefaultPromptTokens     = 250
	DefaultCompletionTokens = 40
)

// Server is the fake API. URL is the base URL to configure clients with
// (like https://api.openai.com/v1).
type Server struct {
	URL string

	t        testing.TB
	srv      *httptest.Server
	done     chan struct{}
	mu       sync.Mutex
	queue    []Answer
	fallback *Answer
	requests []Request
}

// New starts a server that is closed when the test ends. Answers queued but
// never asked for fail the test then.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, done: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL + "/v1"
	t.Cleanup(func() {
		close(s.done)
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if n := len(s.queue); n > 0 {
			t.Errorf("openaitest: %d queued answer(s) never asked for", n)
		}
	})
	return s
}

// Reply queues answers; each request takes the next one.
func (s *Server) Reply(answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, answers...)
}

// Default sets the answer given when the queue is empty. Without one, a
// request with nothing queued fails the test and gets a 500.
func (s *Server) Default(a Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fallback = &a
}

// Requests returns every request received so far, decoded, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Pending returns how many queued answers have not been used.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Answer is what the server does with one request. Make one with Good,
// LowConfidence, BadJSON, Content, Refusal, RateLimit, ServerError or Hang.
type Answer struct {
	kind             answerKind
	fields           map[string]any
	confidence       float64
	content          string
	retryAfter       int
	promptTokens     int
	completionTokens int
}

type answerKind int

const (
	kindFields answerKind = iota
	kindBadJSON
	kindContent
	kindRefusal
	kindRateLimit
	kindServerError
	kindHang
)

// Field sets a field's value and confidence in Good or LowConfidence.
type Field struct {
	Value      any
	Confidence float64
}

// Good answers with these values (confidence GoodConfidence unless given
// as a Field) and null for every other field of the request's schema.
func Good(fields map[string]any) Answer {
	return Answer{kind: kindFields, fields: fields, confidence: GoodConfidence}.WithUsage(DefaultPromptTokens, DefaultCompletionTokens)
}

// LowConfidence answers like Good with confidence LowConfidenceLevel.
func LowConfidence(fields map[string]any) Answer {
	a := Good(fields)
	a.confidence = LowConfidenceLevel
	return a
}

// BadJSON answers with JSON that breaks the request's schema: every field's
// value of the wrong type and its confidence above 1.
func BadJSON() Answer {
	return Answer{kind: kindBadJSON}.WithUsage(DefaultPromptTokens, DefaultCompletionTokens)
}

// Content answers with this exact message content.
func Content(raw string) Answer {
	return Answer{kind: kindContent, content: raw}.WithUsage(DefaultPromptTokens, DefaultCompletionTokens)
}

// Refusal answers with the model's refusal (message.refusal set, content
// null), as structured outputs do.
func Refusal() Answer {
	return Answer{kind: kindRefusal}.WithUsage(DefaultPromptTokens, 12)
}

// RateLimit answers 429 with Retry-After: retryAfterSeconds (no header when
// negative).
func RateLimit(retryAfterSeconds int) Answer {
	return Answer{kind: kindRateLimit, retryAfter: retryAfterSeconds}
}

// ServerError answers 500.
func ServerError() Answer { return Answer{kind: kindServerError} }

// Hang never answers: it holds the request until the client gives up.
func Hang() Answer { return Answer{kind: kindHang} }

// WithUsage sets the usage.prompt_tokens and usage.completion_tokens of a
// successful answer.
func (a Answer) WithUsage(prompt, completion int) Answer {
	a.promptTokens, a.completionTokens = prompt, completion
	return a
}

// Request is one request as the server decoded it.
type Request struct {
	Method, Path   string
	Header         http.Header
	Model          string
	Messages       []Message
	ResponseFormat ResponseFormat
	Stream         bool
	Store          *bool    // the request's store: whether OpenAI may keep it (nil: not said)
	Problems       []string // what did not fit the API's shape (the test has failed if any)
}

// Message is one chat message. Content holds a string content; Parts the
// content parts of a multi-part message.
type Message struct {
	Role    string
	Content string
	Parts   []Part
}

// Part is one content part: text, or an image URL.
type Part struct {
	Type     string
	Text     string
	ImageURL string
	Detail   string
}

// ResponseFormat is the request's response_format.
type ResponseFormat struct {
	Type   string
	Name   string
	Strict bool
	Schema map[string]any
}

// Texts returns the text parts (and string contents) of the user messages.
func (r Request) Texts() []string {
	var out []string
	for _, m := range r.Messages {
		if m.Role != "user" {
			continue
		}
		if m.Content != "" {
			out = append(out, m.Content)
		}
		for _, p := range m.Parts {
			if p.Type == "text" {
				out = append(out, p.Text)
			}
		}
	}
	return out
}

// ImageURLs returns the URLs of the image_url parts.
func (r Request) ImageURLs() []string {
	var out []string
	for _, m := range r.Messages {
		for _, p := range m.Parts {
			if p.Type == "image_url" {
				out = append(out, p.ImageURL)
			}
		}
	}
	return out
}

// System returns the system (or developer) message.
func (r Request) System() string {
	for _, m := range r.Messages {
		if m.Role == "system" || m.Role == "developer" {
			return m.Content
		}
	}
	return ""
}

// FieldNames returns the properties of the response schema, in its
// required order.
func (r Request) FieldNames() []string {
	req, _ := r.ResponseFormat.Schema["required"].([]any)
	out := make([]string, 0, len(req))
	for _, v := range req {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	req := decodeRequest(r)
	s.mu.Lock()
	s.requests = append(s.requests, req)
	n := len(s.requests)
	var a Answer
	have := false
	if len(req.Problems) == 0 {
		switch {
		case len(s.queue) > 0:
			a, have = s.queue[0], true
			s.queue = s.queue[1:]
		case s.fallback != nil:
			a, have = *s.fallback, true
		}
	}
	s.mu.Unlock()

	if len(req.Problems) > 0 {
		s.t.Errorf("openaitest: request %d does not fit the Chat Completions API:\n  %s", n, strings.Join(req.Problems, "\n  "))
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", strings.Join(req.Problems, "; "), nil)
		return
	}
	if !have {
		s.t.Errorf("openaitest: request %d arrived with no answer queued", n)
		writeError(w, http.StatusInternalServerError, "server_error", "", "openaitest: no answer queued", nil)
		return
	}
	switch a.kind {
	case kindRateLimit:
		h := http.Header{}
		if a.retryAfter >= 0 {
			h.Set("Retry-After", strconv.Itoa(a.retryAfter))
		}
		h.Set("X-Ratelimit-Limit-Requests", "3")
		h.Set("X-Ratelimit-Remaining-Requests", "0")
		writeError(w, http.StatusTooManyRequests, "requests", "rate_limit_exceeded",
			fmt.Sprintf("Rate limit reached for %s in organization org-openaitest on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in %ds.", req.Model, max(a.retryAfter, 1)), h)
	case kindServerError:
		writeError(w, http.StatusInternalServerError, "server_error", "", "The server had an error while processing your request. Sorry about that!", nil)
	case kindHang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
	case kindRefusal:
		writeCompletion(w, n, req.Model, nil, "I'm sorry, but I can't help with that request.", a)
	default:
		content := a.content
		switch a.kind {
		case kindFields:
			content = s.fieldsContent(req, a)
		case kindBadJSON:
			content = badContent(req)
		}
		writeCompletion(w, n, req.Model, &content, "", a)
	}
}

// fieldsContent writes a reply that fits the request's schema.
func (s *Server) fieldsContent(req Request, a Answer) string {
	names := req.FieldNames()
	out := make(map[string]any, len(names))
	for _, name := range names {
		out[name] = map[string]any{"value": nil, "confidence": 0}
	}
	for name, v := range a.fields {
		if !slices.Contains(names, name) {
			s.t.Errorf("openaitest: the answer names field %q, which the request's schema does not have (%v)", name, names)
			continue
		}
		conf := a.confidence
		if f, ok := v.(Field); ok {
			v, conf = f.Value, f.Confidence
		}
		out[name] = map[string]any{"value": v, "confidence": conf}
	}
	raw, err := json.Marshal(out)
	if err != nil {
		s.t.Errorf("openaitest: answer: %v", err)
	}
	return string(raw)
}

// badContent breaks the schema on every field: a value of the wrong type
// and a confidence over 1.
func badContent(req Request) string {
	props, _ := req.ResponseFormat.Schema["properties"].(map[string]any)
	out := map[string]any{}
	for _, name := range req.FieldNames() {
		wrong := any("not what was asked")
		if p, _ := props[name].(map[string]any); p != nil {
			vp, _ := p["properties"].(map[string]any)
			if v, _ := vp["value"].(map[string]any); v != nil && strings.Contains(fmt.Sprint(v["type"]), "string") {
				wrong = 12345
			}
		}
		out[name] = map[string]any{"value": wrong, "confidence": 1.7}
	}
	if len(out) == 0 {
		out["unexpected"] = true
	}
	raw, _ := json.Marshal(out)
	return string(raw)
}

func writeCompletion(w http.ResponseWriter, n int, model string, content *string, refusal string, a Answer) {
	msg := map[string]any{"role": "assistant", "content": content, "refusal": nil, "annotations": []any{}}
	if refusal != "" {
		msg["refusal"] = refusal
	}
	body := map[string]any{
		"id":      fmt.Sprintf("chatcmpl-openaitest%04d", n),
		"object":  "chat.completion",
		"created": 1767225600,
		"model":   model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": "stop"}},
		"usage": map[string]any{
			"prompt_tokens":             a.promptTokens,
			"completion_tokens":         a.completionTokens,
			"total_tokens":              a.promptTokens + a.completionTokens,
			"prompt_tokens_details":     map[string]any{"cached_tokens": 0, "audio_tokens": 0},
			"completion_tokens_details": map[string]any{"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
		},
		"service_tier":       "default",
		"system_fingerprint": "fp_openaitest",
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", fmt.Sprintf("req_openaitest%04d", n))
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(body)
}

func writeError(w http.ResponseWriter, status int, typ, code, message string, h http.Header) {
	for k, v := range h {
		w.Header()[k] = v
	}
	var c any
	if code != "" {
		c = code
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": message, "type": typ, "param": nil, "code": c}})
}

// --- request decoding and checks

type wireRequest struct {
	Model          *string           `json:"model"`
	Messages       []json.RawMessage `json:"messages"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string         `json:"name"`
			Strict *bool          `json:"strict"`
			Schema map[string]any `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
	Stream bool  `json:"stream"`
	Store  *bool `json:"store"`
	N      *int  `json:"n"`
}

type wireMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type wirePart struct {
	Type     string  `json:"type"`
	Text     *string `json:"text"`
	ImageURL *struct {
		URL    string `json:"url"`
		Detail string `json:"detail"`
	} `json:"image_url"`
}

var (
	schemaNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	dataURLRe    = regexp.MustCompile(`^data:(image/(?:png|jpeg|gif|webp));base64,(.+)$`)
)

func decodeRequest(r *http.Request) Request {
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()}
	bad := func(format string, a ...any) { req.Problems = append(req.Problems, fmt.Sprintf(format, a...)) }
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		bad("want POST /v1/chat/completions, got %s %s", r.Method, r.URL.Path)
	}
	if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "Bearer ") || len(auth) == len("Bearer ") {
		bad("no Authorization: Bearer API key")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		bad("Content-Type %q, want application/json", ct)
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		bad("read body: %v", err)
		return req
	}
	var wr wireRequest
	if err := json.Unmarshal(raw, &wr); err != nil {
		bad("body is not JSON: %v", err)
		return req
	}
	if wr.Model == nil || *wr.Model == "" {
		bad("no model")
	} else {
		req.Model = *wr.Model
	}
	req.Stream, req.Store = wr.Stream, wr.Store
	if wr.Stream {
		bad("stream is true; structured extraction wants one reply")
	}
	if wr.N != nil && *wr.N != 1 {
		bad("n = %d, want 1", *wr.N)
	}
	if len(wr.Messages) == 0 {
		bad("no messages")
	}
	users := 0
	for i, rm := range wr.Messages {
		m, problems := decodeMessage(rm)
		for _, p := range problems {
			bad("messages[%d]: %s", i, p)
		}
		if m.Role == "user" && (m.Content != "" || len(m.Parts) > 0) {
			users++
		}
		req.Messages = append(req.Messages, m)
	}
	if users == 0 {
		bad("no user message with content")
	}
	rf := wr.ResponseFormat
	switch {
	case rf == nil:
		bad("no response_format")
	case rf.Type != "json_schema":
		bad("response_format.type %q, want json_schema", rf.Type)
	case rf.JSONSchema == nil:
		bad("response_format.json_schema missing")
	default:
		req.ResponseFormat = ResponseFormat{Type: rf.Type, Name: rf.JSONSchema.Name, Schema: rf.JSONSchema.Schema}
		if !schemaNameRe.MatchString(rf.JSONSchema.Name) {
			bad("response_format.json_schema.name %q: want 1 to 64 of a-z, A-Z, 0-9, _ and -", rf.JSONSchema.Name)
		}
		if rf.JSONSchema.Strict == nil || !*rf.JSONSchema.Strict {
			bad("response_format.json_schema.strict is not true")
		} else {
			req.ResponseFormat.Strict = true
		}
		if rf.JSONSchema.Schema == nil {
			bad("response_format.json_schema.schema missing")
		} else {
			for _, p := range checkStrict("schema", rf.JSONSchema.Schema, true) {
				bad("response_format.json_schema.%s", p)
			}
		}
	}
	return req
}

func decodeMessage(raw json.RawMessage) (Message, []string) {
	var problems []string
	var wm wireMessage
	if err := json.Unmarshal(raw, &wm); err != nil {
		return Message{}, []string{err.Error()}
	}
	m := Message{Role: wm.Role}
	switch wm.Role {
	case "system", "developer", "user", "assistant":
	default:
		problems = append(problems, fmt.Sprintf("role %q", wm.Role))
	}
	content := strings.TrimSpace(string(wm.Content))
	switch {
	case content == "" || content == "null":
		problems = append(problems, "no content")
	case content[0] == '"':
		_ = json.Unmarshal(wm.Content, &m.Content)
		if strings.TrimSpace(m.Content) == "" {
			problems = append(problems, "empty content")
		}
	case content[0] == '[':
		if wm.Role != "user" {
			problems = append(problems, fmt.Sprintf("a %s message with content parts; this client sends parts only from the user", wm.Role))
		}
		var parts []wirePart
		if err := json.Unmarshal(wm.Content, &parts); err != nil {
			problems = append(problems, "content parts: "+err.Error())
			break
		}
		if len(parts) == 0 {
			problems = append(problems, "empty content parts")
		}
		for j, p := range parts {
			part, perr := checkPart(p)
			if perr != "" {
				problems = append(problems, fmt.Sprintf("content[%d]: %s", j, perr))
			}
			m.Parts = append(m.Parts, part)
		}
	default:
		problems = append(problems, "content is neither a string nor parts")
	}
	return m, problems
}

func checkPart(p wirePart) (Part, string) {
	part := Part{Type: p.Type}
	switch p.Type {
	case "text":
		if p.Text == nil || strings.TrimSpace(*p.Text) == "" {
			return part, "text part without text"
		}
		part.Text = *p.Text
	case "image_url":
		if p.ImageURL == nil || p.ImageURL.URL == "" {
			return part, "image_url part without image_url.url"
		}
		part.ImageURL, part.Detail = p.ImageURL.URL, p.ImageURL.Detail
		m := dataURLRe.FindStringSubmatch(p.ImageURL.URL)
		if m == nil {
			return part, "image_url.url is not a data:image/(png|jpeg|gif|webp);base64 URL"
		}
		if b, err := base64.StdEncoding.DecodeString(m[2]); err != nil || len(b) == 0 {
			return part, "image_url.url: bad base64"
		}
		switch p.ImageURL.Detail {
		case "", "auto", "low", "high":
		default:
			return part, fmt.Sprintf("image_url.detail %q", p.ImageURL.Detail)
		}
	default:
		return part, fmt.Sprintf("part type %q, want text or image_url", p.Type)
	}
	return part, ""
}

var strictTypes = map[string]bool{"string": true, "number": true, "integer": true, "boolean": true, "object": true, "array": true, "null": true}

// checkStrict checks the rules of structured outputs' strict mode: every
// object closed (additionalProperties false) with all its properties
// required, every schema typed.
func checkStrict(path string, s map[string]any, root bool) []string {
	var out []string
	bad := func(format string, a ...any) { out = append(out, path+": "+fmt.Sprintf(format, a...)) }
	var types []string
	switch t := s["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			ts, _ := x.(string)
			types = append(types, ts)
		}
	default:
		if _, ok := s["anyOf"]; !ok {
			bad("no type")
		}
	}
	for _, t := range types {
		if !strictTypes[t] {
			bad("type %q", t)
		}
	}
	if root && (len(types) != 1 || types[0] != "object") {
		bad("the root must be an object")
	}
	if slices.Contains(types, "object") {
		if ap, ok := s["additionalProperties"].(bool); !ok || ap {
			bad("additionalProperties must be false")
		}
		props, _ := s["properties"].(map[string]any)
		req, _ := s["required"].([]any)
		var reqNames []string
		for _, r := range req {
			name, _ := r.(string)
			reqNames = append(reqNames, name)
			if _, ok := props[name]; !ok {
				bad("required %q is not a property", name)
			}
		}
		for name, p := range props {
			if !slices.Contains(reqNames, name) {
				bad("property %q is not required (strict mode requires all; make it nullable)", name)
			}
			ps, ok := p.(map[string]any)
			if !ok {
				bad("property %q is not a schema", name)
				continue
			}
			out = append(out, checkStrict(path+".properties."+name, ps, false)...)
		}
	}
	if slices.Contains(types, "array") {
		items, ok := s["items"].(map[string]any)
		if !ok {
			bad("array without items")
		} else {
			out = append(out, checkStrict(path+".items", items, false)...)
		}
	}
	if e, ok := s["enum"]; ok {
		vals, isList := e.([]any)
		if !isList || len(vals) == 0 {
			bad("enum must be a non-empty list")
		}
		if slices.Contains(types, "null") && !slices.Contains(vals, nil) {
			bad("a nullable enum must list null")
		}
	}
	return out
}
