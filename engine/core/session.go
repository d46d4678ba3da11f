package core

import (
	"strings"
	"time"
)

// Session is where one contact's conversation stands. It is saved with every
// turn, so a restarted process resumes exactly where it stopped.
type Session struct {
	Contact string `json:"contact"`           // E.164
	Channel string `json:"channel,omitempty"` // the channel of the last inbound message
	Flow    string `json:"flow"`              // current flow
	Step    string `json:"step"`              // current step id; "" before the first step
	Waiting bool   `json:"waiting"`           // the step has asked and waits for the customer
	Ended   bool   `json:"ended"`             // the conversation reached its end

	Attempts int            `json:"attempts,omitempty"` // failed answers at the current step
	Scratch  map[string]any `json:"scratch,omitempty"`  // the current step's own state (photos so far...)
	Vars     map[string]any `json:"vars"`               // lead, project, quote... as the flows saved them

	ProjectID string       `json:"project_id,omitempty"` // the project this conversation fills in
	Quote     *QuoteRecord `json:"quote,omitempty"`      // the latest quote, as recorded

	// Pending is a question the engine itself asked outside the flows
	// ("export", "erase"), awaiting yes or no.
	Pending string `json:"pending,omitempty"`

	// Evidence says where project values came from (a photo's reading, an
	// answer, an owner's correction), by variable path.
	Evidence map[string]Evidence `json:"evidence,omitempty"`

	OptedOut bool `json:"opted_out,omitempty"` // nothing is sent until the contact opts in again
	// NoMarketing is when the contact objected to direct marketing; zero
	// when they did not (MarketingAllowed).
	NoMarketing time.Time `json:"no_marketing,omitzero"`
	Handoff     bool      `json:"handoff,omitempty"` // a person handles the contact; the bot stays silent

	// Language is the language the customer is answered in (ISO 639-1):
	// asked for ("English please", LanguageAsked) or read from their first
	// messages (LanguageReads of them gave one).
	Language      string `json:"language,omitempty"`
	LanguageAsked bool   `json:"language_asked,omitempty"`
	LanguageReads int    `json:"language_reads,omitempty"`

	// Notices holds when each notice the engine rate-limits was last sent
	// ("handoff_ack", "opted_out"), so a customer is answered but not
	// flooded while a person has the conversation or after an opt-out.
	Notices map[string]time.Time `json:"notices,omitempty"`
	// Recent are short hashes of the bot's last two texts, newest last, so
	// the same text is never sent three times in a row.
	Recent []string `json:"recent,omitempty"`
	// QuoteStep is the flow/step that showed the quote, where an
	// acceptance after a "not now" goes on from.
	QuoteStep string `json:"quote_step,omitempty"`
	// Timers are the contact's pending timers (reminders, the quote's
	// expiry). The store indexes them by due time whenever it saves the
	// session, replacing what it held for the contact (see Timers).
	Timers []Timer `json:"timers,omitempty"`

	Started     time.Time `json:"started"`
	Updated     time.Time `json:"updated"`
	LastInbound time.Time `json:"last_inbound"` // for the idle restart and the 24 h window
}

// SetVar writes a value at a dotted path of the variables ("lead.email"),
// making maps on the way and replacing a non-map value in the way. The
// engine saves answers with it; the store corrects them with it.
func (s *Session) SetVar(path string, v any) {
	if s.Vars == nil {
		s.Vars = map[string]any{}
	}
	parts := strings.Split(path, ".")
	m := s.Vars
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}
