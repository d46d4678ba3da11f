package engine

import (
	"errors"
	"testing"
)

func TestRedact(t *testing.T) {
	tr := &turn{sess: &Session{Contact: "whatsapp:447700900123", Vars: map[string]any{
		"lead":    map[string]any{"name": "Ana Lima", "email": "ana@example.com", "company": "Lima"},
		"project": map[string]any{"description": "barn roof", "photos": []any{map[string]any{"caption": "north side"}}},
	}}}
	cases := []struct{ in, want string }{
		{`pricing.lua:12: no price for Ana Lima's barn roof`, `pricing.lua:12: no price for [redacted]'s [redacted]`},
		{`pricing.lua:3: bad email ana@example.com`, `pricing.lua:3: bad email [redacted]`},
		{`pricing.lua:3: unknown other@example.org and +44 7700 900999`, `pricing.lua:3: unknown [redacted] and [redacted]`},
		{`pricing.lua:9: caption "north side" has no size`, `pricing.lua:9: caption "[redacted]" has no size`},
		{`pricing.lua:9: for 447700900123`, `pricing.lua:9: for [redacted]`},
		{`pricing.lua:20: attempt to index a nil value (field 'estimate')`, `pricing.lua:20: attempt to index a nil value (field 'estimate')`},
	}
	for _, c := range cases {
		if got := tr.redact(errors.New(c.in)); got != c.want {
			t.Errorf("redact(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}
