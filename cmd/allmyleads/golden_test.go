package main

import goldenfile "github.com/allmyleads/allmyleads/internal/golden"

// golden compares got with the golden file at path, or rewrites it when the
// tests run with -update (go test ./cmd/allmyleads -update); see
// internal/golden, which registers the flag.
var golden = goldenfile.Check
