package flows

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/go-playground/validator/v10"
)

// NewValidator returns a validator/v10 instance with the custom tags of the
// flow language: `phone` (an international or local phone number: 6 to 15
// digits, an optional leading +, spaces and dashes allowed), `yesno`
// (yes/no in English, Dutch, German, French or Spanish, any case) and the
// answer tags `name`, `company`, `address` and `answer` (answer_tags.go).
// The engine validates `ask` answers with it.
func NewValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	must := func(err error) {
		if err != nil {
			// The tag names are fixed above; a failure is a programming
			// error caught by the tests, never by a user.
			panic(fmt.Sprintf("flows: register validation: %v", err))
		}
	}
	must(v.RegisterValidation("phone", func(fl validator.FieldLevel) bool {
		return IsPhone(fl.Field().String())
	}))
	must(v.RegisterValidation("yesno", func(fl validator.FieldLevel) bool {
		_, ok := ParseYesNo(fl.Field().String())
		return ok
	}))
	for tag, check := range AnswerTags() { // name, company, address, answer (answer_tags.go)
		must(v.RegisterValidation(tag, func(fl validator.FieldLevel) bool {
			return check(fl.Field().String()) == RefusedNone
		}))
	}
	return v
}

// IsPhone reports whether s looks like a phone number: an optional leading
// +, then 6 to 15 digits, with single spaces or dashes between them.
func IsPhone(s string) bool {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "+")
	digits := 0
	prevSep := true // no separator first
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
			prevSep = false
		case r == ' ' || r == '-':
			if prevSep {
				return false
			}
			prevSep = true
		default:
			return false
		}
	}
	return digits >= 6 && digits <= 15 && !prevSep
}

// ParseYesNo reads a yes or no answer in English, Dutch, German, French or
// Spanish, ignoring case, surrounding space and a final "." or "!". ok is
// false when the answer is neither.
func ParseYesNo(s string) (yes, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimRight(s, ".!")
	switch s {
	case "yes", "y", "yeah", "yep", "ja", "j", "jawel", "oui", "si", "sí":
		return true, true
	case "no", "n", "nope", "nee", "nein", "non":
		return false, true
	}
	return false, false
}

// TagError is a validate tag that validator/v10 cannot use.
type TagError struct {
	Tag  string // the offending part, e.g. "emial" or "min=abc"
	Msg  string
	Hint string
}

// Error returns the message with its hint.
func (e *TagError) Error() string {
	if e.Hint != "" {
		return e.Msg + " (" + e.Hint + ")"
	}
	return e.Msg
}

// CheckValidateTag reports whether tag can validate an answer. validator/v10
// panics on unknown tags and bad parameters; this recovers and returns a
// *TagError naming the bad part, with a "did you mean" hint where one helps.
func CheckValidateTag(tag string) error {
	return newTagChecker().check(tag)
}

// tagChecker checks validate tags with one validator and remembers answers,
// so loading many flows checks each distinct tag once.
type tagChecker struct {
	v     *validator.Validate
	cache map[string]error
}

func newTagChecker() *tagChecker {
	return &tagChecker{v: NewValidator(), cache: map[string]error{}}
}

// probeAnswers are typical answers a tag is tried on: some tags only panic
// when their parameter is used on a value.
func probeAnswers() []string {
	return []string{"", "a", "Jane Doe", "+31 6 12345678", "42", "yes", "jane@example.com", "2024-05-01"}
}

func (c *tagChecker) check(tag string) error {
	if err, ok := c.cache[tag]; ok {
		return err
	}
	err := c.checkUncached(tag)
	c.cache[tag] = err
	return err
}

func (c *tagChecker) checkUncached(tag string) error {
	if strings.TrimSpace(tag) == "" {
		return &TagError{Msg: "empty validation tag", Hint: `for example "required,min=2,max=80"`}
	}
	msg := c.probe(tag)
	if msg == "" {
		return nil
	}
	// Find which part is at fault, to point at it.
	for _, part := range strings.Split(tag, ",") {
		switch part {
		case "":
			return &TagError{Tag: tag, Msg: fmt.Sprintf("empty tag in %q", tag), Hint: "tags are separated by single commas"}
		case "dive", "keys", "endkeys":
			return &TagError{Tag: part, Msg: fmt.Sprintf("%s only fits lists and maps; an answer is text", part)}
		}
		if m := c.probe(part); m != "" {
			return tagError(part, m)
		}
	}
	return tagError(tag, msg)
}

// probe runs the tag over the probe answers and returns validator's panic
// message, or "" when it ran.
func (c *tagChecker) probe(tag string) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = strings.TrimSpace(fmt.Sprint(r))
			if msg == "" {
				msg = "validator rejected the tag"
			}
		}
	}()
	for _, a := range probeAnswers() {
		_ = c.v.Var(a, tag)
	}
	return ""
}

var undefinedRE = regexp.MustCompile(`Undefined validation function '([^']*)'`)

func tagError(part, panicMsg string) *TagError {
	if m := undefinedRE.FindStringSubmatch(panicMsg); m != nil {
		name := m[1]
		if name == "" {
			return &TagError{Tag: part, Msg: fmt.Sprintf("empty tag in %q", part), Hint: "alternatives are separated by a single |"}
		}
		hint := didYouMean(name, knownTags())
		if strings.HasPrefix(part, "oneof=") || strings.HasPrefix(part, "oneofci=") || strings.HasPrefix(part, "noneof=") {
			hint = "separate oneof values with spaces: oneof=yes no"
		}
		return &TagError{Tag: part, Msg: fmt.Sprintf("unknown tag %q", name), Hint: hint}
	}
	if strings.Contains(panicMsg, "Invalid validation tag on field") {
		return &TagError{Tag: part, Msg: fmt.Sprintf("empty tag in %q", part), Hint: "tags are separated by single commas"}
	}
	if strings.Contains(panicMsg, "strconv.") {
		name, _, _ := strings.Cut(part, "=")
		return &TagError{Tag: part, Msg: fmt.Sprintf("bad parameter in %q: %s needs a number", part, name)}
	}
	return &TagError{Tag: part, Msg: fmt.Sprintf("bad tag %q: %s", part, firstLine(panicMsg))}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// knownTags lists the tags worth suggesting for a typo: validator/v10's tags
// that make sense for a typed answer, and ours.
func knownTags() []string {
	return []string{
		"required", "omitempty", "len", "min", "max", "eq", "ne", "lt", "lte", "gt", "gte",
		"alpha", "alphaspace", "alphanum", "alphanumspace", "alphaunicode", "alphanumunicode",
		"boolean", "numeric", "number", "email", "url", "http_url", "https_url", "uri",
		"contains", "containsany", "excludes", "excludesall", "startswith", "endswith",
		"oneof", "oneofci", "noneof", "lowercase", "uppercase", "datetime", "e164",
		"postcode_iso3166_alpha2", "iso3166_1_alpha2", "ascii", "printascii",
		"latitude", "longitude", "timezone", "uuid", "hostname", "eq_ignore_case",
		"phone", "yesno", "name", "company", "address", "answer",
	}
}

// fileSystemTags are validator tags that look at the server's files: an
// answer from a customer is never a file name.
func fileSystemTags() []string { return []string{"file", "dir", "image", "uds_exists"} }
