package flows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlowFileTooLarge: a flow file over MaxFileSize is refused unread,
// with an error naming the file and the limit, and the other files load.
func TestFlowFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	body := "flow: big\nsteps:\n" + strings.Repeat("  - { id: s, say: hi }\n", MaxFileSize/20)
	if err := os.WriteFile(big, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "greeting.yaml"), []byte("flow: greeting\nsteps:\n  - id: hi\n    say: Hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	set, diags := Load(dir)
	var got string
	for _, d := range diags {
		got += d.String() + "\n"
	}
	if !diags.HasErrors() || !strings.Contains(got, big+": error: flow file is") || !strings.Contains(got, "at most 1024 KB") {
		t.Fatalf("diagnostics:\n%s", got)
	}
	if set.Flow("greeting") == nil {
		t.Error("the other file did not load")
	}
}
