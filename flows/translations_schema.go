package flows

import (
	"encoding/json"
	"fmt"
)

// TranslationSchemaID names the JSON Schema of translation files.
const TranslationSchemaID = "https://github.com/allmyleads/allmyleads/flows/translation.schema.json"

// TranslationSchema returns the JSON Schema (draft 2020-12) of a
// translation file (translations/LANG.yaml beside the flows). Flow, step
// and FAQ names are the flows' own, which a schema cannot know: the linter
// checks them.
func TranslationSchema() []byte {
	text := object{"type": "string", "minLength": 1}
	title := object{"type": "string", "minLength": 1, "description": "a button's or option's title (WhatsApp shows 20 characters on buttons, 24 in lists)"}
	stepProps := object{
		"error":         object{"$ref": "#/$defs/text", "description": "the step's error text"},
		"confirm":       object{"$ref": "#/$defs/text", "description": "the step's confirm text"},
		"accept_title":  title,
		"decline_title": title,
		"options": object{
			"type":        "object",
			"description": "option ids and their titles, or { title, description }",
			"additionalProperties": object{"oneOf": []any{
				title,
				object{"type": "object", "required": []string{"title"}, "additionalProperties": false,
					"properties": object{"title": title, "description": object{"type": "string"}}},
			}},
		},
		"fields": object{"type": "object", "description": "an extract step's field names and how customers read them in a confirmation", "additionalProperties": text},
		"after":  object{"type": "array", "description": "the say texts of the step's after entries, in order", "items": object{"$ref": "#/$defs/text"}},
	}
	for _, k := range Kinds() {
		if k.Text {
			stepProps[string(k.Kind)] = object{"$ref": "#/$defs/text", "description": "the text of a " + string(k.Kind) + " step"}
		}
	}
	schema := object{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         TranslationSchemaID,
		"title":       "AllMyLeads flow translation",
		"description": "The flows' texts in one language, keyed by flow, step id and field; beside the flows in translations/LANG.yaml.",
		"type":        "object",
		"properties": object{
			"language": object{"type": "string", "pattern": langRE.String(), "not": object{"const": SourceLanguage}, "description": "ISO 639-1 code; the file's name without .yaml"},
			"flows": object{
				"type":                 "object",
				"description":          "flow names, then step ids",
				"additionalProperties": object{"type": "object", "additionalProperties": object{"$ref": "#/$defs/step"}},
			},
			"faq": object{
				"type":        "object",
				"description": "flow names, then faq ids, then the answer (or { answer, match })",
				"additionalProperties": object{"type": "object", "additionalProperties": object{"oneOf": []any{
					object{"$ref": "#/$defs/text"},
					object{"type": "object", "required": []string{"answer"}, "additionalProperties": false, "properties": object{
						"answer": object{"$ref": "#/$defs/text"},
						"match":  object{"type": "array", "minItems": 1, "items": text, "description": "more words that make a question this one"},
					}},
				}}},
			},
			"engine": object{"type": "object", "description": "the engine's own texts by their name (opted_out, handoff, ...)", "additionalProperties": object{"$ref": "#/$defs/text"}},
		},
		"additionalProperties": false,
		"$defs": object{
			"text": object{"type": "string", "minLength": 1, "maxLength": maxTextLen, "description": "text with {{ path }} placeholders, as in the flows"},
			"step": object{
				"description": "a step's text alone, or its texts by key",
				"oneOf": []any{
					object{"$ref": "#/$defs/text"},
					object{"type": "object", "minProperties": 1, "properties": stepProps, "additionalProperties": false},
				},
			},
		},
	}
	out, err := json.MarshalIndent(schema, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("flows: marshal translation schema: %v", err))
	}
	return append(out, '\n')
}
