package flows

import (
	"encoding/json"
	"fmt"
)

// SchemaID names the JSON Schema of flow files.
const SchemaID = "https://github.com/allmyleads/allmyleads/flows/flow.schema.json"

type object = map[string]any

// Schema returns the JSON Schema (draft 2020-12) of a flow file: its keys,
// their types and enums, and one alternative per step kind (oneOf) built
// from Kinds. Editors use it for completion and checks as you type; the
// linter remains the authority (it also checks targets, paths and loops).
func Schema() []byte {
	keys := stepKeySchemas()
	defs := object{
		"target":   object{"type": "string", "pattern": nameRE.String(), "description": "a step id of this flow, or end to end the conversation"},
		"path":     object{"type": "string", "pattern": `^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$`, "description": "a dotted variable path such as lead.name"},
		"template": object{"type": "string", "minLength": 1, "maxLength": maxTextLen, "description": `text with {{ path }} and {{ path | filter "arg" }} placeholders; filters: ` + fmt.Sprint(FilterNames)},
		"option":   optionSchema(),
		"branch":   branchSchema(),
		"extract":  extractSchema(),
		"field":    fieldSchema(),
		"faq":      faqSchema(),
	}
	for name, def := range afterSchemas() {
		defs[name] = def
	}
	var kinds []any
	for _, k := range Kinds() {
		props := object{
			"id":           keys["id"],
			"description":  keys["description"],
			string(k.Kind): kindValueSchema(k),
		}
		for _, key := range k.Keys {
			props[key] = keys[key]
			if k.Kind == KindAsk && key == "confirm_below" {
				props[key] = object{"type": "number", "minimum": 0, "maximum": maxQuantity, "description": "put a numeric answer below this to the customer once (0: never)"}
			}
			if k.Kind == KindAsk && key == "confirm" {
				props[key] = ref("template", "the question that confirms a prefilled value instead of asking; {{ value }} is the value")
			}
			if k.Kind == KindPhotos && key == "retries" {
				props[key] = object{"type": "integer", "minimum": 0, "maximum": maxRetries, "description": "messages without a photo before skip (or the offer of a person); 0: the default, 3"}
			}
		}
		required := append([]string{"id", string(k.Kind)}, k.Required...)
		name := "step_" + string(k.Kind)
		defs[name] = object{
			"title":                string(k.Kind) + " step",
			"description":          k.Doc,
			"type":                 "object",
			"properties":           props,
			"required":             required,
			"additionalProperties": false,
		}
		kinds = append(kinds, object{"$ref": "#/$defs/" + name})
	}
	defs["step"] = object{
		"description": "one step: an id and exactly one kind key",
		"type":        "object",
		"oneOf":       kinds,
	}
	schema := object{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         SchemaID,
		"title":       "AllMyLeads flow",
		"description": "A conversation flow for an AllMyLeads WhatsApp bot.",
		"type":        "object",
		"required":    []string{"flow", "steps"},
		"properties": object{
			"flow":        object{"type": "string", "pattern": nameRE.String(), "description": "the flow's unique name, used by link"},
			"description": object{"type": "string", "description": "what the flow is for"},
			"start":       object{"$ref": "#/$defs/target", "description": "id of the first step (default: the first step)"},
			"steps":       object{"type": "array", "minItems": 1, "items": object{"$ref": "#/$defs/step"}},
			"faq":         object{"type": "array", "minItems": 1, "items": object{"$ref": "#/$defs/faq"}, "description": "answers to questions customers ask while a step of this flow waits (the start flow's serve every flow)"},
		},
		"additionalProperties": false,
		"$defs":                defs,
	}
	out, err := json.MarshalIndent(schema, "", "  ")
	if err != nil {
		// Only maps, slices, strings and numbers above: cannot fail.
		panic(fmt.Sprintf("flows: marshal schema: %v", err))
	}
	return append(out, '\n')
}

func ref(def, description string) object {
	return object{"$ref": "#/$defs/" + def, "description": description}
}

// stepKeySchemas describes every step key other than the kind keys.
func stepKeySchemas() map[string]object {
	str := func(description string) object {
		return object{"type": "string", "minLength": 1, "description": description}
	}
	keys := map[string]object{
		"id":            object{"type": "string", "pattern": nameRE.String(), "not": object{"const": End}, "description": "the step's id, unique in the flow"},
		"description":   object{"type": "string", "description": "a note for the people who edit the flow; never shown"},
		"save":          ref("path", "where the answer or result is saved, e.g. lead.name"),
		"validate":      str("validator/v10 tags for the answer, plus phone, yesno, name, company, address and answer, e.g. required,name,max=80"),
		"error":         ref("template", "asked again when the answer does not fit"),
		"retries":       object{"type": "integer", "minimum": 0, "maximum": maxRetries, "description": "attempts before on_error or the next step (0: the default, 3)"},
		"options":       object{"type": "array", "minItems": 1, "items": object{"$ref": "#/$defs/option"}, "description": "on WhatsApp up to 3 show as buttons, 4 to 10 as a list, more as numbered lines; other channels show what they can"},
		"min":           object{"type": "integer", "minimum": 0, "maximum": 100, "description": "fewest photos (default 1)"},
		"max":           object{"type": "integer", "minimum": 1, "maximum": 100, "description": "most photos (default 10)"},
		"done_word":     str("the word that ends photo collection early (default done)"),
		"else":          ref("target", "where to go when no branch holds (default: the next step)"),
		"accept":        ref("target", "where to go when the customer accepts"),
		"decline":       ref("target", "where to go when the customer declines"),
		"accept_title":  object{"type": "string", "minLength": 1, "description": "the accept button's title (WhatsApp buttons show 20 characters)"},
		"decline_title": object{"type": "string", "minLength": 1, "description": "the decline button's title (WhatsApp buttons show 20 characters)"},
		"purpose":       object{"type": "string", "pattern": `^[A-Za-z0-9_]+$`, "description": "what the consent is for, e.g. quote_processing"},
		"confirm_below": object{"type": "number", "minimum": 0, "maximum": 1, "description": "ask the customer to confirm values read with less confidence than this"},
		"confirm":       ref("template", "the confirmation question; {{ field }} (its description), {{ name }} and {{ value }} are available"),
		"unit":          object{"type": "string", "enum": AskUnits(), "description": "the unit a numeric answer is asked in; answers in other units (sq ft, 4 x 10 m) are converted to it"},
		"confirm_above": object{"type": "number", "minimum": 0, "maximum": maxQuantity, "description": "put a numeric answer above this to the customer once (0: never)"},
		"range":         object{"type": "string", "enum": RangeRules(), "description": "what a range answer (30-40) gets: ask which number (default), or take the low end, the high end or the middle"},
		"next":          ref("target", "the step after this one (default: the step below; end ends the conversation)"),
		"on_error":      ref("target", "where to go when the step fails: retries used up, plugin or extractor error"),
	}
	for k, v := range afterKeySchemas() {
		keys[k] = v
	}
	for k, v := range wayOutKeySchemas() {
		keys[k] = v
	}
	return keys
}

func kindValueSchema(k KindSpec) object {
	switch {
	case k.Text:
		max := maxTextLen
		switch k.Kind {
		case KindChoice, KindConfirmQuote, KindConsent:
			max = maxInteractiveLen
		}
		return object{"type": "string", "minLength": 1, "description": fmt.Sprintf("%s (a template; WhatsApp takes %d characters here, longer texts go in parts)", k.Doc, max)}
	case k.Kind == KindIf:
		return object{"type": "array", "minItems": 1, "items": object{"$ref": "#/$defs/branch"}, "description": k.Doc}
	case k.Kind == KindExtract:
		return ref("extract", k.Doc)
	case k.Kind == KindPlugin:
		return object{"type": "string", "pattern": pluginRefRE.String(), "description": k.Doc + ", e.g. pricing.quote"}
	case k.Kind == KindLink:
		return object{"type": "string", "pattern": nameRE.String(), "description": k.Doc}
	}
	return object{"description": k.Doc}
}

func optionSchema() object {
	return object{
		"type":     "object",
		"required": []string{"id", "title"},
		"properties": object{
			"id":          object{"type": "string", "minLength": 1, "maxLength": maxOptionID, "description": "what is saved when picked"},
			"title":       object{"type": "string", "minLength": 1, "description": "what the customer sees (WhatsApp shows 20 characters on buttons, 24 in lists)"},
			"description": object{"type": "string", "description": "a second line, shown in lists (WhatsApp shows 72 characters)"},
			"next":        ref("target", "where to go when picked (default: the step's next)"),
		},
		"additionalProperties": false,
	}
}

func branchSchema() object {
	return object{
		"type":     "object",
		"required": []string{"when", "next"},
		"properties": object{
			"when": object{"type": "string", "minLength": 1, "description": "a Lua expression over the variables, e.g. project.service == 'roofing'"},
			"next": ref("target", "where to go when it holds"),
		},
		"additionalProperties": false,
	}
}

func extractSchema() object {
	return object{
		"type":     "object",
		"required": []string{"from", "fields"},
		"properties": object{
			"from":         ref("path", "the variable holding the photos or text to read"),
			"instructions": object{"type": "string", "description": "what to look for, in plain words"},
			"fields": object{
				"type":                 "object",
				"minProperties":        1,
				"propertyNames":        object{"pattern": `^[A-Za-z_][A-Za-z0-9_]*$`},
				"additionalProperties": object{"$ref": "#/$defs/field"},
				"description":          "the values to read, by name",
			},
		},
		"additionalProperties": false,
	}
}

func fieldSchema() object {
	types := append(FieldTypes(), "enum")
	return object{
		"oneOf": []any{
			object{"type": "string", "enum": types, "description": "shorthand: just the type"},
			object{
				"type": "object",
				"properties": object{
					"type":        object{"type": "string", "enum": types, "description": "the value's type (default string)"},
					"description": object{"type": "string", "description": "what the value means"},
					"enum":        object{"type": "array", "minItems": 1, "uniqueItems": true, "items": object{"type": "string"}, "description": "the allowed values (type string or enum)"},
					"required":    object{"type": "boolean", "description": "fail the step (on_error) when the value is not found"},
					"list":        object{"type": "boolean", "description": "a list of values"},
				},
				"additionalProperties": false,
			},
		},
	}
}

// wayOutKeySchemas describes the keys that give a waiting step its way on.
func wayOutKeySchemas() map[string]object {
	path := ref("path", "a variable whose value, when already known, is confirmed instead of asked")
	return map[string]object{
		"skip":    ref("target", `photos: where a customer goes who has no photos ("no photos", "can't", "later"), or who sent none after retries reminders`),
		"unknown": ref("target", `ask: where "I don't know" or "not sure" goes (default: an optional question moves on, a required one offers a person)`),
		"prefill": object{
			"description": "ask: variables (the first known one wins) whose value is confirmed in one short question instead of asked again, e.g. lead.email or a size read from the description",
			"oneOf":       []any{path, object{"type": "array", "minItems": 1, "uniqueItems": true, "items": path}},
		},
	}
}

func faqSchema() object {
	return object{
		"type":     "object",
		"required": []string{"id", "match", "answer"},
		"properties": object{
			"id": object{"type": "string", "pattern": nameRE.String(), "description": "names the entry, for translations"},
			"match": object{
				"description": "words or phrases (any language): a question holding one gets this answer",
				"oneOf": []any{
					object{"type": "string", "minLength": 1},
					object{"type": "array", "minItems": 1, "uniqueItems": true, "items": object{"type": "string", "minLength": 1}},
				},
			},
			"answer": ref("template", "what the bot answers; then it asks its question again"),
		},
		"additionalProperties": false,
	}
}
