package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// mediaID is the id media bytes are stored under: their SHA-256 in hex.
func mediaID(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// answerText is what an inbound message says as text: the body, a button or
// list title, or a shared location's address.
func answerText(in *Inbound) string {
	switch {
	case in.Kind == InLocation && in.Location != nil:
		if in.Location.Address != "" {
			return in.Location.Address
		}
		return strconv.FormatFloat(in.Location.Latitude, 'f', 6, 64) + "," + strconv.FormatFloat(in.Location.Longitude, 'f', 6, 64)
	case in.Text != "":
		return strings.TrimSpace(in.Text)
	default:
		return strings.TrimSpace(in.ReplyTitle)
	}
}

// pickOption finds which option a message means: a button or list id, the
// option id or title typed in any case, or its number (1-based).
func pickOption(in *Inbound, opts []Option) (Option, bool) {
	if in.ReplyID != "" {
		for _, o := range opts {
			if o.ID == in.ReplyID {
				return o, true
			}
		}
	}
	text := normalizeAnswer(answerText(in))
	if text == "" {
		return Option{}, false
	}
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(opts) {
		return opts[n-1], true
	}
	for _, o := range opts {
		if normalizeAnswer(o.ID) == text || normalizeAnswer(o.Title) == text {
			return o, true
		}
	}
	return Option{}, false
}

// pickChoice is pickOption for a choice step, where a looser answer is
// safe to read: "roofing please" (the title among the words), "paint" (the
// start of one title's word). Two or more candidates, or a negation ("not
// painting"), are no answer. Consent and quotes never read loosely.
func pickChoice(in *Inbound, opts []Option) (Option, bool) {
	if o, ok := pickOption(in, opts); ok {
		return o, true
	}
	text := normalizeAnswer(answerText(in))
	if text == "" || hedged(text) {
		return Option{}, false
	}
	words := strings.Fields(text)
	var found []Option
	for _, o := range opts {
		if optionMentioned(words, text, o) {
			found = append(found, o)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return Option{}, false
}

// hedged reports whether an answer negates, questions or qualifies
// itself: "not painting", "yes, but does that include VAT?", "can I accept
// later?". Such answers are never read as a choice or a yes.
func hedged(text string) bool {
	if strings.ContainsAny(text, "?") {
		return true
	}
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ',' || r == '.' || r == '!' }) {
		switch {
		case w == "not", w == "no", w == "never", w == "but", w == "later", w == "maybe", w == "if", w == "nor":
			return true
		case strings.HasSuffix(w, "n't"), strings.HasSuffix(w, "n’t"):
			return true
		}
	}
	return false
}

func optionMentioned(words []string, text string, o Option) bool {
	for _, name := range []string{normalizeAnswer(o.Title), normalizeAnswer(o.ID)} {
		if name == "" {
			continue
		}
		if strings.Contains(" "+text+" ", " "+name+" ") {
			return true
		}
		if len(words) == 1 && len([]rune(text)) >= 4 {
			for _, w := range strings.Fields(name) {
				if strings.HasPrefix(w, text) {
					return true
				}
			}
		}
	}
	return false
}

// typographicQuotes turns curly quotes into straight ones.
var typographicQuotes = strings.NewReplacer("’", "'", "‘", "'", "“", "\"", "”", "\"")

// normalizeAnswer folds case, spaces, a trailing full stop and the *bold*
// marks customers copy from the prompt.
func normalizeAnswer(s string) string {
	s = typographicQuotes.Replace(s)
	s = strings.Trim(strings.TrimSpace(s), "*_.!")
	s = strings.TrimSuffix(strings.TrimPrefix(s, "("), ")")
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

var (
	yesWords = []string{"yes", "y", "yeah", "yep", "sure", "ok", "okay", "agree", "i agree", "accept", "ja", "si", "sí", "oui", "👍"}
	noWords  = []string{"no", "n", "nope", "no thanks", "no, thanks", "decline", "nee", "nein", "non", "👎"}
)

// parseYesNo reads a yes or no from buttons or text.
func parseYesNo(in *Inbound, tx Texts) (yes, ok bool) {
	switch in.ReplyID {
	case "yes", "accept":
		return true, true
	case "no", "decline":
		return false, true
	}
	text := normalizeAnswer(answerText(in))
	if text == normalizeAnswer(tx.YesTitle) || contains(yesWords, text) {
		return true, true
	}
	if text == normalizeAnswer(tx.NoTitle) || contains(noWords, text) {
		return false, true
	}
	// "yes please", "no, not now": the first word decides, unless the rest
	// hedges ("yes, but does that include VAT?").
	first, rest, _ := strings.Cut(text, " ")
	first = strings.Trim(first, ",.!")
	switch {
	case rest == "":
	case contains(noWords, first) && !strings.Contains(rest, "?"):
		return false, true
	case contains(yesWords, first) && !hedged(rest):
		return true, true
	}
	return false, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// yesOrNo reads the answer to one of the engine's Yes/No questions: the
// button, its title or number, or a plain yes or no.
func (e *Engine) yesOrNo(in *Inbound) (yes, ok bool) {
	if o, picked := pickOption(in, e.yesNo()); picked {
		return o.ID == "yes", true
	}
	return parseYesNo(in, e.cfg.Texts)
}
