package flows

// KindSpec describes one step kind: the keys it allows besides the common
// ones (id, description), the keys it needs, and whether it waits for the
// customer. The linter, the JSON Schema and the engine's handler table all
// come from Kinds, so they cannot disagree.
type KindSpec struct {
	Kind     Kind
	Keys     []string // allowed keys besides id, description and the kind key
	Required []string // keys the step must have besides id and the kind key
	Waits    bool     // the step waits for the customer's answer
	Text     bool     // the kind key's value is a message template
	Doc      string   // one line for the schema and the docs
}

// commonKeys are the keys every step may carry besides its kind key.
func commonKeys() []string { return []string{"id", "description"} }

// Kinds returns the step kinds of the language, in the order the docs list
// them. The returned slice is the caller's to keep.
func Kinds() []KindSpec {
	return withWayOut([]KindSpec{
		{Kind: KindSay, Text: true, Keys: []string{"next"},
			Doc: "send a message and go on"},
		{Kind: KindAsk, Text: true, Waits: true,
			Keys: []string{"save", "validate", "error", "retries", "next", "on_error", "unit", "confirm_above", "confirm_below", "range", "after"},
			Doc:  "ask a question and save the answer, checked with validate"},
		{Kind: KindChoice, Text: true, Waits: true,
			Keys:     []string{"options", "save", "error", "retries", "next", "on_error", "after"},
			Required: []string{"options"},
			Doc:      "offer options as buttons (up to 3) or a list (up to 10) and save the picked id"},
		{Kind: KindPhotos, Text: true, Waits: true,
			Keys: []string{"save", "min", "max", "done_word", "error", "next", "after"},
			Doc:  "collect between min and max photos; the done word ends early"},
		{Kind: KindExtract,
			Keys:     []string{"save", "confirm_below", "confirm", "next", "on_error"},
			Required: []string{"save"},
			Doc:      "read fields from photos or text; waits only to confirm values below confirm_below"},
		{Kind: KindPlugin, Keys: []string{"save", "next", "on_error", "valid_for"},
			Doc: "call a Lua plugin function FILE.FUNCTION and save its result"},
		{Kind: KindConfirmQuote, Text: true, Waits: true,
			Keys: []string{"accept", "decline", "accept_title", "decline_title", "error", "next", "after", "on_expiry"},
			Doc:  "show the quote's items and total and ask to accept or decline"},
		{Kind: KindConsent, Text: true, Waits: true,
			Keys:     []string{"purpose", "accept", "decline", "accept_title", "decline_title", "error", "next", "after"},
			Required: []string{"purpose"},
			Doc:      "ask for consent to a purpose and record the answer"},
		{Kind: KindIf, Keys: []string{"else", "on_error"},
			Doc: "go to the first branch whose Lua condition holds, else to else"},
		{Kind: KindLink,
			Doc: "continue at the start of another flow"},
		{Kind: KindHandoff, Text: true,
			Doc: "hand the conversation to a person; the bot stays silent until released"},
	})
}

// AskUnits lists the units a numeric ask step may ask in (`unit:`); the
// engine converts answers in other units to it (40 sq ft to 3.72 m²).
func AskUnits() []string {
	return []string{"m2", "m²", "ft2", "ft²", "cm2", "cm²", "m", "cm", "mm", "ft"}
}

// RangeRules lists what a numeric ask step may do with a range answer
// such as "30-40" (`range:`): ask which number (the default), or take the
// low end, the high end or the middle.
func RangeRules() []string { return []string{"ask", "low", "high", "middle"} }

// KindOf returns the spec of a kind, and false for an unknown kind.
func KindOf(k Kind) (KindSpec, bool) {
	for _, s := range Kinds() {
		if s.Kind == k {
			return s, true
		}
	}
	return KindSpec{}, false
}

// Waits reports whether the step waits for the customer before going on:
// the waiting kinds, and an extract step that confirms uncertain values.
// It agrees with KindSpec.Waits (a test holds them together).
func (s *Step) Waits() bool {
	switch s.Kind {
	case KindAsk, KindChoice, KindPhotos, KindConfirmQuote, KindConsent:
		return true
	case KindExtract:
		return s.ConfirmBelow > 0
	}
	return false
}

// stepKeys lists every key a step may carry, for "did you mean" hints.
func stepKeys(specs []KindSpec) []string {
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, k := range commonKeys() {
		add(k)
	}
	for _, s := range specs {
		add(string(s.Kind))
		for _, k := range s.Keys {
			add(k)
		}
	}
	return out
}
