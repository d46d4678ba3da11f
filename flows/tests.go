package flows

import (
	"embed"
	"io/fs"
)

// The shipped flows' tests: conversations `allmyleads flow test` plays
// against them (tests/*.test.yaml, with files they send).
//
//go:embed tests
var shippedTests embed.FS

// ShippedTests returns the shipped flows' tests, *.test.yaml at the root.
func ShippedTests() fs.FS {
	sub, err := fs.Sub(shippedTests, "tests")
	if err != nil {
		// "tests" is embedded above: cannot fail.
		panic(err)
	}
	return sub
}
