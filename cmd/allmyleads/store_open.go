package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
	"github.com/allmyleads/allmyleads/engine/store/postgres"
	"github.com/allmyleads/allmyleads/engine/store/seal"
)

// backend is a store as serve, chat and the engine use it: the contract's
// interfaces and what the server shows (health, metrics, the console's
// rights). The bbolt store (*store.Store) and the Postgres store
// (*postgres.Store) are backends.
type backend interface {
	core.Store
	core.Outbox
	core.Inbox
	core.Retention
	core.Records
	core.OwnerStore
	core.Timers
	core.Windows
	core.NoticeLog
	core.Funnel
	Close() error
	Ping() error
	ContactKey(contact string) string
	ChatRights() core.Rights
	Export(ctx context.Context, contact string) (*store.Export, error)
	ExportJSON(ctx context.Context, contact string) ([]byte, string, error)
	Quotes(ctx context.Context, f store.QuoteFilter) ([]core.QuoteRecord, error)
	Erase(ctx context.Context, contact, actor string) (store.EraseReport, error)
	Correct(ctx context.Context, contact, path, value, actor string) error
	Depths(ctx context.Context) (store.Depths, error)
	RecordPayment(ctx context.Context, p core.PaymentRecord, actor string) (bool, error)
	Payments(ctx context.Context, quoteID string) ([]core.PaymentRecord, error)
	LeadStatuses(ctx context.Context) (map[string]int, error)
}

var (
	_ backend = (*store.Store)(nil)
	_ backend = (*postgres.Store)(nil)
)

// recordStore is a store as the record commands use it (leads, quotes,
// export, erase, correct, consent, retention, tokens...): both stores are.
// rekey and backup need the bbolt store itself.
type recordStore interface {
	backend
	Leads(ctx context.Context, f store.LeadFilter) ([]store.Lead, error)
	MarkPaid(ctx context.Context, quoteID, ref, actor string) error
	WithdrawConsent(ctx context.Context, contact, purpose, actor string) error
}

var (
	_ recordStore = (*store.Store)(nil)
	_ recordStore = (*postgres.Store)(nil)
)

// bboltOnly gives a command that works on the bbolt file itself (rekey,
// backup) its store, or says why it cannot run on Postgres.
func bboltOnly(st recordStore, what, instead string) (*store.Store, error) {
	if b, ok := st.(*store.Store); ok {
		return b, nil
	}
	return nil, &errExit{exitInput, fmt.Errorf("%s works on the bbolt file; on the Postgres store %s", what, instead)}
}

// notifier is a store that several processes share: it tells this one
// when a payload waits for it or another process queued messages, so the
// workers wake instead of waiting for their next poll.
type notifier interface {
	OnInbox(fn func())
	OnOutbox(fn func(channel string))
}

// openBackend opens the configured store: the bbolt file, or the Postgres
// database (store.driver).
func openBackend(ctx context.Context, cfg Config, env *cliEnv) (backend, error) {
	if cfg.Store.driver() == driverPostgres {
		return openPostgres(ctx, cfg, env)
	}
	return openStore(cfg, env)
}

// openPostgres opens the Postgres store. Its key comes from
// ALLMYLEADS_ENCRYPTION_KEY or store.key_file: there is no database file
// to keep a key file beside, and every process must use the same key.
func openPostgres(ctx context.Context, cfg Config, env *cliEnv) (*postgres.Store, error) {
	key, err := postgresKey(cfg, env)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := postgres.Open(ctx, postgres.Options{
		URL: cfg.Store.URL, Schema: cfg.Store.Schema, Key: key, Logger: newLogger(env),
		MaxConns: int32(cfg.Store.MaxConns), TurnConns: int32(cfg.Engine.Workers + 4),
	})
	if err != nil {
		if errors.Is(err, postgres.ErrWrongKey) {
			return nil, fmt.Errorf("postgres store: %w: every process needs the key the database was made with (%s or store.key_file)", postgres.ErrWrongKey, seal.EnvKey)
		}
		return nil, err
	}
	return st, nil
}

// schemaName is the Postgres schema the configuration names.
func schemaName(cfg Config) string {
	if cfg.Store.Schema != "" {
		return cfg.Store.Schema
	}
	return "allmyleads"
}

// postgresKey reads the master key of a Postgres store.
func postgresKey(cfg Config, env *cliEnv) ([]byte, error) {
	if v := env.getenv(seal.EnvKey); v != "" {
		return seal.DecodeKey(v, seal.EnvKey)
	}
	if cfg.Store.KeyFile != "" {
		return seal.ReadKeyFile(cfg.Store.KeyFile)
	}
	return nil, fmt.Errorf("postgres store: no encryption key: set %s (base64 of 32 bytes; `allmyleads keygen` makes one) or store.key_file, the same for every process", seal.EnvKey)
}

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

// openRecordStore gives a record command its store and a release func to
// call when done (release closes a store the command opened itself). The
// database must exist. cmdline is the command's whole command line
// (without the program name), for forwarding.
//
// Inside the server (env.shared), it is the server's open store, after a
// check that it is the database cfg names; cfg.Store becomes the server's
// store settings, so rekey replaces the key the server read. Outside, when
// a server answers on the database's admin socket (it holds the file's
// lock), the command is sent to it: the server's output is printed and the
// error is an *errInServer with the exit code (see exitOf). The socket is
// tried first, which spares waiting for the lock; it is tried again when
// the file is locked by a server that was starting.
func openRecordStore(ctx context.Context, cfg *Config, env *cliEnv, cmdline []string) (recordStore, func() error, error) {
	if env.shared == nil && cfg.Store.driver() == driverPostgres {
		// Postgres is shared: the command reaches the database itself,
		// beside any running servers, and takes a contact's lock across
		// them where it changes the contact (exclusive).
		st, err := openPostgres(ctx, *cfg, env)
		if err != nil {
			return nil, nil, err
		}
		env.locker = st
		return st, st.Close, nil
	}
	if env.shared != nil {
		if err := env.shared.holds(cfg.Store.Path); err != nil {
			return nil, nil, err
		}
		cfg.Store = env.shared.cfg.Store
		return env.shared.st, func() error { return nil }, nil
	}
	if _, err := os.Stat(cfg.Store.Path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("no database at %s (use --db, or run `allmyleads chat` or `serve` first)", cfg.Store.Path)
		}
		return nil, nil, err
	}
	sock := adminSocketPath(cfg.Store.Path)
	if code, ok, err := forwardToServer(ctx, env, sock, cmdline); err != nil || ok {
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, &errInServer{code}
	}
	st, err := openStore(*cfg, env)
	if errors.Is(err, store.ErrLocked) {
		if code, ok, ferr := forwardToServer(ctx, env, sock, cmdline); ferr != nil || ok {
			if ferr != nil {
				return nil, nil, ferr
			}
			return nil, nil, &errInServer{code}
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return st, st.Close, nil
}

// exclusive runs an administrative change of one contact's records. Inside
// the server (admin socket) it waits for the contact's turn in flight and
// keeps the next one out until it is done, so the change is never
// overwritten by a turn that loaded the session before it.
func exclusive(env *cliEnv, phone string, fn func() error) error {
	if env.shared != nil && env.shared.engine != nil {
		return env.shared.engine.Exclusive(phone, fn)
	}
	if env.locker != nil {
		// On Postgres: wait for the contact's turn in flight in any serve
		// process, and keep the next one out until done.
		_, unlock, err := env.locker.LockContact(context.Background(), phone)
		if err != nil {
			return err
		}
		defer unlock()
	}
	return fn()
}

// errExit is an error that calls for an exit code other than 3.
type errExit struct {
	code int
	err  error
}

func (e *errExit) Error() string { return e.err.Error() }
func (e *errExit) Unwrap() error { return e.err }

// exitOf is a record command's exit after openRecords or openRecordStore
// failed: the server's exit code when the command ran there, else the
// error with the code an *errExit carries, or 3.
func exitOf(env *cliEnv, err error) int {
	var in *errInServer
	if errors.As(err, &in) {
		return in.code
	}
	var ex *errExit
	if errors.As(err, &ex) {
		return failf(env.stderr, ex.code, "%v", ex.err)
	}
	return failf(env.stderr, exitRuntime, "%v", err)
}

// loadFor is load for a record command, which may run inside the server
// for a client of the admin socket: then the relative paths (--config, the
// default ./allmyleads.yaml, --db, the configured database, key file and
// flows folder) are the client's and resolve against its folder.
func (o *commonOpts) loadFor(env *cliEnv) (Config, error) {
	if env.cwd == "" {
		return o.load(env)
	}
	c := commonOpts{config: env.abs(o.config), db: env.abs(o.db), flows: env.abs(o.flows), plugins: env.abs(o.plugins)}
	if c.config == "" {
		// The client read ./allmyleads.yaml when it had one, else defaults
		// only; /dev/null stands for "no file" (it reads as empty).
		c.config = os.DevNull
		if def := env.abs(defaultConfigFile); !errors.Is(statErr(def), fs.ErrNotExist) {
			c.config = def
		}
	}
	cfg, err := c.load(env)
	if err != nil {
		return cfg, err
	}
	cfg.Store.Path = env.abs(cfg.Store.Path)
	cfg.Store.KeyFile = env.abs(cfg.Store.KeyFile)
	cfg.Flows.Dir = env.abs(cfg.Flows.Dir)
	cfg.Plugins.Dir = env.abs(cfg.Plugins.Dir)
	return cfg, nil
}

func statErr(path string) error {
	_, err := os.Stat(path)
	return err
}
