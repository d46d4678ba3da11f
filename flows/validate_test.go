package flows

import (
	"errors"
	"strings"
	"testing"
)

func TestCustomTags(t *testing.T) {
	v := NewValidator()
	for _, c := range []struct {
		tag, value string
		ok         bool
	}{
		{"phone", "+31 6 12345678", true},
		{"phone", "+44 7700-900123", true},
		{"phone", "0612345678", true},
		{"phone", "123456", true},
		{"phone", "+123456789012345", true},
		{"phone", "12345", false},             // too short
		{"phone", "+1234567890123456", false}, // 16 digits
		{"phone", "06 1234 567a", false},
		{"phone", "+31  6 1234", false}, // double space
		{"phone", "-0612345678", false},
		{"phone", "0612345678-", false},
		{"phone", "06+12345678", false},
		{"phone", "", false},
		{"required,phone", " +15550100 99", true},
		{"omitempty,phone", "", true},
		{"yesno", "yes", true},
		{"yesno", "Y", true},
		{"yesno", "JA", true},
		{"yesno", "nee", true},
		{"yesno", "No!", true},
		{"yesno", " nein ", true},
		{"yesno", "oui", true},
		{"yesno", "sí", true},
		{"yesno", "maybe", false},
		{"yesno", "", false},
		{"required,min=2,max=80", "Jane Smith", true},
		{"required,min=2,max=80", "J", false},
		{"required,email", "jane@example.com", true},
		{"required,numeric", "40", true},
		{"required,numeric", "40 m2", false},
	} {
		err := v.Var(c.value, c.tag)
		if (err == nil) != c.ok {
			t.Errorf("%s on %q: %v, want ok=%v", c.tag, c.value, err, c.ok)
		}
	}
}

func TestParseYesNo(t *testing.T) {
	for in, want := range map[string]bool{"yes": true, "Yep": true, "ja.": true, "no": false, "Nope": false, "NON": false} {
		yes, ok := ParseYesNo(in)
		if !ok || yes != want {
			t.Errorf("ParseYesNo(%q) = %v, %v", in, yes, ok)
		}
	}
	if _, ok := ParseYesNo("perhaps"); ok {
		t.Error("perhaps is neither yes nor no")
	}
}

func TestCheckValidateTag(t *testing.T) {
	for _, c := range []struct {
		tag        string
		msg, hint  string // msg empty: the tag is fine
		wantTagErr bool
	}{
		{tag: "required,min=2,max=80"},
		{tag: "required,email"},
		{tag: "omitempty,phone"},
		{tag: "yesno"},
		{tag: "oneof=yes no maybe"},
		{tag: "required,numeric|email"},
		{tag: "emial", msg: `unknown tag "emial"`, hint: `did you mean "email"?`},
		{tag: "required,phnoe", msg: `unknown tag "phnoe"`, hint: `did you mean "phone"?`},
		{tag: "required,min=abc", msg: `bad parameter in "min=abc": min needs a number`},
		{tag: "max=", msg: `bad parameter in "max=": max needs a number`},
		{tag: "oneof=yes|no", msg: `unknown tag "no"`, hint: "separate oneof values with spaces: oneof=yes no"},
		{tag: "required,,email", msg: `empty tag in "required,,email"`},
		{tag: "required|", msg: `empty tag in "required|"`},
		{tag: "dive,required", msg: "dive only fits lists and maps"},
		{tag: "", msg: "empty validation tag"},
		{tag: "zzzzzz", msg: `unknown tag "zzzzzz"`},
	} {
		err := CheckValidateTag(c.tag)
		if c.msg == "" {
			if err != nil {
				t.Errorf("CheckValidateTag(%q) = %v, want nil", c.tag, err)
			}
			continue
		}
		var te *TagError
		if !errors.As(err, &te) {
			t.Errorf("CheckValidateTag(%q) = %v, want a *TagError", c.tag, err)
			continue
		}
		if !strings.Contains(te.Msg, c.msg) || te.Hint != c.hint && c.hint != "" {
			t.Errorf("CheckValidateTag(%q) = %q (%q), want %q (%q)", c.tag, te.Msg, te.Hint, c.msg, c.hint)
		}
	}
}

// TestTagCheckerReuse checks that a bad tag leaves the shared validator
// usable: validator/v10 must not be left locked by the recovered panic.
func TestTagCheckerReuse(t *testing.T) {
	c := newTagChecker()
	for range 3 {
		if err := c.check("required,emial"); err == nil {
			t.Fatal("want an error")
		}
		if err := c.check("required,email"); err != nil {
			t.Fatalf("good tag after a bad one: %v", err)
		}
	}
	if len(c.cache) != 2 {
		t.Errorf("cache holds %d tags, want 2", len(c.cache))
	}
}
