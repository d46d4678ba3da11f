package main

import (
	"strings"
	"testing"
)

// TestCompactCommand compacts the database offline; the records are all
// there after it.
func TestCompactCommand(t *testing.T) {
	f := newRecordsFixture(t)
	code, out, errOut := f.run(t, "", nil, "compact")
	if code != exitOK || !strings.Contains(out, "compacted") {
		t.Fatalf("compact: exit %d %s %s", code, out, errOut)
	}
	if code, out, _ := f.run(t, "", nil, "export", "--contact", fixPhone); code != exitOK || !strings.Contains(out, "Ada Byron") {
		t.Errorf("export after compact: %d %s", code, out)
	}
}
