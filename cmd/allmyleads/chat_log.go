package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// chatLogs decides where the terminal chat's logs go, so they never land
// in the conversation on the screen: to the file named by --log (appended;
// "-" is stderr), else to stderr when ALLMYLEADS_LOG asks for a level,
// else nowhere. It returns an env whose logger writes there, and a close
// for the file.
func chatLogs(env *cliEnv, path string) (*cliEnv, func() error, error) {
	e := *env
	switch {
	case path == "-":
		e.logs = env.stderr
	case path != "":
		if env.cwd != "" && !filepath.IsAbs(path) {
			path = filepath.Join(env.cwd, path)
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, nil, fmt.Errorf("--log: %w", err)
			}
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("--log: %w", err)
		}
		e.logs = f
		return &e, f.Close, nil
	case env.getenv("ALLMYLEADS_LOG") != "":
		e.logs = env.stderr
	default:
		e.logs = io.Discard
	}
	return &e, func() error { return nil }, nil
}
