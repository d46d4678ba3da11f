package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/engine/intent"
)

var plainWordsFlows = filepath.Join("testdata", "conversations", "plain_words", "flows")

// TestPlainWordsRecords checks what the transcripts of the plain_words*
// fixtures cannot show: the language asked for is kept on the session
// across a restart, a plain-word opt-out is recorded with the phrase that
// matched, and "no marketing" is a declined marketing consent that leaves
// the contact's status alone.
func TestPlainWordsRecords(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: plainWordsFlows})
	phone := enginetest.DefaultContact
	h.Say(phone, "hi")
	h.Say(phone, "en español por favor")
	h.Reopen()
	if got := h.Session(phone).Language; got != "es" {
		t.Errorf("session language after a restart = %q, want es", got)
	}
	h.Say(phone, "Ana")
	h.Say(phone, "no marketing please")
	h.Say(phone, "please stop messaging me")

	exp, err := h.Store.Export(context.Background(), phone)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.OptEvents) != 1 || exp.OptEvents[0].OptIn || !strings.HasPrefix(exp.OptEvents[0].Keyword, "phrase: stop (messaging") {
		t.Errorf("opt events = %+v, want one opt-out naming its phrase", exp.OptEvents)
	}
	if len(exp.Consents) != 1 || exp.Consents[0].Purpose != "marketing" || exp.Consents[0].Granted || exp.Consents[0].Text == "" {
		t.Errorf("consents = %+v, want one declined marketing consent with the text shown", exp.Consents)
	}
	if _, ok := exp.Conversation.Vars["consent"]; ok {
		t.Errorf("a refusal of marketing alone is in the session's consents: %v", exp.Conversation.Vars["consent"])
	}
}

// TestPlainWordsMarketingWithdrawsGranted checks that "no marketing"
// withdraws a marketing consent the contact had granted.
func TestPlainWordsMarketingWithdrawsGranted(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: filepath.Join("testdata", "conversations", "plain_words_marketing", "flows")})
	phone := enginetest.DefaultContact
	h.Say(phone, "hi")
	h.Say(phone, "yes")
	out := h.Say(phone, "please don't send me offers")
	if len(out) == 0 || !strings.Contains(out[0].Text, "won't send you offers") {
		t.Fatalf("answer to no marketing: %s", enginetest.Format(out))
	}
	exp, err := h.Store.Export(context.Background(), phone)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Consents) != 1 || !exp.Consents[0].Granted || exp.Consents[0].Withdrawn.IsZero() {
		t.Errorf("consents = %+v, want the granted marketing consent withdrawn", exp.Consents)
	}
}

// classifier is an intent.Classifier double: it answers from a map, counts
// its calls, and can be told to fail.
type classifier struct {
	mu      sync.Mutex
	answers map[string]intent.Result
	err     error
	asked   []string
}

func (c *classifier) Classify(_ context.Context, text string) (intent.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = append(c.asked, text)
	return c.answers[text], c.err
}

// TestIntentClassifier checks the classifier hook: it is never asked about
// an exact keyword, its confident answer about an ambiguous message acts,
// and its failure leaves the decision to the phrase sets.
func TestIntentClassifier(t *testing.T) {
	c := &classifier{answers: map[string]intent.Result{
		"STOP":                {Intent: intent.OptIn, Confidence: 1},
		"stop the leak first": {Intent: intent.Human, Confidence: 0.95},
	}}
	h := enginetest.New(t, enginetest.Options{FlowsDir: plainWordsFlows})
	eng, err := engine.New(engine.Config{}, engine.Deps{Store: h.Store, Flows: h.Flows, Clock: h.Clock.Now, IntentClassifier: c})
	if err != nil {
		t.Fatal(err)
	}
	phone := enginetest.DefaultContact
	say := func(text string) []engine.Outbound {
		t.Helper()
		out, err := eng.Handle(context.Background(), h.Message(phone, text))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	say("hi")
	say("Ana")
	if out := say("stop the leak first"); len(out) != 1 || !strings.Contains(out[0].Text, "member of our team") {
		t.Errorf("the classifier's confident answer did not act: %s", enginetest.Format(out))
	}
	say("restart")
	say("STOP")
	if len(c.asked) != 1 || c.asked[0] != "stop the leak first" {
		t.Errorf("classifier asked about %q; never about an exact keyword, only ambiguous messages", c.asked)
	}
	if s := h.Session(phone); !s.OptedOut {
		t.Errorf("STOP did not opt out (the classifier said opt in): %+v", s)
	}

	c.err = errors.New("upstream 503")
	say("START")
	if out := say("Ana, and please stop messaging me"); len(out) != 1 || !strings.Contains(out[0].Text, "unsubscribed") {
		t.Errorf("with a failing classifier the phrase sets decide: %s", enginetest.Format(out))
	}
}

// TestIntentsConfig checks that plain words can be turned off or limited
// to some languages, and that an unknown language fails at New.
func TestIntentsConfig(t *testing.T) {
	phone := enginetest.DefaultContact
	off := enginetest.New(t, enginetest.Options{FlowsDir: plainWordsFlows, Config: engine.Config{Intents: engine.Intents{Off: true}}})
	off.Say(phone, "hi")
	off.Say(phone, "Ana")
	if out := off.Say(phone, "please stop messaging me"); len(out) == 0 || !strings.HasPrefix(out[0].Text, "Noted:") {
		t.Errorf("with intents off a plain-word opt-out is an answer: %s", enginetest.Format(out))
	}

	en := enginetest.New(t, enginetest.Options{FlowsDir: plainWordsFlows, Config: engine.Config{Intents: engine.Intents{Languages: []string{"en"}}}})
	en.Say(phone, "hi")
	en.Say(phone, "Ana")
	if out := en.Say(phone, "dejen de escribirme"); len(out) == 0 || !strings.HasPrefix(out[0].Text, "Noted:") {
		t.Errorf("an English-only engine read Spanish: %s", enginetest.Format(out))
	}

	h := enginetest.New(t, enginetest.Options{FlowsDir: plainWordsFlows})
	_, err := engine.New(engine.Config{Intents: engine.Intents{Languages: []string{"en", "klingon"}}}, engine.Deps{Store: h.Store, Flows: h.Flows})
	if err == nil || !strings.Contains(err.Error(), "klingon") {
		t.Errorf("unknown language: err = %v, want one naming it", err)
	}
}
