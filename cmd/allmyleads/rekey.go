package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/allmyleads/allmyleads/engine/store"
)

// runRekey re-encrypts the database under the key in --new-key-file, then
// puts that key where the old one was read from (the key file), or says how
// to set it when the key came from ALLMYLEADS_ENCRYPTION_KEY. While the
// server runs it runs inside the server (admin socket): the server's open
// store takes the new key at once and its key file is replaced.
func runRekey(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "rekey", "rekey --new-key-file FILE [--actor NAME] [--db PATH] [--config FILE]")
	opts := addCommonFlags(fs, false)
	newFile := fs.String("new-key-file", "", "file with the new key (make one with `allmyleads keygen --out FILE`)")
	actor := addActorFlag(fs, env)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *newFile == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	newKey, err := store.ReadKeyFile(env.abs(*newFile))
	if err != nil {
		return failf(env.stderr, exitInput, "--new-key-file: %v", err)
	}
	cfg, st, release, err := opts.openRecords(ctx, env, "rekey", args)
	if err != nil {
		return exitOf(env, err)
	}
	bst, err := bboltOnly(st, "rekey", "changing the key is not supported yet")
	if err != nil {
		release()
		return exitOf(env, err)
	}
	if err := bst.Rekey(ctx, newKey, *actor); err != nil {
		release()
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	if err := release(); err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	fmt.Fprintf(env.stdout, "re-encrypted %s under the key in %s\n", cfg.Store.Path, *newFile)
	if env.getenv(store.EnvKey) != "" {
		fmt.Fprintf(env.stdout, "the old key came from %s: set it to the content of %s now; the old key no longer opens the database\n", store.EnvKey, *newFile)
		return exitOK
	}
	keyFile := cfg.Store.KeyFile
	if keyFile == "" {
		keyFile = cfg.Store.Path + ".key"
	}
	if err := replaceKeyFile(keyFile, newKey); err != nil {
		return failf(env.stderr, exitRuntime, "the database now needs the key in %s, but replacing %s failed: %v; copy it there by hand", *newFile, keyFile, err)
	}
	fmt.Fprintf(env.stdout, "%s now holds the new key; the old key no longer opens the database\n", keyFile)
	return exitOK
}

// replaceKeyFile writes key to path through a new file renamed over it.
func replaceKeyFile(path string, key []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new")
	os.Remove(tmp)
	if err := store.WriteKeyFile(tmp, key); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
