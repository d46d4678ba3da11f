package whatsapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/internal/golden"
)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// eachFixture runs fn as a subtest NAME for every fixture NAME.json that
// pattern matches, with the path of its golden file NAME.golden beside it.
func eachFixture(t *testing.T, pattern string, fn func(t *testing.T, path, goldenPath string)) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures match %s: %v", pattern, err)
	}
	for _, f := range files {
		base := strings.TrimSuffix(f, ".json")
		t.Run(filepath.Base(base), func(t *testing.T) { fn(t, f, base+".golden") })
	}
}

// TestParseWebhook parses every fixture in testdata/webhooks and compares
// the batch with its golden file.
func TestParseWebhook(t *testing.T) {
	eachFixture(t, "testdata/webhooks/*.json", func(t *testing.T, path, goldenPath string) {
		b, err := ParseWebhook(mustRead(t, path))
		if err != nil {
			t.Fatalf("ParseWebhook: %v", err)
		}
		golden.Check(t, goldenPath, mustJSON(t, b))
	})
}

// TestParseWebhookInvalid checks that each broken fixture fails with an
// error that names the field, or, when only part of it is broken, that the
// broken messages are rejected by path, as its golden file says.
func TestParseWebhookInvalid(t *testing.T) {
	eachFixture(t, "testdata/webhooks/invalid/*.json", func(t *testing.T, path, goldenPath string) {
		b, err := ParseWebhook(mustRead(t, path))
		if err != nil {
			if !errors.Is(err, ErrPayload) {
				t.Errorf("error %v is not ErrPayload", err)
			}
			golden.Check(t, goldenPath, []byte(err.Error()+"\n"))
			return
		}
		if len(b.Rejected) == 0 {
			t.Fatalf("ParseWebhook read everything: %+v", b)
		}
		var out strings.Builder
		for _, r := range b.Rejected {
			fmt.Fprintf(&out, "rejected %s: %s\n", r.Path, r.Error)
		}
		fmt.Fprintf(&out, "read %d messages, %d statuses\n", len(b.Messages), len(b.Statuses))
		golden.Check(t, goldenPath, []byte(out.String()))
	})
}

// TestParseMetaExamples parses the payloads Meta publishes (kept in
// /work/shared) when they are present, so the parser is checked against
// what Meta really sends, not only against our own fixtures.
func TestParseMetaExamples(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/whatsapp-examples/*.json")
	if len(files) == 0 {
		t.Skip("Meta's examples are not beside the repository")
	}
	want := map[string]core.InboundKind{
		"message-button.json":                   core.InButton,
		"message-contacts.json":                 core.InContacts,
		"message-image.json":                    core.InImage,
		"message-interactive-button_reply.json": core.InButton,
		"message-interactive-list_reply.json":   core.InList,
		"message-location.json":                 core.InLocation,
		"message-order.json":                    core.InUnsupported,
		"message-reaction.json":                 core.InReaction,
		"message-system.json":                   core.InSystem,
		"message-text-2.json":                   core.InText,
		"message-text-3.json":                   core.InText,
		"message-text.json":                     core.InText,
		"message-unsupported.json":              core.InUnsupported,
		"group_lifecycle_update.json":           "",
		"group_participants_update.json":        "",
		"group_settings_update.json":            "",
	}
	for _, f := range files {
		base := filepath.Base(f)
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseWebhook(body)
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		kind, known := want[base]
		if !known {
			t.Errorf("%s: new example; add it to this test", base)
			continue
		}
		if kind == "" {
			if len(b.Messages) != 0 {
				t.Errorf("%s: got %d messages from a non-messages field", base, len(b.Messages))
			}
			continue
		}
		if len(b.Messages) != 1 || b.Messages[0].Kind != kind || b.Messages[0].Contact != "whatsapp:16505551234" {
			t.Errorf("%s: got %+v, want one %s message from whatsapp:16505551234", base, b.Messages, kind)
		}
	}
}

func TestParseUnsubscribeIsOptOut(t *testing.T) {
	for _, payload := range []string{"Unsubscribe", "UNSUBSCRIBE", " unsubscribe "} {
		body := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
			"messaging_product":"whatsapp","metadata":{"phone_number_id":"1"},
			"messages":[{"from":"447700900123","id":"wamid.1","timestamp":"1764000000","type":"button",
			"button":{"payload":` + string(mustJSON(t, payload)) + `,"text":"Unsubscribe"}}]}}]}]}`
		b, err := ParseWebhook([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		in := b.Messages[0]
		if in.Kind != core.InButton || in.Text != OptOutText {
			t.Errorf("payload %q: got kind %s text %q, want button with %q", payload, in.Kind, in.Text, OptOutText)
		}
	}
	b, err := ParseWebhook(mustRead(t, "testdata/webhooks/button.json"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Messages[0].Text != "" {
		t.Errorf("an ordinary quick reply got text %q", b.Messages[0].Text)
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzParseWebhook checks that no input makes the parser panic, that every
// failure is a PayloadError, and that every parsed message has what the
// engine relies on.
func FuzzParseWebhook(f *testing.F) {
	files, _ := filepath.Glob("testdata/webhooks/*.json")
	more, _ := filepath.Glob("testdata/webhooks/invalid/*.json")
	for _, p := range append(files, more...) {
		f.Add(mustRead(f, p))
	}
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"1234567","id":"x","timestamp":1}]}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := ParseWebhook(body)
		if err != nil {
			if !errors.Is(err, ErrPayload) {
				t.Fatalf("error %v is not a PayloadError", err)
			}
			return
		}
		for _, in := range b.Messages {
			if in.ID == "" || in.Channel != ChannelName || in.Kind == "" || in.Time.IsZero() {
				t.Fatalf("incomplete message %+v", in)
			}
			if u, err := core.NormalizeURN(in.Contact); err != nil || u != in.Contact || !strings.HasPrefix(u, "whatsapp") {
				t.Fatalf("contact %q not a normalised WhatsApp URN", in.Contact)
			}
		}
		for _, s := range b.Statuses {
			if s.MessageID == "" || s.Status == "" {
				t.Fatalf("incomplete status %+v", s)
			}
		}
	})
}
