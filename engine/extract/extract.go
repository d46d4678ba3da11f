// Package extract owns the extractors behind core.Extractor: the offline
// one, which reads numbers, areas, emails, phone numbers, postal codes,
// dates, yes/no answers and enum values out of text with plain rules, and
// the OpenAI one, which sends text and photos to a Chat Completions model
// with a strict JSON Schema built from the step's fields and checks the
// reply against them. It also owns that schema (BuildSchema), its version
// hash (PromptVersion) and the reply check (Validate).
//
// The package reads; it never decides what the conversation does with a
// value (confirmation, on_error, AI records are the engine's) and it never
// logs message text, image bytes or keys.
package extract

import (
	"log/slog"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Extractor names, as recorded in ExtractResult.Extractor.
const (
	NameOffline = "offline"
	NameOpenAI  = "openai"
)

// Options chooses and configures an extractor for New.
type Options struct {
	OpenAI OpenAIOptions // used when OpenAI.APIKey is set
	Logger *slog.Logger  // default: discard; also OpenAI's logger when that has none
}

// New returns the OpenAI extractor when an API key is configured, and the
// offline one otherwise, saying so once in the log.
func New(opts Options) core.Extractor {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.OpenAI.APIKey != "" {
		if opts.OpenAI.Logger == nil {
			opts.OpenAI.Logger = log
		}
		return NewOpenAI(opts.OpenAI)
	}
	log.Info("OpenAI is not configured (no OPENAI_API_KEY): extract steps use the offline extractor, with low confidences",
		"extractor", NameOffline)
	return NewOffline()
}
