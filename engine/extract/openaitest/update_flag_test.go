package openaitest

// The repository's tests share one -update flag; registering it here lets
// `go test ./... -update` run across every package.
import _ "github.com/allmyleads/allmyleads/internal/golden"
