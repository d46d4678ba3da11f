package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/allmyleads/allmyleads/engine/store"
)

// openStore opens the configured database. Without a key configured, the
// first start creates a key file beside the database (mode 0600) and says
// so on stderr. chat, serve and the record commands share it.
func openStore(cfg Config, env *cliEnv) (*store.Store, error) {
	key, created, err := store.LoadOrCreateKey(cfg.Store.Path, cfg.Store.KeyFile, env.getenv)
	if err != nil {
		return nil, err
	}
	if created != "" {
		fmt.Fprintf(env.stderr, "allmyleads: created encryption key file %s (mode 0600); keep it safe and back it up apart from the database: without it the data cannot be read\n", created)
	}
	st, err := store.Open(store.Options{Path: cfg.Store.Path, Key: key, Logger: newLogger(env)})
	if err != nil {
		if errors.Is(err, store.ErrWrongKey) {
			return nil, fmt.Errorf("%s: %w: check %s or the key file", cfg.Store.Path, store.ErrWrongKey, store.EnvKey)
		}
		return nil, err
	}
	return st, nil
}

// openExistingStore is openStore for commands that read or change records:
// they fail on a database that does not exist instead of creating one.
func openExistingStore(cfg Config, env *cliEnv) (*store.Store, error) {
	if _, err := os.Stat(cfg.Store.Path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s (use --db, or run `allmyleads chat` or `serve` first)", cfg.Store.Path)
		}
		return nil, err
	}
	return openStore(cfg, env)
}
