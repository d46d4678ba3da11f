package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/flows"
)

// extract reads fields from photos or text with the Extractor (OpenAI, or
// the offline reader without an API key) and saves each value at
// SAVE.FIELD. Values read with a confidence under confirm_below are put to
// the customer with Yes/No buttons; No asks for the right value. Every call
// is recorded as an AI processing record. A failure, or a required field
// not found, goes to on_error.
//
//   - id: read_photos
//     extract:
//     from: project.photos
//     instructions: "Estimate the roof area in square metres and the roofing material."
//     fields:
//     area_m2:  { type: number, description: "roof area in m²", required: true }
//     material: { type: string, enum: [tiles, metal, shingles, flat, unknown] }
//     save: project.estimate
//     confirm_below: 0.7
//     on_error: ask_size
func init() {
	registerStep(flows.KindExtract, stepKind{enter: enterExtract, answer: answerExtract, again: againExtract})
}

// againExtract repeats the pending confirmation (or the request for the
// right value) without calling the extractor again.
func againExtract(t *turn, s *flows.Step) outcome {
	if asking, _ := t.sess.Scratch["asking"].(bool); asking {
		pending, _ := t.sess.Scratch["confirm"].([]any)
		if len(pending) > 0 {
			name, _ := pending[0].(string)
			t.say(t.e.cfg.Texts.ExtractAskValue, map[string]any{"field": t.fieldLabel(s, fieldNamed(s, name))})
			return wait()
		}
	}
	return t.confirmNext(s)
}

func enterExtract(t *turn, s *flows.Step) outcome {
	if t.e.deps.Extractor == nil || s.Extract == nil {
		return t.failStep(s, "extract", errors.New("no extractor configured"))
	}
	req, err := t.extractRequest(s)
	if err != nil {
		return t.failStep(s, "extract", err)
	}
	ctx, cancel := context.WithTimeout(t.ctx, t.e.cfg.ExtractTimeout)
	defer cancel()
	started, wall := t.e.deps.Clock(), time.Now()
	res, err := t.e.deps.Extractor.Extract(ctx, req)
	took := time.Since(wall)
	rec := AIRecord{ID: t.e.deps.NewID("ai_"), Contact: t.sess.Contact, Time: t.now, Latency: t.e.deps.Clock().Sub(started), Outcome: OutcomeOK}
	if res != nil {
		rec.Extractor, rec.Model, rec.PromptVersion = res.Extractor, res.Model, res.PromptVersion
		rec.PromptTokens, rec.OutputTokens, rec.Fields = res.PromptTokens, res.OutputTokens, res.Fields
	}
	if err != nil {
		rec.Outcome, rec.Error = OutcomeError, err.Error()
		var xe *ExtractError
		if errors.As(err, &xe) {
			rec.Outcome = xe.Outcome
		} else if errors.Is(err, context.DeadlineExceeded) {
			rec.Outcome = OutcomeTimeout
		}
		t.ai = append(t.ai, rec)
		t.e.observeExtract(rec, took)
		return t.failStep(s, "extract", err)
	}
	t.ai = append(t.ai, rec)
	t.e.observeExtract(rec, took)

	var missing []string
	var unsure []any
	for _, f := range s.Extract.Fields {
		r, ok := res.Fields[f.Name]
		if !ok || r.Value == nil {
			if f.Required {
				missing = append(missing, f.Name)
			}
			continue
		}
		t.setVar(s.Save+"."+f.Name, r.Value)
		t.setReading(s.Save+"."+f.Name, r.Read)
		t.noteEvidence(s.Save+"."+f.Name, extractEvidence(req, rec, r))
		if s.ConfirmBelow > 0 && r.Confidence < s.ConfirmBelow {
			unsure = append(unsure, f.Name)
		}
	}
	if len(missing) > 0 {
		return t.failStep(s, "extract", fmt.Errorf("required field(s) not found: %s", strings.Join(missing, ", ")))
	}
	if len(unsure) == 0 {
		return next()
	}
	t.scratch("confirm", unsure)
	return t.confirmNext(s)
}

// extractRequest gathers what to read from the step's `from` variable:
// photo references (bytes loaded from the store, captions as text) or text.
func (t *turn) extractRequest(s *flows.Step) (ExtractRequest, error) {
	req := ExtractRequest{Contact: t.sess.Contact, Instructions: s.Extract.Instructions, Fields: coreFields(s.Extract.Fields)}
	v, _ := lookupPath(t.sess.Vars, s.Extract.From)
	switch x := v.(type) {
	case string:
		req.Texts = append(req.Texts, x)
	case []any:
		for _, item := range x {
			switch ref := item.(type) {
			case string:
				req.Texts = append(req.Texts, ref)
			case map[string]any:
				if c, _ := ref["caption"].(string); c != "" {
					req.Texts = append(req.Texts, c)
				}
				id, _ := ref["id"].(string)
				if id == "" {
					continue
				}
				m, err := t.e.deps.Store.Media(t.ctx, id)
				if err != nil {
					return req, fmt.Errorf("load photo %s: %w", id, err)
				}
				req.Images = append(req.Images, *m)
			}
		}
	case nil:
		return req, fmt.Errorf("%s: nothing saved at %q to read from", s.KeyPos("extract"), s.Extract.From)
	default:
		req.Texts = append(req.Texts, fmt.Sprint(x))
	}
	return req, nil
}

// confirmNext asks about the first value still to confirm, or moves on.
func (t *turn) confirmNext(s *flows.Step) outcome {
	pending, _ := t.sess.Scratch["confirm"].([]any)
	if len(pending) == 0 {
		return next()
	}
	name, _ := pending[0].(string)
	f := fieldNamed(s, name)
	value, _ := lookupPath(t.sess.Vars, s.Save+"."+name)
	tpl := t.e.text(t.e.cfg.Texts.ExtractConfirm)
	if s.Confirm != nil {
		tpl = s.Confirm
	}
	shown := displayValue(value)
	if read, _ := lookupPath(t.sess.Vars, s.Save+"."+name+readSuffix); read != nil && read != "" {
		shown += fmt.Sprintf(" (%v)", read) // 3.72 (40 ft²)
	}
	extra := map[string]any{"field": t.fieldLabel(s, f), "value": shown, "name": name}
	t.send(Outbound{Kind: OutButtons, Text: t.render(tpl, extra), Options: t.yesNo()})
	return wait()
}

func answerExtract(t *turn, s *flows.Step, in *Inbound) outcome {
	pending, _ := t.sess.Scratch["confirm"].([]any)
	if len(pending) == 0 {
		return next()
	}
	name, _ := pending[0].(string)
	f := fieldNamed(s, name)
	if asking, _ := t.sess.Scratch["asking"].(bool); asking {
		v, read, ok := parseFieldValue(f, answerText(in))
		if !ok {
			reask := func() { t.say(t.e.cfg.Texts.ExtractAskValue, map[string]any{"field": t.fieldLabel(s, f)}) }
			return t.retry(s, reask, t.keepAsking(reask))
		}
		t.setVar(s.Save+"."+name, v)
		t.setReading(s.Save+"."+name, read)
		t.noteEvidence(s.Save+"."+name, Evidence{Source: "answer", Value: v})
		t.scratch("asking", false)
		t.scratch("confirm", pending[1:])
		return t.confirmNext(s)
	}
	yes, ok := t.e.yesOrNo(in)
	if !ok {
		// No clear yes or no after the retries: keep what was read.
		return t.retry(s, func() { t.confirmNext(s) }, func() outcome {
			t.scratch("confirm", pending[1:])
			return t.confirmNext(s)
		})
	}
	if yes {
		t.confirmEvidence(s.Save + "." + name)
		t.scratch("confirm", pending[1:])
		return t.confirmNext(s)
	}
	t.scratch("asking", true)
	t.say(t.e.cfg.Texts.ExtractAskValue, map[string]any{"field": t.fieldLabel(s, f)})
	return wait()
}

func fieldNamed(s *flows.Step, name string) flows.Field {
	for _, f := range s.Extract.Fields {
		if f.Name == name {
			return f
		}
	}
	return flows.Field{Name: name, Type: "string"}
}

func fieldLabel(f flows.Field) string {
	if f.Description != "" {
		r, n := utf8.DecodeRuneInString(f.Description)
		return string(unicode.ToLower(r)) + f.Description[n:]
	}
	return strings.ReplaceAll(f.Name, "_", " ")
}

func displayValue(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// parseFieldValue reads a typed answer for a field the customer corrected,
// and, for a number, how it was read when that differs from what was
// typed (4 m × 10 m).
func parseFieldValue(f flows.Field, text string) (v any, read string, ok bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, "", false
	}
	switch f.Type {
	case "number", "integer":
		n, read, ok := parseFieldNumber(f, text)
		if !ok || n < 0 {
			return nil, "", false
		}
		if f.Type == "integer" {
			return float64(int64(n)), read, true
		}
		return n, read, true
	case "boolean":
		yes, ok := parseYesNo(&Inbound{Kind: InText, Text: text}, DefaultTexts())
		return yes, "", ok
	}
	if len(f.Enum) > 0 {
		for _, e := range f.Enum {
			if strings.EqualFold(e, text) {
				return e, "", true
			}
		}
		return nil, "", false
	}
	return text, "", true
}

// coreFields turns the flow's field spec into the extractor's.
func coreFields(fs []flows.Field) []core.Field {
	out := make([]core.Field, len(fs))
	for i, f := range fs {
		out[i] = core.Field{Name: f.Name, Type: f.Type, Description: f.Description, Enum: f.Enum, Required: f.Required, List: f.List}
	}
	return out
}
