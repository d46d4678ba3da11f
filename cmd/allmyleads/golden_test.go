package main

import (
	"testing"

	goldenfile "github.com/allmyleads/allmyleads/internal/golden"
)

// golden compares got with the golden file at path, or rewrites it when the
// tests run with -update (go test ./cmd/allmyleads -update): it is
// internal/golden's Check, under the name this package's tests call.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	goldenfile.Check(t, path, got)
}
