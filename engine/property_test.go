package engine_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

// What random customers say besides the right answer, per language.
var (
	junkWords = map[string][]string{
		"en": {"hi", "hello", "A", "not-an-email", "-5", "0", "?", ".", "asdf", "ok", "1", "2", "3", "4", "yes", "no", "maybe", "done", "skip", "the roof"},
		"es": {"hola", "buenas", "A", "no-es-un-correo", "-5", "0", "?", ".", "asdf", "vale", "1", "2", "3", "4", "sí", "no", "quizás", "listo", "no sé qué", "el tejado"},
	}
	questionWords = map[string][]string{
		"en": {"how much roughly?", "do you work weekends?", "do you do gutters?", "how long does it take?", "are you insured?", "hello?", "anyone there?", "how much is the deposit?", "is the quote still valid?"},
		"es": {"¿cuánto costaría más o menos?", "¿trabajan los fines de semana?", "¿hacéis canalones?", "¿cuánto tarda?", "¿tenéis seguro?", "¿hola?", "¿hay alguien?", "¿el presupuesto sigue siendo válido?"},
	}
	emojiWords   = []string{"😀", "👍", "🙏", "🏠🔨", "!!!", "...", "👋"}
	commandWords = map[string][]string{
		"en": {"STOP", "START", "RESTART", "MENU", "AGENT", "MY DATA", "DELETE MY DATA", "WITHDRAW CONSENT", "please stop messaging me", "can I talk to a person?", "no marketing please", "en español por favor", "English please", "start over"},
		"es": {"STOP", "START", "RESTART", "AGENTE", "BORRAR MIS DATOS", "mis datos", "dejen de escribirme", "quiero hablar con una persona", "no quiero publicidad", "English please", "en español por favor", "empezar de nuevo"},
	}
	wayOutWords = map[string][]string{
		"en": {"I don't know", "no idea", "no photos", "I can't", "later", "I changed my mind", "ok let's do it", "not sure"},
		"es": {"no sé", "ni idea", "no tengo fotos", "no puedo", "luego", "he cambiado de opinión", "acepto", "no estoy seguro"},
	}
	silences = []time.Duration{10 * time.Minute, 2 * time.Hour, 25 * time.Hour, 8 * 24 * time.Hour}
)

// rightAnswer is what a cooperative customer answers where the
// conversation stands.
func rightAnswer(s *core.Session, lang string, rng *rand.Rand) string {
	es := lang == "es"
	pick := func(en, spanish string) string {
		if es {
			return spanish
		}
		return en
	}
	switch {
	case s != nil && s.OptedOut:
		return "START"
	case s == nil || s.Ended || s.Step == "":
		return pick("Hi", "Hola")
	case s.Pending == "person" && rng.IntN(4) == 0:
		return pick("yes", "sí")
	case s.Pending != "":
		return "no"
	case s.Scratch["prefill"] != nil:
		return pick("yes", "sí")
	}
	switch s.Flow + "/" + s.Step {
	case "consent/ask_consent":
		return pick("Yes, that's fine", "Sí, de acuerdo")
	case "collect_details/ask_name":
		return pick("Ana Lima", "Ana López")
	case "collect_details/ask_email":
		return "ana@example.com"
	case "collect_details/confirm_phone":
		return strconv.Itoa(1 + rng.IntN(2))
	case "collect_details/ask_phone":
		return "+44 7700 900123"
	case "collect_details/ask_company":
		return pick("skip", "no")
	case "collect_details/ask_address":
		return pick("12 High Street, Bristol BS1 4DJ", "Calle Mayor 12, 28013 Madrid")
	case "collect_details/ask_service":
		return []string{pick("roofing", "tejado"), pick("painting", "pintura"), pick("Something else", "otra cosa")}[rng.IntN(3)]
	case "collect_details/ask_description":
		return pick("About 60 m2, some tiles slipped in the storm.", "Unos 60 m2, se han movido unas tejas.")
	case "request_photos/ask_photos":
		if photos, _ := s.Scratch["photos"].([]any); len(photos) > 0 && rng.IntN(2) == 0 {
			return pick("done", "listo")
		}
		return "PHOTO"
	case "request_photos/ask_area":
		return "40"
	case "confirm_quote/show_quote":
		return []string{pick("accept", "acepto"), pick("Not now", "Ahora no")}[rng.IntN(2)]
	case "confirm_quote/ask_feedback":
		return pick("skip", "no")
	}
	return pick("yes", "sí")
}

// customerWatch checks the promises to one customer as their messages are
// handled: no text a third time in a row, no silence but where the
// handoff and opt-out rules allow it.
type customerWatch struct {
	said       []string // every bot text, in order
	transcript []string
	lastAck    time.Time // the last answer while a person had the conversation
	lastNotice time.Time // the last answer while opted out
}

func (w *customerWatch) check(h *enginetest.Harness, phone, msg string, dup bool, before, after *core.Session, out []core.Outbound) string {
	now := h.Clock.Now()
	w.transcript = append(w.transcript, "you: "+msg)
	for _, o := range out {
		text := o.Text
		if o.Media != nil {
			text = o.Media.Caption
		}
		w.transcript = append(w.transcript, "bot: "+strings.ReplaceAll(text, "\n", " "))
		if text == "" {
			continue
		}
		w.said = append(w.said, text)
		if n := len(w.said); n >= 3 && w.said[n-1] == w.said[n-2] && w.said[n-2] == w.said[n-3] {
			return fmt.Sprintf("the same text three times in a row: %q", text)
		}
	}
	handedOff := before != nil && before.Handoff
	optedOut := before != nil && before.OptedOut
	switch {
	case dup && len(out) > 0:
		return "a duplicate delivery was answered"
	case dup:
	case len(out) > 0:
		if handedOff {
			w.lastAck = now
		}
		if optedOut {
			w.lastNotice = now
		}
	case optedOut && !w.lastNotice.IsZero() && now.Sub(w.lastNotice) < 24*time.Hour:
	case handedOff && !w.lastAck.IsZero() && now.Sub(w.lastAck) < time.Hour:
	default:
		return fmt.Sprintf("silence (opted out %v, handoff %v, last notice %v, last ack %v)", optedOut, handedOff, w.lastNotice, w.lastAck)
	}
	if after != nil && after.Handoff && !handedOff {
		w.lastAck = time.Time{} // the announcement does not count
	}
	if after != nil && after.OptedOut && !optedOut {
		w.lastNotice = time.Time{} // nor does the opt-out's confirmation
	}
	return ""
}

// timer checks what a timer sent (a reminder, a quote's expiry).
func (w *customerWatch) timer(out []core.Outbound) string {
	for _, o := range out {
		w.transcript = append(w.transcript, "bot (timer): "+strings.ReplaceAll(o.Text, "\n", " "))
		if o.Text == "" {
			continue
		}
		w.said = append(w.said, o.Text)
		if n := len(w.said); n >= 3 && w.said[n-1] == w.said[n-2] && w.said[n-2] == w.said[n-3] {
			return fmt.Sprintf("the same text three times in a row: %q", o.Text)
		}
	}
	return ""
}

func (w *customerWatch) tail() string {
	from := max(0, len(w.transcript)-propertyTail())
	return strings.Join(w.transcript[from:], "\n")
}

// TestNeverStuck plays seeded random customers (valid answers, junk,
// questions, emoji, keywords, silence, duplicate deliveries, in English or
// Spanish) through the shipped flows, and checks issue 13's promises after
// every message: the same bot text is never sent three times in a row; a
// message that is not a duplicate always gets an answer, but during a
// handoff (at most one acknowledgement an hour) and after an opt-out (at
// most one notice a day); and from wherever the customer left it, a
// cooperative customer reaches the end of the conversation or a person
// (never stuck). A failure prints its seed and the conversation's tail;
// PROPERTY_SEED=N replays one seed, PROPERTY_SEEDS=N runs N.
func TestNeverStuck(t *testing.T) {
	seeds := 24
	if testing.Short() {
		seeds = 6
	}
	if n, err := strconv.Atoi(os.Getenv("PROPERTY_SEEDS")); err == nil {
		seeds = n
	}
	first := 0
	if n, err := strconv.Atoi(os.Getenv("PROPERTY_SEED")); err == nil {
		first, seeds = n, 1
	}
	flowsSeen, stops, lines, timers := map[string]bool{}, 0, 0, 0
	var set []string
	for seed := first; seed < first+seeds; seed++ {
		h := enginetest.New(t, enginetest.Options{NoSync: true})
		set = h.Flows.Order
		f := playCustomer(t, h, seed)
		for fl := range f.flows {
			flowsSeen[fl] = true
		}
		stops += f.stops
		lines += f.messages
		timers += f.timers
	}
	t.Logf("%d customers, %d transcript lines, %d messages from timers; flows reached: %d of %d; opt-outs: %d", seeds, lines, timers, len(flowsSeen), len(set), stops)
	if seeds >= 12 {
		for _, name := range set {
			if !flowsSeen[name] && name != "opt_out" {
				t.Errorf("no random customer reached flow %s", name)
			}
		}
		if stops == 0 {
			t.Error("no random customer opted out")
		}
	}
}

// walk is what one random customer's conversation reached.
type walk struct {
	flows    map[string]bool
	stops    int
	messages int // transcript lines: the customer's and the bot's
	timers   int // messages timers sent (reminders, expiries)
}

func playCustomer(t *testing.T, h *enginetest.Harness, seed int) walk {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(seed), 13))
	lang := []string{"en", "es"}[seed%2]
	phone := fmt.Sprintf("+4477009%05d", seed)
	w := &customerWatch{}
	got := walk{flows: map[string]bool{}}
	var last core.Inbound
	fail := func(msg string) {
		t.Fatalf("seed %d (%s): %s\nreplay: PROPERTY_SEED=%d go test -run TestNeverStuck ./engine/\n%s", seed, lang, msg, seed, w.tail())
	}
	// wait lets time pass: the timers that fall due fire (reminders, the
	// quote's expiry), and what they send counts in the bot's texts.
	wait := func(d time.Duration) {
		before := h.Session(phone)
		for _, f := range h.Advance(d) {
			if before != nil && before.OptedOut {
				fail("a timer sent a message to a customer who opted out")
			}
			if msg := w.timer(f.Out); msg != "" {
				fail(msg)
			}
		}
	}
	send := func(in core.Inbound, label string, dup bool) {
		before := h.Session(phone)
		out := h.Send(in)
		after := h.Session(phone)
		if after != nil {
			got.flows[after.Flow] = true
			if (before == nil || before.Ended) && !after.Ended {
				got.flows[engine.DefaultConfig().StartFlow] = true // a conversation started: it passed through the start flow
			}
		}
		if before != nil && after != nil && !before.OptedOut && after.OptedOut {
			got.stops++
		}
		if msg := w.check(h, phone, label, dup, before, after, out); msg != "" {
			fail(msg)
		}
		last = in
		wait(time.Minute)
	}
	message := func(text string) {
		if text == "PHOTO" {
			caption := []string{"", "about 30 m2", "unos 30 m2", "the back"}[rng.IntN(4)]
			send(h.Photo(phone, []byte{0xff, 0xd8, 0xff, byte(seed), byte(rng.IntN(256)), byte(len(w.transcript))}, caption), "[photo] "+caption, false)
			return
		}
		send(h.Message(phone, text), text, false)
	}
	for i := 0; i < 80; i++ {
		s := h.Session(phone)
		switch r := rng.IntN(100); {
		case r < 45:
			message(rightAnswer(s, lang, rng))
		case r < 57:
			message(junkWords[lang][rng.IntN(len(junkWords[lang]))])
		case r < 66:
			message(questionWords[lang][rng.IntN(len(questionWords[lang]))])
		case r < 70:
			message(emojiWords[rng.IntN(len(emojiWords))])
		case r < 78:
			message(commandWords[lang][rng.IntN(len(commandWords[lang]))])
		case r < 84:
			message(wayOutWords[lang][rng.IntN(len(wayOutWords[lang]))])
		case r < 89:
			message("PHOTO")
		case r < 95:
			d := silences[rng.IntN(len(silences))]
			w.transcript = append(w.transcript, fmt.Sprintf("-- %s of silence --", d))
			wait(d)
		default:
			if last.ID != "" {
				send(last, "(the last message again)", true)
			}
		}
	}
	// From wherever it stands, a cooperative customer reaches the end or
	// a person.
	w.transcript = append(w.transcript, "-- the customer now answers as asked --")
	for i := 0; ; i++ {
		s := h.Session(phone)
		if s != nil && !s.OptedOut && (s.Handoff || (s.Ended && i > 0)) {
			break
		}
		if i == 60 {
			fail(fmt.Sprintf("stuck: 60 right answers did not end the conversation (at %s/%s, pending %q, waiting %v, ended %v, handoff %v, opted out %v)", s.Flow, s.Step, s.Pending, s.Waiting, s.Ended, s.Handoff, s.OptedOut))
		}
		message(rightAnswer(s, lang, rng))
	}
	got.messages = len(w.transcript)
	for _, line := range w.transcript {
		if strings.HasPrefix(line, "bot (timer)") {
			got.timers++
		}
	}
	return got
}

// propertyTail is how many transcript lines a failure prints
// (PROPERTY_TAIL, default 40).
func propertyTail() int {
	if n, err := strconv.Atoi(os.Getenv("PROPERTY_TAIL")); err == nil {
		return n
	}
	return 40
}
