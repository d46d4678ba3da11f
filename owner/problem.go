package owner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Problem is an error as RFC 9457 describes it (application/problem+json),
// with the field at fault.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Field names the request field, parameter or header at fault.
	Field string `json:"field,omitempty"`
}

// problem writes a problem document.
func problem(w http.ResponseWriter, status int, title, detail, field string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	p := Problem{Type: "about:blank", Title: title, Status: status, Detail: detail, Field: field}
	if status == http.StatusBadRequest || status == http.StatusUnprocessableEntity {
		p.Type = "https://allmyleads.example/problems/invalid-request"
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}

// badRequest is a 400 naming the field at fault.
func badRequest(w http.ResponseWriter, field, format string, a ...any) {
	problem(w, http.StatusBadRequest, "invalid request", fmt.Sprintf(format, a...), field)
}

// fieldError is invalid input in one field.
type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func invalid(field, format string, a ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, a...)}
}

// writeJSON writes a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// maxJSONBody bounds a JSON request body (a photo in base64 fits).
const maxJSONBody = 20 << 20

// decodeJSON reads a request body strictly: unknown fields and trailing
// data are errors naming the field.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return invalid("Content-Type", "want application/json, got %q", ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		var se *json.SyntaxError
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return invalid("body", "a JSON object is required")
		case errors.As(err, &ute):
			return invalid(ute.Field, "want %s, got %s", ute.Type, ute.Value)
		case errors.As(err, &se):
			return invalid("body", "not valid JSON at byte %d", se.Offset)
		case errors.As(err, &mbe):
			return invalid("body", "larger than %d bytes", mbe.Limit)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return invalid(name, "unknown field")
		}
		return invalid("body", "%v", err)
	}
	if dec.More() {
		return invalid("body", "one JSON object, nothing after it")
	}
	return nil
}

// fail writes the problem of an error from input checks or an action.
func (h *Handler) fail(w http.ResponseWriter, err error) {
	var fe *fieldError
	if errors.As(err, &fe) {
		badRequest(w, fe.field, "%s", fe.msg)
		return
	}
	status, title, field := classify(err)
	detail := err.Error()
	if status == http.StatusInternalServerError {
		h.log.Error("owner: request failed", "err", err)
		detail = "the server could not complete the request; it is logged"
	}
	problem(w, status, title, detail, field)
}
