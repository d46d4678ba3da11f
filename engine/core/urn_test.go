package core

import (
	"errors"
	"testing"
)

func TestNormalizeURN(t *testing.T) {
	cases := []struct{ in, want string }{ // want "" means an error
		{"+447700900100", "whatsapp:447700900100"},
		{"447700900100", "whatsapp:447700900100"},
		{"+44 7700 900100", "whatsapp:447700900100"},
		{"whatsapp:+447700900100", "whatsapp:447700900100"},
		{"WhatsApp:447700900100", "whatsapp:447700900100"},
		{"tel:+447700900100", "whatsapp:447700900100"},
		{"whatsapp-bsuid:US.13491208655302741918", "whatsapp-bsuid:US.13491208655302741918"},
		{"whatsapp-bsuid:US.ENT.11815799212886844830", "whatsapp-bsuid:US.ENT.11815799212886844830"},
		{"web:k3J9_x-2", "web:k3J9_x-2"},
		{" console:ana ", "console:ana"},
		{"console:+447700900100", "console:+447700900100"},
		{"", ""},
		{"web:", ""},
		{"web:has space", ""},
		{"web:a/b", ""},
		{"sms:+447700900100", ""},
		{"whatsapp:abc", ""},
		{"ana", ""},
		{"console:" + string(make([]byte, 129)), ""},
	}
	for _, c := range cases {
		got, err := NormalizeURN(c.in)
		if c.want == "" {
			if err == nil || !errors.Is(err, ErrBadContact) {
				t.Errorf("NormalizeURN(%q) = %q, %v; want an ErrBadContact", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("NormalizeURN(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if again, err := NormalizeURN(got); err != nil || again != got {
			t.Errorf("NormalizeURN is not idempotent on %q: %q, %v", got, again, err)
		}
	}
}

func TestURNParts(t *testing.T) {
	if p, ok := URNPhone("whatsapp:447700900100"); !ok || p != "+447700900100" {
		t.Errorf("URNPhone = %q, %v", p, ok)
	}
	for _, u := range []string{"whatsapp-bsuid:US.1", "web:x", "console:447700900100"} {
		if p, ok := URNPhone(u); ok {
			t.Errorf("URNPhone(%q) = %q: only whatsapp URNs have a phone number", u, p)
		}
	}
	if URNScheme("web:x") != "web" || URNPath("web:x") != "x" || PhoneURN("+15550100") != "whatsapp:15550100" {
		t.Error("URNScheme, URNPath or PhoneURN wrong")
	}
}

func FuzzNormalizeURN(f *testing.F) {
	for _, s := range []string{"+447700900100", "web:abc", "whatsapp-bsuid:US.1", "console:x", "x:y", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := NormalizeURN(s)
		if err != nil {
			return
		}
		if again, err := NormalizeURN(u); err != nil || again != u {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, u, again, err)
		}
	})
}
