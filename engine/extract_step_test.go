package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/engine/extract"
	"github.com/allmyleads/allmyleads/engine/extract/openaitest"
)

// TestExtractStepWithOpenAI runs the extract step through the engine
// against the OpenAI double, for every way the API can answer, and checks
// what the customer is told and the AI processing record that is kept.
func TestExtractStepWithOpenAI(t *testing.T) {
	roof := map[string]any{"area_m2": 42, "material": "tiles"}
	cases := []struct {
		name    string
		answers []openaitest.Answer
		replies []string // the customer's answers after "done"
		want    string   // the bot's last words
		outcome string
		tokens  bool // the record carries token counts
	}{
		{"good", []openaitest.Answer{openaitest.Good(roof)}, nil, "Area 42 m², material tiles.", engine.OutcomeOK, true},
		{"low confidence confirmed", []openaitest.Answer{openaitest.LowConfidence(roof)}, []string{"yes", "1"}, "Area 42 m², material tiles.", engine.OutcomeOK, true},
		{"low confidence corrected", []openaitest.Answer{openaitest.LowConfidence(roof)}, []string{"no", "38 m2", "yes"}, "Area 38 m², material tiles.", engine.OutcomeOK, true},
		{"schema broken twice", []openaitest.Answer{openaitest.BadJSON(), openaitest.BadJSON()}, []string{"40"}, "Area 40 m², material unknown.", engine.OutcomeInvalid, true},
		{"schema broken once", []openaitest.Answer{openaitest.BadJSON(), openaitest.Good(roof)}, nil, "Area 42 m², material tiles.", engine.OutcomeOK, true},
		{"refusal", []openaitest.Answer{openaitest.Refusal()}, []string{"40"}, "Area 40 m², material unknown.", engine.OutcomeRefused, false},
		{"rate limited then good", []openaitest.Answer{openaitest.RateLimit(1), openaitest.Good(roof)}, nil, "Area 42 m², material tiles.", engine.OutcomeOK, true},
		{"server errors", []openaitest.Answer{openaitest.ServerError(), openaitest.ServerError(), openaitest.ServerError()}, []string{"40"}, "Area 40 m², material unknown.", engine.OutcomeError, false},
		{"hang past the timeout", []openaitest.Answer{openaitest.Hang()}, []string{"40"}, "Area 40 m², material unknown.", engine.OutcomeTimeout, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Waits between retries are skipped (Sleep), so only the hang
			// spends the timeout.
			timeout := 5 * time.Second
			if tc.outcome == engine.OutcomeTimeout {
				timeout = 300 * time.Millisecond
			}
			api := openaitest.New(t)
			api.Reply(tc.answers...)
			xt := extract.NewOpenAI(extract.OpenAIOptions{
				APIKey: "sk-test", BaseURL: api.URL, Model: "gpt-4o-mini", Timeout: timeout, MaxRetries: 2,
				Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
			})
			h := enginetest.New(t, enginetest.Options{FlowsDir: "testdata/extract_openai/flows", Extractor: xt})
			const phone = enginetest.DefaultContact
			h.Say(phone, "hi")
			h.Send(h.Photo(phone, []byte("\xff\xd8\xff\xe0 a small jpeg of a roof"), ""))
			out := h.Say(phone, "done")
			if tc.outcome != engine.OutcomeOK && !strings.Contains(enginetest.Format(out), "Roughly how many square metres") {
				t.Fatalf("after a failed extraction the customer should be asked for the area, got:\n%s", enginetest.Format(out))
			}
			for _, r := range tc.replies {
				out = h.Say(phone, r)
			}
			if got := enginetest.Format(out); !strings.Contains(got, tc.want) {
				t.Fatalf("bot said:\n%s\nwant %q", got, tc.want)
			}
			exp, err := h.Store.Export(context.Background(), phone)
			if err != nil {
				t.Fatal(err)
			}
			if len(exp.AIRecords) != 1 {
				t.Fatalf("want one AI record, got %d", len(exp.AIRecords))
			}
			rec := exp.AIRecords[0]
			if rec.Outcome != tc.outcome || rec.Extractor != "openai" || rec.PromptVersion == "" {
				t.Fatalf("AI record: outcome=%q extractor=%q prompt=%q, want outcome %q", rec.Outcome, rec.Extractor, rec.PromptVersion, tc.outcome)
			}
			if tc.tokens && rec.PromptTokens == 0 {
				t.Fatalf("AI record lacks token counts: %+v", rec)
			}
			if tc.outcome == engine.OutcomeOK && rec.Fields["area_m2"].Value == nil {
				t.Fatalf("AI record lacks the field values: %+v", rec.Fields)
			}
			for _, req := range api.Requests() {
				if len(req.ImageURLs()) != 1 || !strings.HasPrefix(req.ImageURLs()[0], "data:image/jpeg;base64,") {
					t.Fatalf("request should carry the photo as a data URL, got %v", req.ImageURLs())
				}
			}
		})
	}
}
