// Package engine runs conversations: for each contact it executes the
// flows of package flows step by step, calls Lua plugins and the extractor
// through interfaces with deadlines, applies the global keywords (opt-out
// first), and hands every turn to the Store to commit atomically with its
// outbound messages. It defines the interfaces it depends on (Store,
// Extractor, Plugins) and the message types channels speak. It never imports
// a channel or bbolt.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/intent"
	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/plugins"
)

// Plugins is what the engine needs of the Lua host (*plugins.Host).
type Plugins interface {
	Call(ctx context.Context, ref string, in plugins.Input) (*plugins.Result, error)
}

// Config tunes the engine. Zero values take the defaults of DefaultConfig.
type Config struct {
	StartFlow      string        // the flow a new conversation starts in
	OptOutFlow     string        // the flow that confirms an opt-out ("" = the engine's text); default opt_out
	IdleTimeout    time.Duration // after this long without a message, the next one starts over
	MaxSteps       int           // steps one message may run before the loop guard hands off
	Keywords       Keywords
	Intents        Intents        // the same commands in plain words ("please stop messaging me")
	Currency       string         // ISO 4217 code for the money filter
	PolicyVersion  string         // privacy policy version recorded with consent
	Business       map[string]any // config.* in templates (business_name, privacy_url...)
	Texts          Texts          // the engine's own wording
	PluginTimeout  time.Duration  // deadline of one plugin step (the host has its own per-call limit)
	ExtractTimeout time.Duration  // deadline of one extract step
	QuoteApproval  ApprovalRule   // which quotes wait for the owner's approval (none by default)
	Privacy        Privacy        // adults only, a new policy, rights after STOP (privacy.go)
	Payments       Payments       // payment links after acceptance (payments.go)

	// QuietHours are when no reminder is sent (zero: off); a timer due in
	// them fires when they end.
	QuietHours QuietHours
	// Location is the business's time zone, for quiet hours and the day a
	// quote expires (nil: UTC).
	Location *time.Location
	// TemplateLanguage is the language code of the WhatsApp templates that
	// after entries send once the 24-hour window has closed (default en_US).
	TemplateLanguage string
}

// Keywords are the global commands that work from any step. Matching is
// case-insensitive on the whole trimmed message.
type Keywords struct {
	OptOut          []string `yaml:"opt_out" validate:"min=1,dive,required"`
	OptIn           []string `yaml:"opt_in" validate:"min=1,dive,required"`
	Restart         []string `yaml:"restart" validate:"dive,required"`
	Human           []string `yaml:"human" validate:"dive,required"`
	MyData          []string `yaml:"my_data" validate:"dive,required"`
	DeleteMyData    []string `yaml:"delete_my_data" validate:"dive,required"`
	WithdrawConsent []string `yaml:"withdraw_consent" validate:"dive,required"`
	Correct         []string `yaml:"correct" validate:"dive,required"` // CORRECT MY DATA: the customer corrects a detail
}

// DefaultConfig returns the engine's defaults.
func DefaultConfig() Config {
	return Config{
		StartFlow:   "greeting",
		OptOutFlow:  "opt_out",
		IdleTimeout: 7 * 24 * time.Hour,
		MaxSteps:    100,
		Keywords: Keywords{
			OptOut:          []string{"STOP", "UNSUBSCRIBE", "CANCEL", "OPT OUT"},
			OptIn:           []string{"START"},
			Restart:         []string{"RESTART", "MENU"},
			Human:           []string{"AGENT", "HUMAN"},
			MyData:          []string{"MY DATA"},
			DeleteMyData:    []string{"DELETE MY DATA"},
			WithdrawConsent: []string{"WITHDRAW CONSENT"},
			Correct:         []string{"CORRECT MY DATA", "UPDATE MY DATA"},
		},
		Currency:       "EUR",
		PolicyVersion:  "2025-12-06",
		Business:       map[string]any{"business_name": "our team"},
		Texts:          DefaultTexts(),
		PluginTimeout:  2 * time.Second,
		ExtractTimeout: 35 * time.Second,
	}
}

// Deps are the engine's collaborators. Store and Flows are required.
type Deps struct {
	Store     Store
	Flows     *flows.Set
	Plugins   Plugins   // nil: plugin steps fail to their on_error
	Extractor Extractor // nil: extract steps fail to their on_error
	Rights    Rights    // nil: MY DATA / DELETE MY DATA answer that a person will help
	Clock     func() time.Time
	NewID     func(prefix string) string  // ids of projects, quotes, consents, AI records
	Tag       func(contact string) string // a keyed hash of a contact URN, for logs
	// Channels says what each channel can show, so messages are rendered
	// to fit (nil: every channel gets WhatsApp's limits without a window).
	Channels *core.Channels
	Logger   *slog.Logger
	// OnOutbound is called after a commit that queued outbound messages, to
	// wake the channels' senders.
	OnOutbound func()
	// IntentClassifier reads plain words the phrase sets find ambiguous
	// (an OpenAI-backed one, say); nil: the phrase sets alone decide. It
	// never overrides an exact keyword.
	IntentClassifier intent.Classifier
	// OnCommit is called with the contact's URN after every committed turn
	// (the console's live updates).
	OnCommit func(contact string)
	// Observer is told what the engine does, for metrics.
	Observer Observer
	// Payments makes payment links for accepted quotes (package payments:
	// Stripe Checkout or a link template); nil sends none.
	Payments core.PaymentLinker
	// OnPayment is called after a payment was recorded (RecordPayment),
	// once per payment: the owner's notifications hook in here.
	OnPayment func(core.PaymentRecord)
	// Notifier turns each turn's events (a new lead, a quote accepted...)
	// into notices for the business, queued with the turn (events.go);
	// nil: none.
	Notifier core.Notifier
}

// Engine runs conversations. It is safe for concurrent use: one contact's
// messages are handled one at a time, different contacts in parallel.
type Engine struct {
	cfg    Config
	deps   Deps
	log    *slog.Logger
	conds  map[string]Condition // compiled when expressions, by source
	valid  *validatorCache
	locks  [256]sync.Mutex
	filter map[string]flows.FilterFunc
	texts  textCache
	plain  *intent.Matcher // commands in plain words; nil: off

	langs   []string                               // the languages the flows speak, theirs first
	local   *localTexts                            // the engine's texts in those languages
	answers *intent.Answers                        // "I don't know", "no photos", "I changed my mind"
	filters map[string]map[string]flows.FilterFunc // template filters by language (money)
}

// New checks the flows against the engine (every step kind has a handler,
// the start flow exists, every when expression compiles) and returns an
// engine ready to handle messages.
func New(cfg Config, deps Deps) (*Engine, error) {
	if deps.Store == nil || deps.Flows == nil {
		return nil, errors.New("engine: Store and Flows are required")
	}
	cfg = withDefaults(cfg)
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	if deps.NewID == nil {
		deps.NewID = randomID
	}
	if deps.Tag == nil {
		deps.Tag = func(string) string { return "-" }
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg, deps: deps, log: deps.Logger, conds: map[string]Condition{}, valid: newValidatorCache()}
	e.filter = flows.BaseFilters()
	e.filter["money"] = e.moneyFilter
	var err error
	if e.plain, err = newIntents(cfg.Intents, deps.IntentClassifier); err != nil {
		return nil, err
	}
	if deps.Flows.Flow(cfg.StartFlow) == nil {
		return nil, fmt.Errorf("engine: start flow %q is not loaded", cfg.StartFlow)
	}
	if err := e.provisionLanguages(); err != nil {
		return nil, err
	}
	for _, name := range deps.Flows.Order {
		f := deps.Flows.Flow(name)
		for _, s := range f.Steps {
			if _, ok := stepKinds[s.Kind]; !ok {
				return nil, fmt.Errorf("%s: step %q: the engine has no step kind %q", s.Pos, s.ID, s.Kind)
			}
			for _, b := range s.If {
				c, err := compileCondition(b.When)
				if err != nil {
					return nil, fmt.Errorf("%s: step %q: when %q: %w", b.Pos, s.ID, b.When, err)
				}
				e.conds[b.When] = c
			}
		}
	}
	return e, nil
}

func withDefaults(cfg Config) Config {
	d := DefaultConfig()
	if cfg.StartFlow == "" {
		cfg.StartFlow = d.StartFlow
	}
	if cfg.OptOutFlow == "" {
		cfg.OptOutFlow = d.OptOutFlow
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = d.IdleTimeout
	}
	if cfg.MaxSteps <= 0 {
		cfg.MaxSteps = d.MaxSteps
	}
	if cfg.Keywords.OptOut == nil && cfg.Keywords.OptIn == nil {
		cfg.Keywords = d.Keywords
	}
	if cfg.Keywords.Correct == nil {
		cfg.Keywords.Correct = d.Keywords.Correct
	}
	cfg.Keywords = cfg.Keywords.normalized()
	if cfg.Currency == "" {
		cfg.Currency = d.Currency
	}
	if cfg.PolicyVersion == "" {
		cfg.PolicyVersion = d.PolicyVersion
	}
	if cfg.Business == nil {
		cfg.Business = d.Business
	}
	cfg.Privacy = cfg.Privacy.withDefaults()
	cfg.Business = withBusinessDefaults(cfg.Business, cfg.Privacy)
	cfg.Texts = cfg.Texts.withDefaults()
	if cfg.PluginTimeout <= 0 {
		cfg.PluginTimeout = d.PluginTimeout
	}
	if cfg.ExtractTimeout <= 0 {
		cfg.ExtractTimeout = d.ExtractTimeout
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.TemplateLanguage == "" {
		cfg.TemplateLanguage = "en_US"
	}
	return cfg
}

func randomID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// lock serialises one contact's turns: in this process with a mutex, and
// across the processes that share the store with its lock when the store
// has one (core.ContactLocker: the Postgres store), held from loading the
// session to committing the turn.
//
// The returned context carries the store's lock: the turn runs with it.
func (e *Engine) lock(ctx context.Context, contact string) (context.Context, func(), error) {
	h := fnv.New32a()
	h.Write([]byte(contact))
	m := &e.locks[h.Sum32()%uint32(len(e.locks))]
	m.Lock()
	l, ok := e.deps.Store.(core.ContactLocker)
	if !ok {
		return ctx, m.Unlock, nil
	}
	locked, unlock, err := l.LockContact(ctx, contact)
	if err != nil {
		m.Unlock()
		return nil, nil, fmt.Errorf("lock contact %s: %w", e.deps.Tag(contact), err)
	}
	return locked, func() { unlock(); m.Unlock() }, nil
}

// Handle advances the contact's conversation with one inbound message and
// commits the turn. It returns the outbound messages queued for the
// channel; a duplicate delivery returns none and no error.
func (e *Engine) Handle(ctx context.Context, in Inbound) (out []Outbound, err error) {
	started, dup := time.Now(), false
	defer func() { e.observeHandled(&in, started, dup, err) }()
	contact, err := core.NormalizeURN(in.Contact)
	if err != nil {
		// Neither the id (a wamid encodes the number) nor the number goes
		// into an error that may be logged.
		return nil, fmt.Errorf("inbound message: %w", ErrBadContact)
	}
	in.Contact = contact
	if in.ID == "" {
		return nil, errors.New("inbound: message id is empty")
	}
	ctx, unlock, err := e.lock(ctx, contact)
	if err != nil {
		return nil, err
	}
	defer unlock()

	seen, err := e.deps.Store.Seen(ctx, in.Channel, in.ID)
	if err != nil {
		return nil, fmt.Errorf("inbound message from %s: %w", e.deps.Tag(contact), err)
	}
	if seen {
		dup = true
		return nil, nil
	}
	sess, err := e.deps.Store.Session(ctx, contact)
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	t := e.newTurn(ctx, sess, &in)
	if in.Echo {
		t.echo() // the business wrote from its WhatsApp Business app (echo.go)
	} else {
		e.handle(t)
	}
	return e.commit(t)
}

// commit writes the turn and reports its outbound messages.
func (e *Engine) commit(t *turn) ([]Outbound, error) {
	for _, fn := range t.finally {
		fn()
	}
	rec := t.record()
	err := e.deps.Store.Commit(t.ctx, rec)
	if errors.Is(err, ErrDuplicate) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("commit turn for %s: %w", e.deps.Tag(t.sess.Contact), err)
	}
	return e.afterCommit(t, rec), nil
}

// afterCommit tells the observers and senders about a committed turn and
// returns its outbound messages.
func (e *Engine) afterCommit(t *turn, rec *Turn) []Outbound {
	e.observeQueued(rec.Outbound)
	if len(rec.Outbound)+len(rec.Notices) > 0 && e.deps.OnOutbound != nil {
		e.deps.OnOutbound()
	}
	if e.deps.OnCommit != nil {
		e.deps.OnCommit(t.sess.Contact)
	}
	return rec.Outbound
}

// Remind repeats the question a contact's conversation waits at (a
// terminal chat started again shows where it stands). It does nothing for
// a contact with no open question, an opted-out one, or one a person
// handles.
func (e *Engine) Remind(ctx context.Context, contact string) error {
	contact, err := core.NormalizeURN(contact)
	if err != nil {
		return err
	}
	ctx, unlock, err := e.lock(ctx, contact)
	if err != nil {
		return err
	}
	defer unlock()
	sess, err := e.deps.Store.Session(ctx, contact)
	if err != nil || sess == nil || sess.Ended || sess.OptedOut || sess.Handoff || !sess.Waiting || sess.Pending != "" {
		return err
	}
	t := e.newTurn(ctx, sess, nil)
	t.say(e.cfg.Texts.Greeted, nil)
	e.resume(t)
	_, err = e.commit(t)
	return err
}

// Exclusive runs fn while no turn of the contact runs, so an
// administrative change (erase, correct, withdraw consent) is never
// overwritten by a turn that loaded the session before it.
func (e *Engine) Exclusive(contact string, fn func() error) error {
	contact, err := core.NormalizeURN(contact)
	if err != nil {
		return err
	}
	_, unlock, err := e.lock(context.Background(), contact)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// Release ends a handoff: the bot answers the contact again, starting the
// start flow on their next message, and tells them so on the channel they
// last wrote from. actor is recorded in the audit log.
func (e *Engine) Release(ctx context.Context, contact, actor string) error {
	contact, err := core.NormalizeURN(contact)
	if err != nil {
		return err
	}
	ctx, unlock, err := e.lock(ctx, contact)
	if err != nil {
		return err
	}
	defer unlock()
	sess, err := e.deps.Store.Session(ctx, contact)
	if err != nil {
		return err
	}
	if sess == nil || !sess.Handoff {
		return fmt.Errorf("release %s: %w", e.deps.Tag(contact), ErrNoHandoff)
	}
	t := e.newTurn(ctx, sess, nil)
	sess.Handoff = false
	t.contactDirty = true
	t.rearm = true // the question is asked again: its reminders start again
	t.audit = append(t.audit, AuditEntry{Time: t.now, Actor: actor, Action: "release", Contact: e.deps.Tag(contact)})
	if !sess.OptedOut {
		t.say(e.cfg.Texts.Released, nil)
	}
	switch {
	case sess.OptedOut:
		// Nothing is sent; START resumes where the conversation stopped.
	case sess.Waiting && !sess.Ended:
		e.resume(t) // back to the question the customer had not answered yet
	default:
		sess.Ended = true // the bot's part had ended: the next message starts afresh
	}
	_, err = e.commit(t)
	return err
}

// ErrNoHandoff is returned by Release for a contact no person is handling.
var ErrNoHandoff = errors.New("no handoff in progress")

// Quarantine keeps a message whose handling crashed the process again and
// again (a poison message) without running the flows on it: it is stored
// and marked handled, the customer is told a person will take over, the
// contact is handed to a person (the owner sees it waiting), and the
// quarantine is audited with reason. A duplicate returns ErrDuplicate.
func (e *Engine) Quarantine(ctx context.Context, in Inbound, reason string) error {
	contact, err := core.NormalizeURN(in.Contact)
	if err != nil {
		return fmt.Errorf("quarantine: %w", ErrBadContact)
	}
	in.Contact = contact
	ctx, unlock, err := e.lock(ctx, contact)
	if err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	defer unlock()
	sess, err := e.deps.Store.Session(ctx, contact)
	if err != nil {
		return fmt.Errorf("quarantine: load session: %w", err)
	}
	t := e.newTurn(ctx, sess, &in)
	t.sess.LastInbound = t.now
	t.contactDirty = true
	if !t.sess.OptedOut && !t.sess.Handoff {
		t.say(e.cfg.Texts.StepFailed, nil)
		t.handoff()
	}
	t.audit = append(t.audit, AuditEntry{Time: t.now, Actor: "system", Action: "quarantine", Contact: e.deps.Tag(contact), Detail: reason})
	e.log.Error("message quarantined", "contact", e.deps.Tag(contact), "reason", reason)
	rec := t.record()
	if err := e.deps.Store.Commit(ctx, rec); err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	if len(rec.Outbound)+len(rec.Notices) > 0 && e.deps.OnOutbound != nil {
		e.deps.OnOutbound()
	}
	return nil
}
