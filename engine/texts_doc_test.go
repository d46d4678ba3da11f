package engine

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestTextsDocumented: every one of the engine's own texts has its row in
// the table of flows/README.md ("The bot's own texts") with its default,
// so an editor can find what the bot says and change it under
// engine.texts.
func TestTextsDocumented(t *testing.T) {
	raw, err := os.ReadFile("../flows/README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, doc, ok := strings.Cut(string(raw), "\n## The bot's own texts\n")
	if !ok {
		t.Fatal(`flows/README.md has no section "## The bot's own texts"`)
	}
	doc, _, _ = strings.Cut(doc, "\n## ")
	ty, defaults := reflect.TypeFor[Texts](), reflect.ValueOf(DefaultTexts())
	for i := range ty.NumField() {
		key, _, _ := strings.Cut(ty.Field(i).Tag.Get("yaml"), ",")
		_, row, ok := strings.Cut(doc, "\n| `"+key+"` | ")
		if !ok {
			t.Errorf("engine.texts.%s (Texts.%s) has no row in flows/README.md's table of the bot's own texts", key, ty.Field(i).Name)
			continue
		}
		row, _, _ = strings.Cut(row, "\n")
		if def := strings.ReplaceAll(defaults.Field(i).String(), "|", `\|`); !strings.HasSuffix(row, " | "+def+" |") {
			t.Errorf("flows/README.md: the row of engine.texts.%s does not end with its default %q", key, def)
		}
	}
}
