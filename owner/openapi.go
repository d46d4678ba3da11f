package owner

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// The OpenAPI 3.1 document of the API, written beside the handlers. Every
// route of apiRoutes has an entry in apiDocs (a test walks the router
// against the document, so a route cannot be added undocumented).

// apiDoc describes one route.
type apiDoc struct {
	summary   string
	query     []param // query parameters
	request   string  // a schema name of the request body, "" for none
	multipart bool    // also takes multipart/form-data
	response  string  // a schema name of the 2xx body, "" for none
	status    string  // the success status
	ctype     string  // the success content type, default application/json
	errors    []string
}

type param struct{ name, typ, desc string }

// apiDocs maps "METHOD /path" to its description.
var apiDocs = map[string]apiDoc{
	"GET /leads": {summary: "List leads, newest activity first, a page at a time", query: []param{
		{"tab", "string", "needs_me, bot or all"}, {"stage", "string", "one pipeline stage"},
		{"since", "string", "activity on or after this date or time"}, {"until", "string", "activity before this date or time"},
		{"q", "string", "part of a name, email or phone number"}, {"cursor", "string", "next_cursor of the previous page"},
		{"limit", "integer", "rows per page, 1 to 200 (default 50)"},
	}, response: "LeadPage", status: "200", errors: []string{"400", "401"}},
	"GET /leads/{id}":                {summary: "A lead: details, transcript with delivery status, quotes and revisions, consents, notes, timeline", response: "LeadDetail", status: "200", errors: []string{"401", "404"}},
	"PATCH /leads/{id}":              {summary: "Mark a lead lost (with a reason) or open again, or add a private note", request: "LeadPatch", response: "LeadDetail", status: "200", errors: []string{"400", "401", "403", "404"}},
	"DELETE /leads/{id}":             {summary: "Erase the customer's personal data (audited)", status: "204", errors: []string{"401", "403", "404"}},
	"POST /leads/{id}/messages":      {summary: "Reply to the customer with text, a photo or document, or an approved template (a person replying takes the conversation over). Idempotency-Key is honoured for a day.", request: "MessageRequest", multipart: true, response: "Message", status: "201", errors: []string{"400", "401", "403", "404", "409"}},
	"POST /leads/{id}/handoff":       {summary: "Take the conversation over: the bot goes quiet for this customer", response: "LeadDetail", status: "200", errors: []string{"401", "403", "404", "409"}},
	"POST /leads/{id}/release":       {summary: "Hand the conversation back to the bot; it continues where it waits", response: "LeadDetail", status: "200", errors: []string{"401", "403", "404", "409"}},
	"POST /leads/{id}/corrections":   {summary: "Correct one field of the customer's data (audited)", request: "Correction", response: "LeadDetail", status: "200", errors: []string{"400", "401", "403", "404"}},
	"GET /leads/{id}/export":         {summary: "Everything held about the customer as JSON (audited)", response: "Export", status: "200", errors: []string{"401", "404"}},
	"GET /quotes/{id}":               {summary: "A quote with its earlier revisions and evidence", response: "Quote", status: "200", errors: []string{"401", "404"}},
	"POST /quotes/{id}/revisions":    {summary: "Make a new revision: edit lines, discount, tax, validity or notes, or correct values (set) and price again; send shows it to the customer (the earlier one can no longer be accepted)", request: "Revision", response: "Quote", status: "201", errors: []string{"400", "401", "403", "404", "409"}},
	"POST /quotes/{id}/approval":     {summary: "Approve a quote held for approval: it is sent to the customer", response: "Quote", status: "200", errors: []string{"401", "403", "404", "409"}},
	"POST /quotes/{id}/outcome":      {summary: "Record what became of a quote: won, lost (with a reason) or paid (with a payment reference)", request: "Outcome", response: "Quote", status: "200", errors: []string{"400", "401", "403", "404", "409"}},
	"POST /quotes/{id}/payment-link": {summary: "Send the customer the quote's payment link (a Stripe Checkout page, or the business's own), for the deposit when one is configured", response: "Quote", status: "200", errors: []string{"401", "403", "404", "409"}},
	"GET /media/{id}": {summary: "A stored photo or file; size=thumb gives a thumbnail of a photo", query: []param{{"size", "string", "thumb for a thumbnail"}},
		status: "200", ctype: "application/octet-stream", errors: []string{"401", "404"}},
	"GET /events":             {summary: "Server-sent events: `lead` with the lead id whenever a conversation changes", status: "200", ctype: "text/event-stream", errors: []string{"401"}},
	"GET /exports/leads.csv":  {summary: "Every lead as CSV, for the accountant", status: "200", ctype: "text/csv", errors: []string{"401"}},
	"GET /exports/quotes.csv": {summary: "Every quote as CSV, for the accountant", status: "200", ctype: "text/csv", errors: []string{"401"}},
	"GET /canned-replies":     {summary: "The saved replies the reply box offers with /shortcut", response: "CannedReplies", status: "200", errors: []string{"401"}},
	"PUT /canned-replies":     {summary: "Replace the saved replies", request: "CannedReplies", response: "CannedReplies", status: "200", errors: []string{"400", "401", "403"}},
	"GET /templates":          {summary: "The approved WhatsApp templates, for replies after the 24-hour window", response: "Templates", status: "200", errors: []string{"401"}},
	"GET /audit":              {summary: "The audit log: who did what, when", query: []param{{"since", "string", "from this date or time (default 30 days ago)"}}, response: "Audit", status: "200", errors: []string{"400", "401"}},
}

var errorText = map[string]string{
	"400": "invalid input; the problem names the field",
	"401": "no valid token or console login",
	"403": "a read-only token, or a console request without its CSRF token",
	"404": "no such id",
	"409": "the conversation's state does not allow it (window closed, opted out, quote status)",
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPIDocument builds the document.
func (h *Handler) openAPIDocument() map[string]any {
	paths := map[string]any{}
	for _, rt := range h.apiRoutes() {
		d, ok := routeDoc(rt.method + " " + rt.path)
		if !ok {
			continue // the test fails for it
		}
		op := map[string]any{"summary": d.summary, "operationId": operationID(rt.method, rt.path), "security": []any{map[string]any{"bearer": []any{}}}}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, p := range d.query {
			params = append(params, map[string]any{"name": p.name, "in": "query", "description": p.desc, "schema": map[string]any{"type": p.typ}})
		}
		if rt.method == http.MethodPost && strings.HasSuffix(rt.path, "/messages") {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "schema": map[string]any{"type": "string", "maxLength": 200}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if d.request != "" {
			content := map[string]any{"application/json": map[string]any{"schema": ref(d.request)}}
			if d.multipart {
				content["multipart/form-data"] = map[string]any{"schema": map[string]any{"type": "object", "properties": map[string]any{
					"text": map[string]any{"type": "string"}, "caption": map[string]any{"type": "string"},
					"file":     map[string]any{"type": "string", "contentMediaType": "application/octet-stream"},
					"template": map[string]any{"type": "string"}, "language": map[string]any{"type": "string"}, "params": map[string]any{"type": "string", "description": "template parameters separated by |"},
				}}}
			}
			op["requestBody"] = map[string]any{"required": true, "content": content}
		}
		resp := map[string]any{}
		ok2 := map[string]any{"description": "success"}
		ctype := d.ctype
		if ctype == "" {
			ctype = "application/json"
		}
		if d.response != "" {
			ok2["content"] = map[string]any{ctype: map[string]any{"schema": ref(d.response)}}
		} else if d.status != "204" {
			ok2["content"] = map[string]any{ctype: map[string]any{"schema": map[string]any{"type": "string"}}}
		}
		resp[d.status] = ok2
		for _, e := range d.errors {
			resp[e] = map[string]any{"description": errorText[e], "content": map[string]any{"application/problem+json": map[string]any{"schema": ref("Problem")}}}
		}
		op["responses"] = resp
		path := "/api/v1" + rt.path
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(rt.method)] = op
	}
	paths["/api/v1/openapi.json"] = map[string]any{"get": map[string]any{
		"summary": "This document", "operationId": "getOpenAPI", "security": []any{},
		"responses": map[string]any{"200": map[string]any{"description": "the OpenAPI document", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}},
	}}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "AllMyLeads owner API", "version": "1",
			"description": "The business's side of AllMyLeads: leads, conversations, quotes and the customer's rights. Errors are RFC 9457 problem documents naming the field at fault. Tokens: `allmyleads token create NAME [--read-only]`."},
		"servers":    []any{map[string]any{"url": h.o.Prefix + "/"}},
		"paths":      paths,
		"components": map[string]any{"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}, "schemas": schemas()},
	}
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.Split(path, "/") {
		part = strings.Trim(part, "{}")
		for _, w := range strings.FieldsFunc(part, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func typ(t string, desc ...string) map[string]any {
	m := map[string]any{"type": t}
	if len(desc) > 0 {
		m["description"] = desc[0]
	}
	return m
}

func schemas() map[string]any {
	all := baseSchemas()
	for k, v := range alertSchemas() {
		all[k] = v
	}
	return all
}

func baseSchemas() map[string]any {
	lead := obj(map[string]any{
		"id": typ("string"), "contact": typ("string", "the contact URN, e.g. whatsapp:447700900100"), "phone": typ("string"),
		"name": typ("string"), "email": typ("string"), "company": typ("string"), "service": typ("string"), "language": typ("string"),
		"channel": typ("string"), "stage": map[string]any{"type": "string", "enum": stagesAny()}, "handler": map[string]any{"type": "string", "enum": []any{"bot", "person"}},
		"quote_id": typ("string"), "quote_status": typ("string"), "quote_revision": typ("integer"), "currency": typ("string"),
		"quote_total": typ("integer", "minor units"), "failed_sends": typ("integer"), "last_text": typ("string"),
		"created": typ("string"), "activity": typ("string"), "last_inbound": typ("string"), "display_name": typ("string"),
		"needs_me": typ("boolean"), "window_until": typ("string"), "window_open": typ("boolean"),
	}, "id", "contact", "stage", "handler")
	quote := obj(map[string]any{
		"id": typ("string"), "revision": typ("integer"), "status": typ("string"), "currency": typ("string"),
		"items": map[string]any{"type": "array", "items": obj(map[string]any{
			"description": typ("string"), "quantity": typ("number"), "unit": typ("string"), "unit_price": typ("integer"), "total": typ("integer"),
			"source": typ("string", "the variable the quantity came from; see evidence"), "rule": typ("string", "the plugin rule that priced the line"),
		})},
		"subtotal": typ("integer"), "discount": typ("integer"), "tax": typ("integer"), "total": typ("integer"), "tax_rate": typ("number"),
		"valid_until": typ("string"), "plugin": typ("string"), "evidence": typ("object", "by variable path: source (photo, text, answer, owner), value, confidence, media"),
		"held_reason": typ("string"), "lost_reason": typ("string"), "payment_ref": typ("string"), "lead": typ("string"),
		"revisions": map[string]any{"type": "array", "items": typ("object")},
	}, "id", "revision", "status", "currency", "items", "total")
	return map[string]any{
		"Problem": obj(map[string]any{"type": typ("string"), "title": typ("string"), "status": typ("integer"), "detail": typ("string"), "field": typ("string", "the request field, parameter or header at fault")}, "type", "title", "status"),
		"Lead":    lead,
		"LeadPage": obj(map[string]any{"leads": map[string]any{"type": "array", "items": ref("Lead")}, "next_cursor": typ("string"),
			"stages": map[string]any{"type": "array", "items": obj(map[string]any{"stage": typ("string"), "count": typ("integer"), "value": typ("object", "quote totals by currency, minor units")})}}, "leads", "stages"),
		"LeadDetail": obj(map[string]any{"summary": ref("Lead"), "lead": typ("object"), "contact": typ("object"), "conversation": typ("object"),
			"projects": typ("array"), "messages": typ("array", "the transcript; outbound messages carry status, sent_at, delivered_at, read_at, error"),
			"quotes": map[string]any{"type": "array", "items": ref("Quote")}, "quote_revisions": typ("array"), "consents": typ("array"),
			"opt_events": typ("array"), "ai_records": typ("array"), "notes": typ("array"), "audit": typ("array")}, "summary", "messages", "quotes"),
		"LeadPatch":  obj(map[string]any{"status": map[string]any{"type": "string", "enum": []any{"lost", "open"}}, "reason": typ("string"), "note": typ("string")}),
		"Correction": obj(map[string]any{"field": typ("string", "lead.name, lead.email, lead.company, lead.address, lead.phone or contact.name"), "value": typ("string")}, "field", "value"),
		"MessageRequest": obj(map[string]any{"text": typ("string"),
			"template": obj(map[string]any{"name": typ("string"), "language": typ("string"), "params": map[string]any{"type": "array", "items": typ("string")}}, "name"),
			"media":    obj(map[string]any{"data": typ("string", "base64"), "mime": typ("string"), "filename": typ("string"), "caption": typ("string")}, "data")}),
		"Message": obj(map[string]any{"id": typ("string"), "kind": typ("string"), "text": typ("string"), "media": typ("object"), "status": typ("string"), "author": typ("string")}, "id", "kind", "status"),
		"Quote":   quote,
		"Revision": obj(map[string]any{
			"items":    map[string]any{"type": "array", "items": obj(map[string]any{"description": typ("string"), "quantity": typ("number"), "unit": typ("string"), "unit_price": typ("integer", "minor units"), "source": typ("string"), "rule": typ("string")}, "description", "quantity", "unit_price")},
			"discount": typ("integer", "minor units off the subtotal"), "tax_rate": typ("number"), "valid_until": typ("string", "a date"), "notes": typ("string"),
			"set": typ("object", "corrected project.* values; the plugin prices the quote again"), "send": typ("boolean", "send the revision to the customer (default true)")}),
		"Outcome":       obj(map[string]any{"outcome": map[string]any{"type": "string", "enum": []any{"won", "lost", "paid"}}, "reason": typ("string"), "payment_ref": typ("string")}, "outcome"),
		"CannedReplies": obj(map[string]any{"canned_replies": map[string]any{"type": "array", "items": obj(map[string]any{"shortcut": typ("string"), "text": typ("string")}, "shortcut", "text")}}, "canned_replies"),
		"Templates":     obj(map[string]any{"templates": map[string]any{"type": "array", "items": obj(map[string]any{"name": typ("string"), "language": typ("string"), "params": typ("array")}, "name")}}, "templates"),
		"Audit":         obj(map[string]any{"audit": map[string]any{"type": "array", "items": obj(map[string]any{"time": typ("string"), "actor": typ("string"), "action": typ("string"), "contact": typ("string"), "detail": typ("string")})}}, "audit"),
		"Export":        typ("object", "the export document (allmyleads-export/v1)"),
	}
}

func stagesAny() []any {
	var out []any
	for _, s := range stageList() {
		out = append(out, s)
	}
	return out
}

func (h *Handler) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(h.openAPIDocument())
}
