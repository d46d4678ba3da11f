package extract

import (
	"encoding/json"
	"testing"

	"github.com/allmyleads/allmyleads/engine/core"
)

func mustFields(t testing.TB, spec string) []core.Field {
	t.Helper()
	f, err := ParseFields(spec)
	if err != nil {
		t.Fatalf("fields %q: %v", spec, err)
	}
	return f
}

// replyJSON writes results as a model's reply: every field, null when absent.
func replyJSON(req core.ExtractRequest, res map[string]core.FieldResult) []byte {
	out := map[string]any{}
	for _, f := range req.Fields {
		if fr, ok := res[f.Name]; ok {
			out[f.Name] = map[string]any{"value": fr.Value, "confidence": fr.Confidence}
		} else {
			out[f.Name] = map[string]any{"value": nil, "confidence": 0}
		}
	}
	raw, _ := json.Marshal(out)
	return raw
}

// optional returns the fields with Required off.
func optional(fields []core.Field) []core.Field {
	out := append([]core.Field(nil), fields...)
	for i := range out {
		out[i].Required = false
	}
	return out
}
