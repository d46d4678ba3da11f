package extract

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Field value types, as core.Field.Type spells them. An enum is a string
// field with Enum values (Type "enum" is accepted as a synonym).
const (
	TypeString  = "string"
	TypeNumber  = "number"
	TypeInteger = "integer"
	TypeBoolean = "boolean"
	TypeDate    = "date"
	TypeEnum    = "enum"
)

// ErrFieldSpec marks a field spec that cannot be extracted (unknown type,
// duplicate name, enum without values...). The message names the field.
var ErrFieldSpec = errors.New("field spec")

var fieldNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// kindOf returns the effective type of a field: one of the Type* constants.
func kindOf(f core.Field) (string, error) {
	t := strings.ToLower(strings.TrimSpace(f.Type))
	if len(f.Enum) > 0 {
		if t != "" && t != TypeString && t != TypeEnum {
			return "", fmt.Errorf("%w: field %q: enum values need type string, not %q", ErrFieldSpec, f.Name, f.Type)
		}
		return TypeEnum, nil
	}
	switch t {
	case "":
		return TypeString, nil
	case TypeString, TypeNumber, TypeInteger, TypeBoolean, TypeDate:
		return t, nil
	case TypeEnum:
		return "", fmt.Errorf("%w: field %q: type enum needs enum values", ErrFieldSpec, f.Name)
	}
	return "", fmt.Errorf("%w: field %q: unknown type %q (want string, number, integer, boolean, date or enum)", ErrFieldSpec, f.Name, f.Type)
}

// checkFields checks a field spec and returns each field's effective type.
func checkFields(fields []core.Field) ([]string, error) {
	if len(fields) == 0 {
		return nil, fmt.Errorf("%w: no fields to extract", ErrFieldSpec)
	}
	kinds := make([]string, len(fields))
	seen := make(map[string]bool, len(fields))
	for i, f := range fields {
		if !fieldNameRe.MatchString(f.Name) {
			return nil, fmt.Errorf("%w: field %d: name %q: want letters, digits and _ (not starting with a digit, at most 64)", ErrFieldSpec, i+1, f.Name)
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("%w: field %q: named twice", ErrFieldSpec, f.Name)
		}
		seen[f.Name] = true
		k, err := kindOf(f)
		if err != nil {
			return nil, err
		}
		if k == TypeEnum {
			vals := make(map[string]bool, len(f.Enum))
			for _, v := range f.Enum {
				lv := strings.ToLower(strings.TrimSpace(v))
				if lv == "" {
					return nil, fmt.Errorf("%w: field %q: empty enum value", ErrFieldSpec, f.Name)
				}
				if vals[lv] {
					return nil, fmt.Errorf("%w: field %q: enum value %q listed twice", ErrFieldSpec, f.Name, v)
				}
				vals[lv] = true
			}
		}
		kinds[i] = k
	}
	return kinds, nil
}

// BuildSchema turns a field spec into the JSON Schema of the reply that
// OpenAI's structured outputs (strict mode) must produce: an object with one
// property per field, each {value, confidence}. Strict mode wants every
// property required and no additional properties, so an optional field's
// value is nullable instead of absent. Dates are strings in YYYY-MM-DD,
// lists are arrays, enums list their values.
func BuildSchema(fields []core.Field) (map[string]any, error) {
	kinds, err := checkFields(fields)
	if err != nil {
		return nil, err
	}
	props := make(map[string]any, len(fields))
	required := make([]string, 0, len(fields))
	for i, f := range fields {
		prop := map[string]any{
			"type": "object",
			"properties": map[string]any{
				"value": valueSchema(f, kinds[i]),
				"confidence": map[string]any{
					"type":        "number",
					"minimum":     0,
					"maximum":     1,
					"description": "How sure you are of the value, from 0 (a guess) to 1 (clearly shown or said).",
				},
			},
			"required":             []string{"value", "confidence"},
			"additionalProperties": false,
		}
		if d := strings.TrimSpace(f.Description); d != "" {
			prop["description"] = d
		}
		props[f.Name] = prop
		required = append(required, f.Name)
	}
	return map[string]any{
		"type":                 "object",
		"properties":           props,
		"required":             required,
		"additionalProperties": false,
	}, nil
}

// valueSchema is the schema of one field's value.
func valueSchema(f core.Field, kind string) map[string]any {
	item := map[string]any{}
	switch kind {
	case TypeEnum:
		item["type"] = "string"
		vals := make([]any, len(f.Enum))
		for i, v := range f.Enum {
			vals[i] = strings.TrimSpace(v)
		}
		item["enum"] = vals
	case TypeDate:
		item["type"] = "string"
		item["format"] = "date"
		item["pattern"] = `^\d{4}-\d{2}-\d{2}$`
		item["description"] = "A date as YYYY-MM-DD."
	default:
		item["type"] = kind
	}
	v := item
	if f.List {
		v = map[string]any{"type": "array", "items": item}
	}
	if !f.Required {
		// Strict mode: optional means nullable, not absent.
		v["type"] = []any{v["type"], "null"}
		if enum, ok := v["enum"].([]any); ok {
			v["enum"] = append(enum, nil)
		}
	}
	return v
}

// orderedSchema marshals a schema with a stable, readable key order: type
// and description first, and properties in the order of the sibling
// required list (so the model writes fields in file order and each value
// before its confidence).
type orderedSchema map[string]any

// MarshalJSON implements json.Marshaler.
func (s orderedSchema) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := writeOrdered(&b, map[string]any(s), nil); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var keyRank = map[string]int{
	"type": 1, "description": 2, "format": 3, "pattern": 4, "enum": 5, "minimum": 6, "maximum": 7,
	"items": 8, "properties": 9, "required": 10, "additionalProperties": 11,
}

// writeOrdered writes v as JSON. names is nil for a schema object (keys in
// keyRank order) and the wanted order for a "properties" object, whose keys
// are property names.
func writeOrdered(b *bytes.Buffer, v any, names []string) error {
	switch v := v.(type) {
	case map[string]any:
		isProps := names != nil
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		rank := func(k string) int {
			if isProps {
				if i := slices.Index(names, k); i >= 0 {
					return i
				}
			} else if r, ok := keyRank[k]; ok {
				return r
			}
			return 1 << 20
		}
		slices.SortFunc(keys, func(a, b string) int {
			if ra, rb := rank(a), rank(b); ra != rb {
				return ra - rb
			}
			return strings.Compare(a, b)
		})
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			var sub []string
			if !isProps && k == "properties" {
				sub, _ = v["required"].([]string)
				if sub == nil {
					sub = []string{}
				}
			}
			if err := writeOrdered(b, v[k], sub); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeOrdered(b, e, nil); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case string:
		writeString(b, v)
	case []string:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, e)
		}
		b.WriteByte(']')
	case int:
		b.WriteString(strconv.Itoa(v))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(raw)
	}
	return nil
}

// writeString writes s as a JSON string: names and plain words directly,
// anything that needs escaping through encoding/json.
func writeString(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			raw, _ := json.Marshal(s)
			b.Write(raw)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

// SchemaJSON renders a schema from BuildSchema as JSON in the order the
// request sends it.
func SchemaJSON(schema map[string]any) ([]byte, error) {
	return orderedSchema(schema).MarshalJSON()
}

// PromptVersion is a short hash of everything that shapes the model's
// answer: the system prompt, the reply schema built from fields, and the
// step's instructions. It goes into every AI processing record, so a change
// to any of them can be told apart later.
func PromptVersion(instructions string, fields []core.Field) string {
	h := sha256.New()
	h.Write([]byte(systemPrompt))
	h.Write([]byte{0})
	if schema, err := BuildSchema(fields); err == nil {
		raw, _ := SchemaJSON(schema)
		h.Write(raw)
	} else {
		raw, _ := json.Marshal(fields)
		h.Write(raw)
	}
	h.Write([]byte{0})
	h.Write([]byte(strings.TrimSpace(instructions)))
	return hex.EncodeToString(h.Sum(nil))[:12]
}
