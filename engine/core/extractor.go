package core

import "context"

// Extractor reads fields from images and text. engine/extract implements it
// (the offline one and the OpenAI one); the engine's extract step calls it.
type Extractor interface {
	Extract(ctx context.Context, req ExtractRequest) (*ExtractResult, error)
}

// ExtractRequest is one extraction: what to look for and what to read.
type ExtractRequest struct {
	Contact      string // the contact's URN, for the AI record
	Instructions string
	Fields       []Field
	Texts        []string
	Images       []Media // with Data
}

// Field is one value an extractor looks for, as a flow's extract step
// declares it.
type Field struct {
	Name        string
	Type        string // string, number, integer, boolean, date
	Description string
	Enum        []string // the allowed values of an enum field
	Required    bool
	List        bool
}

// ExtractResult is what the extractor read, field by field, and the facts
// about the call that go into the AI processing record.
type ExtractResult struct {
	Fields        map[string]FieldResult
	Extractor     string // openai, offline
	Model         string
	PromptVersion string
	PromptTokens  int
	OutputTokens  int
}

// FieldResult is one extracted value and how sure the extractor is (0 to 1).
// Value is nil when nothing was found.
type FieldResult struct {
	Value      any     `json:"value"`
	Confidence float64 `json:"confidence"`
	// Read says how a number was read when it is not what the text wrote:
	// dimensions, or a unit converted ("4 m × 10 m", "40 ft²"). The extract
	// step saves it at SAVE.FIELD_read, where the quote shows it.
	Read string `json:"read,omitempty"`
}

// Extraction outcomes, as recorded on AI records.
const (
	OutcomeOK      = "ok"
	OutcomeInvalid = "invalid" // the reply did not fit the field spec, even after one retry
	OutcomeRefused = "refused" // the model refused
	OutcomeTimeout = "timeout"
	OutcomeError   = "error" // transport or server errors after retries
)

// ExtractError is an extractor failure with its outcome, so the engine can
// record it and route the flow to on_error.
type ExtractError struct {
	Outcome string
	Err     error
}

func (e *ExtractError) Error() string { return e.Outcome + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ExtractError) Unwrap() error { return e.Err }
