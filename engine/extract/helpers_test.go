package extract

import (
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/flows"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func mustFields(t testing.TB, spec string) []flows.Field {
	t.Helper()
	f, err := ParseFields(spec)
	if err != nil {
		t.Fatalf("fields %q: %v", spec, err)
	}
	return f
}

// replyJSON writes results as a model's reply: every field, null when absent.
func replyJSON(req engine.ExtractRequest, res map[string]engine.FieldResult) []byte {
	out := map[string]any{}
	for _, f := range req.Fields {
		if fr, ok := res[f.Name]; ok {
			out[f.Name] = fr
		} else {
			out[f.Name] = map[string]any{"value": nil, "confidence": 0}
		}
	}
	raw, _ := json.Marshal(out)
	return raw
}

// optional returns the fields with Required off.
func optional(fields []flows.Field) []flows.Field {
	out := append([]flows.Field(nil), fields...)
	for i := range out {
		out[i].Required = false
	}
	return out
}

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs (run with -update if the change is right)\n got: %s\nwant: %s", path, got, want)
	}
}
