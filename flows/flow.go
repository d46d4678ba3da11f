// Package flows owns the flow language: the types of a flow and its steps,
// loading YAML with positions, validation and lint diagnostics, templates, the
// JSON Schema of the language, and the shipped flows. It imports nothing of
// AllMyLeads and never runs a conversation: that is the engine's job.
package flows

import (
	"fmt"
	"strings"
	"time"
)

// Pos is a place in a flow file, for diagnostics.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// String renders the place as FILE:LINE:COL.
func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "-"
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// End is the step id that ends a conversation when used as a target.
const End = "end"

// Kind is the kind of a step: the one kind key it carries in YAML.
type Kind string

// The step kinds of the language. Kinds lists them with their keys.
const (
	KindSay          Kind = "say"
	KindAsk          Kind = "ask"
	KindChoice       Kind = "choice"
	KindPhotos       Kind = "photos"
	KindExtract      Kind = "extract"
	KindPlugin       Kind = "plugin"
	KindConfirmQuote Kind = "confirm_quote"
	KindConsent      Kind = "consent"
	KindIf           Kind = "if"
	KindLink         Kind = "link"
	KindHandoff      Kind = "handoff"
)

// Flow is one loaded flow file.
type Flow struct {
	Name        string
	Description string
	Start       string // id of the first step; defaults to the first step's id
	Steps       []*Step
	Pos         Pos // where the `flow:` key stands

	// Keys holds where each top-level YAML key stands, for diagnostics.
	Keys map[string]Pos

	// FAQ answers customers' questions while a step of the flow waits
	// (faq.go).
	FAQ []FAQ

	index map[string]int
}

// Step returns the step with the given id, or nil. Loading builds the index,
// so a loaded Flow is safe for concurrent use; a Flow built by hand should
// call Reindex before it is shared.
func (f *Flow) Step(id string) *Step {
	if f.index == nil {
		f.reindex()
	}
	i, ok := f.index[id]
	if !ok {
		return nil
	}
	return f.Steps[i]
}

// StartStep returns the step a conversation in this flow begins with.
func (f *Flow) StartStep() *Step {
	if f.Start != "" {
		return f.Step(f.Start)
	}
	if len(f.Steps) == 0 {
		return nil
	}
	return f.Steps[0]
}

// After returns the step below the given one, or nil for the last step.
func (f *Flow) After(id string) *Step {
	if f.index == nil {
		f.reindex()
	}
	i, ok := f.index[id]
	if !ok || i+1 >= len(f.Steps) {
		return nil
	}
	return f.Steps[i+1]
}

// Reindex rebuilds the id index after Steps changed.
func (f *Flow) Reindex() { f.reindex() }

// stepIndex returns the index of the step with the given id, or -1.
func (f *Flow) stepIndex(id string) int {
	if f.index == nil {
		f.reindex()
	}
	if i, ok := f.index[id]; ok {
		return i
	}
	return -1
}

func (f *Flow) reindex() {
	f.index = make(map[string]int, len(f.Steps))
	for i, s := range f.Steps {
		if _, dup := f.index[s.ID]; !dup {
			f.index[s.ID] = i
		}
	}
}

// Step is one step of a flow. Which fields matter depends on Kind.
type Step struct {
	ID   string
	Kind Kind
	Pos  Pos // where the step's mapping starts (its first key)

	// Text is the message of say, ask, choice, photos, confirm_quote,
	// consent and handoff: the value of the kind key.
	Text *Template

	Save     string    // dotted variable path the answer or result is saved at
	Validate string    // validator/v10 tags for ask (plus custom tags phone, yesno, name, company, address, answer)
	Error    *Template // re-ask text when an answer fails validation
	Retries  int       // attempts before on_error (0 means the default, 3)

	Options []Option // choice options

	// The ways on from a waiting step (wayout.go): where a customer
	// without photos goes (photos), where "I don't know" goes (ask), and
	// the variables whose known value is confirmed instead of asked (ask).
	Skip    string
	Unknown string
	Prefill []string

	Min, Max int    // photos: how many images (filled in at load when absent: 1 and 10)
	DoneWord string // photos: the word that ends collection early (filled in at load when absent: "done")

	If   []Branch // if: the first branch whose condition holds wins
	Else string   // if: target when no branch holds (default: the next step)

	Plugin string // plugin: FILE.FUNCTION, e.g. pricing.quote

	Accept, Decline           string // confirm_quote, consent: targets
	AcceptTitle, DeclineTitle string // button titles (defaults in the engine)
	Purpose                   string // consent: what the consent is for

	Extract *Extract  // extract: what to read
	Confirm *Template // extract: confirmation wording; {{ field }}, {{ name }} and {{ value }} available
	// ConfirmBelow: extract, confirm values read with less confidence than
	// this (0 to 1); ask, put a numeric answer under this to the customer
	// once. 0 means never.
	ConfirmBelow float64

	// A numeric ask's quantity (validate with numeric or number).
	Unit         string  // the unit asked (one of AskUnits): answers in other units are converted to it
	ConfirmAbove float64 // put a numeric answer above this to the customer once; 0 means never
	Range        string  // what a range answer (30-40) gets: one of RangeRules; "" asks

	Link string // link: name of the flow to continue in

	Next    string // the step after this one; "end" ends the conversation
	OnError string // where to go when the step fails (retries used up, plugin or extractor error)

	After    []AfterEntry  // waiting steps: reminders and moving on when the customer is silent (after.go)
	ValidFor time.Duration // plugin: how long a quote it prices is valid (0: the plugin's valid_days)
	OnExpiry string        // confirm_quote: where an acceptance of an expired quote goes (default: price it again)

	// Keys holds where each YAML key of the step stands, for diagnostics.
	Keys map[string]Pos
}

// ReadSuffix ends the variable beside a number that says how it was read
// when that is not what the customer wrote: SAVE_read holds "4 m × 10 m"
// beside SAVE = 40. Numeric ask steps and number fields of extract steps
// save it.
const ReadSuffix = "_read"

// Saves lists the variable paths the step may save: its save path, an
// extract step's fields, and how numbers were read (ReadSuffix).
func (s *Step) Saves() []string {
	if s.Save == "" {
		return nil
	}
	out := []string{s.Save}
	if s.Numeric() {
		out = append(out, s.Save+ReadSuffix)
	}
	if s.Extract != nil {
		for _, f := range s.Extract.Fields {
			out = append(out, s.Save+"."+f.Name)
			if f.Type == "number" || f.Type == "integer" {
				out = append(out, s.Save+"."+f.Name+ReadSuffix)
			}
		}
	}
	return out
}

// Numeric reports whether the step is an ask step whose answer is a
// number (its validate has numeric or number): the engine reads it as a
// quantity, and unit, confirm_above, confirm_below and range apply.
func (s *Step) Numeric() bool {
	tags := "," + s.Validate + ","
	return s.Kind == KindAsk && (strings.Contains(tags, ",numeric,") || strings.Contains(tags, ",number,"))
}

// KeyPos returns where the given key of the step stands, or the step's own
// position when the key is absent.
func (s *Step) KeyPos(key string) Pos {
	if p, ok := s.Keys[key]; ok {
		return p
	}
	return s.Pos
}

// Option is one answer of a choice step.
type Option struct {
	ID          string
	Title       string
	Description string // shown in WhatsApp lists (4 to 10 options)
	Next        string // optional target when this option is picked
	Pos         Pos
}

// Branch is one `when` of an if step.
type Branch struct {
	When    string // a Lua expression over the variables
	Next    string
	Pos     Pos // where the when expression stands
	NextPos Pos // where the branch's next stands

	whenCol int  // the column of When's first byte on Pos.Line when the text maps onto the file byte for byte, else 0
	mangled bool // YAML changed the condition (a comment, a tag): reported at load, not checked again
}

// Extract describes an extract step: where to read from and which fields.
type Extract struct {
	From         string  // a variable holding images or text
	Instructions string  // what to look for, in plain words for the model
	Fields       []Field // in file order
	FromPos      Pos     // where from stands
}

// Field is one value an extract step asks for.
type Field struct {
	Name        string
	Type        string // string, number, integer, boolean, date (`type: enum` loads as string with Enum)
	Description string
	Enum        []string
	Required    bool
	List        bool
	Pos         Pos
}
