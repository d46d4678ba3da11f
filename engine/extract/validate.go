package extract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// FieldError says which field of a reply does not fit the field spec and
// why. It never quotes the value (values are customer data), so it is safe
// to log.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %s", e.Field, e.Problem) }

// ErrReplyNotObject marks a reply that is not one JSON object.
var ErrReplyNotObject = errors.New("reply is not a JSON object")

// Validate checks a model's reply (the JSON object BuildSchema describes)
// against the field spec: every key a known field, each {value,
// confidence}, values of the field's type (enum values matched without
// regard to case and returned as spelled in the spec), confidences from 0
// to 1, required fields present and not null. It returns the values found;
// a null optional value is left out, as is a missing one. Values are
// string, float64 (number, and integer with a whole value, as the engine's
// variables hold numbers), bool, "YYYY-MM-DD" (date) or []any of those
// (lists). The error joins one *FieldError per problem.
func Validate(fields []core.Field, raw []byte) (map[string]core.FieldResult, error) {
	kinds, err := checkFields(fields)
	if err != nil {
		return nil, err
	}
	top, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	out := make(map[string]core.FieldResult, len(fields))
	var errs []error
	known := make(map[string]bool, len(fields))
	for i, f := range fields {
		known[f.Name] = true
		fr, ok, err := validateField(f, kinds[i], top[f.Name])
		if err != nil {
			errs = append(errs, &FieldError{Field: f.Name, Problem: err.Error()})
			continue
		}
		if ok {
			out[f.Name] = fr
		}
	}
	var extra []string
	for k := range top {
		if !known[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		errs = append(errs, &FieldError{Field: k, Problem: "not a field of this step"})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// decodeObject reads exactly one JSON object, keeping numbers exact.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReplyNotObject, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the object", ErrReplyNotObject)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: got %s", ErrReplyNotObject, jsonKind(v))
	}
	return m, nil
}

// validateField checks one field's {value, confidence}. ok is false when
// the field holds no value (and that is allowed).
func validateField(f core.Field, kind string, raw any) (core.FieldResult, bool, error) {
	var none core.FieldResult
	if raw == nil {
		if f.Required {
			return none, false, errors.New("required but missing")
		}
		return none, false, nil
	}
	obj, isObj := raw.(map[string]any)
	if !isObj {
		return none, false, fmt.Errorf("want an object with value and confidence, got %s", jsonKind(raw))
	}
	for k := range obj {
		if k != "value" && k != "confidence" {
			return none, false, fmt.Errorf("unexpected key %q (want value and confidence)", k)
		}
	}
	rawVal, hasVal := obj["value"]
	if !hasVal {
		return none, false, errors.New("no value")
	}
	if rawVal == nil {
		if f.Required {
			return none, false, errors.New("required but null")
		}
		return none, false, nil
	}
	var val any
	if f.List {
		items, isList := rawVal.([]any)
		if !isList {
			return none, false, fmt.Errorf("want a list, got %s", jsonKind(rawVal))
		}
		list := make([]any, 0, len(items))
		for i, it := range items {
			v, present, err := convert(f, kind, it)
			if err != nil {
				return none, false, fmt.Errorf("item %d: %w", i+1, err)
			}
			if present {
				list = append(list, v)
			}
		}
		if len(list) == 0 {
			if f.Required {
				return none, false, errors.New("required but the list is empty")
			}
			return none, false, nil
		}
		val = list
	} else {
		v, present, err := convert(f, kind, rawVal)
		if err != nil {
			return none, false, err
		}
		if !present {
			if f.Required {
				return none, false, errors.New("required but empty")
			}
			return none, false, nil
		}
		val = v
	}
	conf, err := confidence(obj["confidence"])
	if err != nil {
		return none, false, err
	}
	return core.FieldResult{Value: val, Confidence: conf}, true, nil
}

func confidence(raw any) (float64, error) {
	n, ok := raw.(json.Number)
	if !ok {
		if raw == nil {
			return 0, errors.New("no confidence")
		}
		return 0, fmt.Errorf("confidence: want a number from 0 to 1, got %s", jsonKind(raw))
	}
	c, err := n.Float64()
	if err != nil || math.IsNaN(c) || c < 0 || c > 1 {
		return 0, errors.New("confidence: want a number from 0 to 1")
	}
	return c, nil
}

// convert checks one value (a list item or a field's value) and returns it
// as its Go type. present is false for an empty string.
func convert(f core.Field, kind string, raw any) (v any, present bool, err error) {
	if raw == nil {
		return nil, false, errors.New("null")
	}
	switch kind {
	case TypeString, TypeEnum, TypeDate:
		s, ok := raw.(string)
		if !ok {
			return nil, false, fmt.Errorf("want %s, got %s", article(kind), jsonKind(raw))
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, false, nil
		}
		switch kind {
		case TypeEnum:
			for _, e := range f.Enum {
				if strings.EqualFold(strings.TrimSpace(e), s) {
					return strings.TrimSpace(e), true, nil
				}
			}
			return nil, false, fmt.Errorf("not one of %s", strings.Join(f.Enum, ", "))
		case TypeDate:
			if _, err := time.Parse(time.DateOnly, s); err != nil {
				return nil, false, errors.New("want a date as YYYY-MM-DD")
			}
		}
		return s, true, nil
	case TypeBoolean:
		b, ok := raw.(bool)
		if !ok {
			return nil, false, fmt.Errorf("want true or false, got %s", jsonKind(raw))
		}
		return b, true, nil
	case TypeNumber, TypeInteger:
		n, ok := raw.(json.Number)
		if !ok {
			return nil, false, fmt.Errorf("want %s, got %s", article(kind), jsonKind(raw))
		}
		x, err := n.Float64()
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, false, errors.New("number out of range")
		}
		if kind == TypeInteger && !isWhole(x) {
			return nil, false, errors.New("want a whole number")
		}
		return x, true, nil
	}
	return nil, false, fmt.Errorf("unknown type %q", kind)
}

func article(kind string) string {
	switch kind {
	case TypeInteger:
		return "an integer"
	case TypeEnum:
		return "a string (enum)"
	case TypeDate:
		return "a date string"
	}
	return "a " + kind
}

// jsonKind names the JSON type of a decoded value, for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// isWhole reports whether x is an integer that float64 holds exactly.
func isWhole(x float64) bool { return x == math.Trunc(x) && math.Abs(x) <= 1<<53 }
