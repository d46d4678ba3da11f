// Package intent reads what a customer asks for in plain words: "please
// stop messaging me", "borrar mis datos", "ich möchte mit einem Menschen
// sprechen", "English please". It owns the phrase sets of six languages
// (English, Spanish, Portuguese, German, French, Dutch), the folding of
// messages before they are matched, and the checks that keep negations,
// conditionals and questions about a thing ("don't stop", "no quiero que
// borren mis datos", "I'll unsubscribe if...", "did you delete my data?")
// from being read as a request.
//
// It only recognises: it must not decide what an intent does, send
// anything, or know the engine's exact keywords. The engine checks its
// configured keywords (STOP, ...) first; a keyword always wins over a
// phrase and over a Classifier. The package imports nothing of ours.
package intent

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Intent is what a customer asks for. Its value is the snake_case name
// used in corpora, logs and configuration.
type Intent string

// The intents the phrase sets know, in the order the engine acts on them
// when one message holds two (opt-out first).
const (
	None            Intent = ""
	OptOut          Intent = "opt_out"          // stop all messages
	OptIn           Intent = "opt_in"           // receive messages again
	Erase           Intent = "erase"            // delete my data
	WithdrawConsent Intent = "withdraw_consent" // withdraw a consent given earlier
	NoMarketing     Intent = "no_marketing"     // no offers or promotions, but the conversation goes on
	MyData          Intent = "my_data"          // a copy of my data
	Human           Intent = "human"            // talk to a person
	Restart         Intent = "restart"          // start the conversation over
	Language        Intent = "language"         // answer me in another language (Result.Lang)
)

// Intents returns every intent but None, opt-out first: the order Match
// prefers when a message holds two requests.
func Intents() []Intent {
	return []Intent{OptOut, OptIn, Erase, WithdrawConsent, NoMarketing, MyData, Human, Restart, Language}
}

// Result is what a message asks for.
type Result struct {
	Intent Intent
	// Lang is an ISO 639-1 code: for Language the language asked for,
	// for any other intent the language of the phrase that matched.
	Lang string
	// Confidence is 1 when the message is the phrase alone (give or
	// take polite words: "stop please"), less when the phrase is part of
	// a longer message, 0 for None.
	Confidence float64
	// Phrase is the pattern that matched, as the phrase set writes it,
	// or the Classifier's name. It is never the customer's words, so it
	// may be logged and recorded.
	Phrase string
}

// Classifier reads the intent of a message that the phrase sets find
// ambiguous: a phrase inside a longer message, a phrase that a negation
// cancelled, or a word that is a request only on its own ("stop" in "stop
// the leak first"). An OpenAI-backed one can be plugged in through
// Options. It is never asked about a message that matched an exact
// keyword: the engine handles those before it asks the Matcher.
type Classifier interface {
	// Classify returns the intent of text, or a Result with Intent None.
	// It must respect ctx's deadline.
	Classify(ctx context.Context, text string) (Result, error)
}

// Options configure a Matcher. The zero value loads every language.
type Options struct {
	// Languages are the phrase sets to load, by ISO 639-1 code (see
	// Languages); empty loads them all.
	Languages []string
	// Classifier, if set, is asked about ambiguous messages by Resolve.
	Classifier Classifier
	// ClassifierTimeout bounds one Classify call; default 3s.
	ClassifierTimeout time.Duration
	// MinClassifierConfidence is the confidence below which a
	// Classifier's answer is ignored; default 0.8.
	MinClassifierConfidence float64
}

// sure is the confidence from which Resolve trusts the phrase sets
// without asking a Classifier.
const sure = 0.9

// Matcher recognises intents. It is built once by New, holds no mutable
// state, and is safe for concurrent use.
type Matcher struct {
	intents       []Intent // what its phrase sets say: Intents, or AnswerIntents
	langs         []string
	vocab         vocab // every word of the tries
	phrases       *trie // every phrase of every loaded language
	polite        *trie // polite words of every loaded language
	classifier    Classifier
	timeout       time.Duration
	minClassifier float64
	scans         sync.Pool // *scan: one message's work space
}

// New compiles the phrase sets of the chosen languages. It fails for a
// language it has no phrase set for.
func New(o Options) (*Matcher, error) {
	langs := o.Languages
	if len(langs) == 0 {
		langs = Languages()
	}
	m := &Matcher{
		intents:       Intents(),
		vocab:         vocab{},
		phrases:       newTrie(1 << 14),
		polite:        newTrie(256),
		classifier:    o.Classifier,
		timeout:       o.ClassifierTimeout,
		minClassifier: o.MinClassifierConfidence,
	}
	if m.timeout <= 0 {
		m.timeout = 3 * time.Second
	}
	if m.minClassifier <= 0 {
		m.minClassifier = 0.8
	}
	for _, code := range langs {
		set, ok := phraseSetOf(code)
		if !ok {
			return nil, fmt.Errorf("intent: no phrase set for language %q (have %v)", code, Languages())
		}
		if slices.Contains(m.langs, code) {
			continue
		}
		if err := m.load(set); err != nil {
			return nil, fmt.Errorf("intent: phrase set %q: %w", code, err)
		}
		m.langs = append(m.langs, code)
	}
	return m, nil
}

// Languages returns the ISO 639-1 codes of the phrase sets the package
// has.
func Languages() []string {
	var out []string
	for _, s := range phraseSets() {
		out = append(out, s.lang)
	}
	return out
}

// LanguageName returns a language's name for itself ("Deutsch" for "de"),
// or the code when the package has no phrase set for it.
func LanguageName(code string) string {
	if s, ok := phraseSetOf(code); ok {
		return s.name
	}
	return code
}

// Match reads the intent of one message with the phrase sets alone. It
// returns Result{Intent: None} when the message asks for nothing they
// know.
func (m *Matcher) Match(text string) Result {
	r, _ := m.match(text)
	return r
}

// Resolve is Match, then, if a Classifier is set and the phrase sets are
// not sure (see Classifier), the Classifier's answer when it is confident
// enough: a known intent, or None, which overrules a phrase found inside a
// longer message. On a Classifier error it returns Match's result with the
// error.
func (m *Matcher) Resolve(ctx context.Context, text string) (Result, error) {
	r, unsure := m.match(text)
	if m.classifier == nil || !unsure {
		return r, nil
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	c, err := m.classifier.Classify(ctx, text)
	if err != nil {
		return r, fmt.Errorf("classify intent: %w", err)
	}
	if !m.trusted(c) {
		return r, nil
	}
	if c.Phrase == "" {
		c.Phrase = "classifier"
	}
	if c.Intent == None {
		return Result{Phrase: c.Phrase}, nil
	}
	return c, nil
}

// trusted reports whether a Classifier's answer may be used: a known
// intent (or None), confident enough, with a language code for Language.
func (m *Matcher) trusted(c Result) bool {
	if c.Confidence < m.minClassifier || c.Confidence > 1 {
		return false
	}
	if c.Intent == None {
		return true
	}
	if !slices.Contains(Intents(), c.Intent) {
		return false
	}
	if c.Intent == Language {
		return isLangCode(c.Lang)
	}
	return true
}

// isLangCode reports whether s looks like an ISO 639-1 code: two lower
// case letters. A Classifier may name a language no phrase set has.
func isLangCode(s string) bool {
	return len(s) == 2 && 'a' <= s[0] && s[0] <= 'z' && 'a' <= s[1] && s[1] <= 'z'
}
