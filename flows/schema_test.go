package flows

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	raw := Schema()
	if !json.Valid(raw) {
		t.Fatal("Schema() is not valid JSON")
	}
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSchemaListsEveryKind(t *testing.T) {
	s := loadSchema(t)
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", s["$schema"])
	}
	defs := s["$defs"].(map[string]any)
	var refs []string
	for _, alt := range defs["step"].(map[string]any)["oneOf"].([]any) {
		refs = append(refs, alt.(map[string]any)["$ref"].(string))
	}
	for _, k := range Kinds() {
		name := "step_" + string(k.Kind)
		def, ok := defs[name].(map[string]any)
		if !ok {
			t.Errorf("no $defs/%s", name)
			continue
		}
		if !slices.Contains(refs, "#/$defs/"+name) {
			t.Errorf("step oneOf does not list %s", name)
		}
		props := def["properties"].(map[string]any)
		for _, key := range append([]string{"id", "description", string(k.Kind)}, k.Keys...) {
			if _, ok := props[key]; !ok {
				t.Errorf("%s: no property %s", name, key)
			}
		}
		if len(props) != len(k.Keys)+3 {
			t.Errorf("%s: %d properties, want %d", name, len(props), len(k.Keys)+3)
		}
	}
	if len(refs) != len(Kinds()) {
		t.Errorf("oneOf has %d kinds, want %d", len(refs), len(Kinds()))
	}
	checkKeywords(t, s, "")
}

// knownKeywords are the JSON Schema keywords schemaCheck understands; the
// schema may use no others, so the checks below miss nothing it says.
func knownKeywords() []string {
	return []string{"$schema", "$id", "$defs", "$ref", "title", "description", "type", "properties", "required",
		"additionalProperties", "oneOf", "items", "enum", "const", "not", "pattern", "minLength", "maxLength",
		"minItems", "maxItems", "minimum", "maximum", "minProperties", "propertyNames", "uniqueItems"}
}

func checkKeywords(t *testing.T, s map[string]any, at string) {
	t.Helper()
	for k, v := range s {
		if !slices.Contains(knownKeywords(), k) {
			t.Errorf("%s: keyword %s is not checked by the test validator", at, k)
		}
		switch k {
		case "properties", "$defs":
			for name, sub := range v.(map[string]any) {
				checkKeywords(t, sub.(map[string]any), at+"/"+k+"/"+name)
			}
		case "oneOf":
			for i, sub := range v.([]any) {
				checkKeywords(t, sub.(map[string]any), fmt.Sprintf("%s/oneOf/%d", at, i))
			}
		case "items", "not", "propertyNames", "additionalProperties":
			if sub, ok := v.(map[string]any); ok {
				checkKeywords(t, sub, at+"/"+k)
			}
		}
	}
}

// schemaCheck validates a decoded document against the schema subset that
// Schema uses. It returns the first problem, or "".
type schemaCheck struct{ root map[string]any }

func (c schemaCheck) check(s map[string]any, v any, at string) string {
	if r, ok := s["$ref"].(string); ok {
		def := c.root["$defs"].(map[string]any)[strings.TrimPrefix(r, "#/$defs/")].(map[string]any)
		if msg := c.check(def, v, at); msg != "" {
			return msg
		}
	}
	if typ, ok := s["type"].(string); ok && !hasType(v, typ) {
		return fmt.Sprintf("%s: want %s, got %T", at, typ, v)
	}
	if alts, ok := s["oneOf"].([]any); ok {
		n := 0
		var msgs []string
		for _, alt := range alts {
			if msg := c.check(alt.(map[string]any), v, at); msg == "" {
				n++
			} else {
				msgs = append(msgs, msg)
			}
		}
		if n != 1 {
			return fmt.Sprintf("%s: matches %d of oneOf (%s)", at, n, strings.Join(msgs, "; "))
		}
	}
	if e, ok := s["enum"].([]any); ok && !slices.Contains(e, v) {
		return fmt.Sprintf("%s: %v not in %v", at, v, e)
	}
	if cst, ok := s["const"]; ok && v != cst {
		return fmt.Sprintf("%s: must be %v", at, cst)
	}
	if not, ok := s["not"].(map[string]any); ok && c.check(not, v, at) == "" {
		return fmt.Sprintf("%s: %v is not allowed", at, v)
	}
	switch x := v.(type) {
	case string:
		n := float64(utf8.RuneCountInString(x))
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			return fmt.Sprintf("%s: %q does not match %s", at, x, p)
		}
		if m, ok := s["minLength"].(float64); ok && n < m {
			return fmt.Sprintf("%s: too short", at)
		}
		if m, ok := s["maxLength"].(float64); ok && n > m {
			return fmt.Sprintf("%s: longer than %v", at, m)
		}
	case float64:
		if m, ok := s["minimum"].(float64); ok && x < m {
			return fmt.Sprintf("%s: below %v", at, m)
		}
		if m, ok := s["maximum"].(float64); ok && x > m {
			return fmt.Sprintf("%s: above %v", at, m)
		}
	case []any:
		if m, ok := s["minItems"].(float64); ok && float64(len(x)) < m {
			return fmt.Sprintf("%s: fewer than %v items", at, m)
		}
		if m, ok := s["maxItems"].(float64); ok && float64(len(x)) > m {
			return fmt.Sprintf("%s: more than %v items", at, m)
		}
		if u, _ := s["uniqueItems"].(bool); u {
			for i := range x {
				if slices.Contains(x[:i], x[i]) {
					return fmt.Sprintf("%s: %v twice", at, x[i])
				}
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range x {
				if msg := c.check(items, e, fmt.Sprintf("%s[%d]", at, i)); msg != "" {
					return msg
				}
			}
		}
	case map[string]any:
		for _, r := range asStrings(s["required"]) {
			if _, ok := x[r]; !ok {
				return fmt.Sprintf("%s: missing %s", at, r)
			}
		}
		if m, ok := s["minProperties"].(float64); ok && float64(len(x)) < m {
			return fmt.Sprintf("%s: fewer than %v properties", at, m)
		}
		props, _ := s["properties"].(map[string]any)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if pn, ok := s["propertyNames"].(map[string]any); ok {
				if msg := c.check(pn, k, at+"."+k); msg != "" {
					return msg
				}
			}
			if sub, ok := props[k].(map[string]any); ok {
				if msg := c.check(sub, x[k], at+"."+k); msg != "" {
					return msg
				}
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					return fmt.Sprintf("%s: unknown key %s", at, k)
				}
			case map[string]any:
				if msg := c.check(ap, x[k], at+"."+k); msg != "" {
					return msg
				}
			}
		}
	}
	return ""
}

func asStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, e := range list {
		out = append(out, e.(string))
	}
	return out
}

func hasType(v any, typ string) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	}
	return false
}

// yamlToJSON decodes YAML into the values encoding/json would produce.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSchemaAcceptsGoodFlows validates the shipped flows and every kind
// fixture against the schema.
func TestSchemaAcceptsGoodFlows(t *testing.T) {
	c := schemaCheck{root: loadSchema(t)}
	files := map[string][]byte{}
	err := fs.WalkDir(Shipped(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(Shipped(), p)
		files["flows/"+p] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fixtures, _ := filepath.Glob("testdata/kinds/*.yaml")
	fixtures = append(fixtures, "testdata/lint/anchors_ok.yaml", "testdata/lint/after_ok.yaml")
	for _, p := range fixtures {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = data
	}
	var tr map[string]any
	if err := json.Unmarshal(TranslationSchema(), &tr); err != nil {
		t.Fatal(err)
	}
	checkKeywords(t, tr, "translation")
	trc := schemaCheck{root: tr}
	for name, data := range files {
		cc := c
		if strings.HasPrefix(name, "flows/"+TranslationsDir+"/") {
			cc = trc
		}
		if msg := cc.check(cc.root, yamlToJSON(t, data), "$"); msg != "" {
			t.Errorf("%s: %s", name, msg)
		}
	}
}

// TestSchemaRejectsBrokenFlows checks the schema says no where the linter
// does, for what a schema can see.
func TestSchemaRejectsBrokenFlows(t *testing.T) {
	c := schemaCheck{root: loadSchema(t)}
	for name, src := range map[string]string{
		"two kinds":         "flow: x\nsteps:\n  - { id: a, say: hi, ask: 'name?' }\n",
		"no kind":           "flow: x\nsteps:\n  - { id: a, next: end }\n",
		"unknown step key":  "flow: x\nsteps:\n  - { id: a, say: hi, nxt: end }\n",
		"key of another":    "flow: x\nsteps:\n  - { id: a, say: hi, save: lead.x }\n",
		"missing id":        "flow: x\nsteps:\n  - { say: hi }\n",
		"id end":            "flow: x\nsteps:\n  - { id: end, say: hi }\n",
		"unknown top key":   "flow: x\nstpes: []\nsteps:\n  - { id: a, say: hi }\n",
		"no steps":          "flow: x\nsteps: []\n",
		"negative retries":  "flow: x\nsteps:\n  - { id: a, ask: 'name?', retries: -1 }\n",
		"bad plugin ref":    "flow: x\nsteps:\n  - { id: a, plugin: pricing }\n",
		"bad field type":    "flow: x\nsteps:\n  - { id: a, extract: { from: p, fields: { area: numbr } }, save: p.e }\n",
		"consent purpose":   "flow: x\nsteps:\n  - { id: a, consent: 'ok?' }\n",
		"branch no next":    "flow: x\nsteps:\n  - { id: a, if: [{ when: 'true' }] }\n",
		"confirm_below 2":   "flow: x\nsteps:\n  - { id: a, extract: { from: p, fields: { a: number } }, save: p.e, confirm_below: 2 }\n",
		"unknown unit":      "flow: x\nsteps:\n  - { id: a, ask: 'size?', validate: numeric, unit: acres }\n",
		"negative above":    "flow: x\nsteps:\n  - { id: a, ask: 'size?', validate: numeric, confirm_above: -1 }\n",
		"unknown range":     "flow: x\nsteps:\n  - { id: a, ask: 'size?', validate: numeric, range: highest }\n",
		"range on a say":    "flow: x\nsteps:\n  - { id: a, say: hi, range: ask }\n",
		"skip on an ask":    "flow: x\nsteps:\n  - { id: a, ask: 'size?', skip: end }\n",
		"unknown on photos": "flow: x\nsteps:\n  - { id: a, photos: 'photo?', unknown: end }\n",
		"prefill no path":   "flow: x\nsteps:\n  - { id: a, ask: 'email?', save: lead.email, prefill: 'lead..email' }\n",
		"faq no answer":     "flow: x\nsteps:\n  - { id: a, say: hi }\nfaq:\n  - { id: w, match: [weekend] }\n",
		"faq empty match":   "flow: x\nsteps:\n  - { id: a, say: hi }\nfaq:\n  - { id: w, match: [], answer: Yes }\n",
		"after on say":      "flow: x\nsteps:\n  - { id: a, say: hi, after: [{ wait: 2h, say: hi }] }\n",
		"after bad wait":    "flow: x\nsteps:\n  - { id: a, ask: 'name?', after: [{ wait: soon, say: hi }] }\n",
		"after bad key":     "flow: x\nsteps:\n  - { id: a, ask: 'name?', after: [{ wait: 2h, sya: hi }] }\n",
		"after template":    "flow: x\nsteps:\n  - { id: a, ask: 'name?', after: [{ wait: 2h, say: hi, template: Bad-Name }] }\n",
		"valid_for number":  "flow: x\nsteps:\n  - { id: a, plugin: pricing.quote, valid_for: 30 }\n",
	} {
		if msg := c.check(c.root, yamlToJSON(t, []byte(src)), "$"); msg == "" {
			t.Errorf("%s: the schema accepts it", name)
		}
		f, diags := ParseFile(name+".yaml", []byte(src))
		if f != nil {
			diags = append(diags, Lint(&Set{Flows: map[string]*Flow{f.Name: f}, Order: []string{f.Name}}, LintOptions{})...)
		}
		if !diags.HasErrors() {
			t.Errorf("%s: the linter accepts it", name)
		}
	}
}
