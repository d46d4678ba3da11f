package console

import (
	"testing"
	"time"
)

func TestParseWait(t *testing.T) {
	for in, want := range map[string]time.Duration{"3h": 3 * time.Hour, "30m": 30 * time.Minute, "2d": 48 * time.Hour, "1d12h": 36 * time.Hour, "1.5d": 36 * time.Hour} {
		if got, err := parseWait(in); err != nil || got != want {
			t.Errorf("parseWait(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "soon", "3", "-2h", "0s", "d", "2x"} {
		if got, err := parseWait(in); err == nil {
			t.Errorf("parseWait(%q) = %v, want an error", in, got)
		}
	}
}
