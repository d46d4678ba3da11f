package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// waPayload is a WhatsApp Cloud API webhook body carrying one text message
// from each of the given wa_ids, with their contact cards.
func waPayload(waIDs ...string) string {
	var contacts, messages []string
	for i, id := range waIDs {
		p := personFor("+" + id)
		contacts = append(contacts, fmt.Sprintf(`{"profile":{"name":%q},"wa_id":%q}`, p.name, id))
		messages = append(messages, fmt.Sprintf(`{"from":%q,"id":"wamid.%d","timestamp":"1733480000","type":"text","text":{"body":%q}}`, id, i, p.text))
	}
	return `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
		`"metadata":{"display_phone_number":"15550009999","phone_number_id":"106540352242922"},` +
		`"contacts":[` + join(contacts) + `],"messages":[` + join(messages) + `]}}]}]}`
}

func join(parts []string) string {
	var b bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p)
	}
	return b.String()
}

func TestEraseCutsTheContactFromPendingWebhooks(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	me, other := "15550100123", "15550000002"
	status := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
		`"statuses":[{"id":"wamid.out","status":"delivered","timestamp":"1733480001","recipient_id":"` + me + `"}]}}]}]}`
	payloads := []struct {
		name, body string
		want       string // "gone", "same" or "cut"
	}{
		// Cut to an empty husk the worker will find nothing in: the store
		// does not know which parts of a channel's payload matter.
		{"only the erased contact", waPayload(me), "cut"},
		{"batched with another customer", waPayload(other, me), "cut"},
		{"another customer only", waPayload(other), "same"},
		{"a status of a reply to the erased contact", status, "cut"},
		{"not JSON but holding the number", "from=" + me + "&text=" + testText, "gone"},
		{"a mention outside any array", `{"from":"+` + me + `","note":"x"}`, "gone"},
		{"the digits only inside a longer number", waPayload("4" + me), "same"},
	}
	ids := map[string]string{}
	for _, p := range payloads {
		id, err := td.AddInbox(ctx, "whatsapp", []byte(p.body), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = p.name
	}
	rep, err := td.Erase(ctx, testPhone, "owner")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Inbox != 5 {
		t.Errorf("report counts %d pending webhook payloads, want 5", rep.Inbox)
	}
	items, err := td.PendingInbox(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	left := map[string][]byte{}
	for _, it := range items {
		left[ids[it.ID]] = it.Body
	}
	for _, p := range payloads {
		body, ok := left[p.name]
		switch {
		case p.want == "gone" && ok:
			t.Errorf("%s: payload still pending: %s", p.name, body)
		case p.want != "gone" && !ok:
			t.Errorf("%s: payload removed, want it kept", p.name)
		case p.want == "same" && !bytes.Equal(body, []byte(p.body)):
			t.Errorf("%s: payload changed:\n%s", p.name, body)
		case p.want == "cut" && (bytes.Contains(body, []byte(me)) || bytes.Contains(body, []byte(testName)) || bytes.Contains(body, []byte(testText))):
			t.Errorf("%s: the erased contact is still in it:\n%s", p.name, body)
		}
	}
	// The other customer's message and card survive the cut, still a
	// well-formed webhook.
	var batch struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Contacts []struct {
						WaID string `json:"wa_id"`
					} `json:"contacts"`
					Messages []struct {
						From string `json:"from"`
						Text struct{ Body string }
					} `json:"messages"`
					Statuses []json.RawMessage `json:"statuses"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(left["batched with another customer"], &batch); err != nil {
		t.Fatal(err)
	}
	v := batch.Entry[0].Changes[0].Value
	if len(v.Contacts) != 1 || v.Contacts[0].WaID != other || len(v.Messages) != 1 || v.Messages[0].From != other || v.Messages[0].Text.Body != personFor("+"+other).text {
		t.Errorf("batched payload after the cut = %+v", v)
	}
	if err := json.Unmarshal(left["a status of a reply to the erased contact"], &batch); err != nil || len(batch.Entry[0].Changes[0].Value.Statuses) != 0 {
		t.Errorf("status payload after the cut: %v %s", err, left["a status of a reply to the erased contact"])
	}
	held := td.plaintexts(t)
	for _, s := range []string{testName, testText} {
		if bytes.Contains(held, []byte(s)) {
			t.Errorf("after erase the store still holds %q", s)
		}
	}
	// Erasing again finds nothing more in the inbox.
	if rep, err := td.Erase(ctx, testPhone, "owner"); err != nil || rep.Inbox != 0 {
		t.Errorf("second erase: %v, inbox %d", err, rep.Inbox)
	}
}
