// Package postgres keeps AllMyLeads' state in PostgreSQL, so several
// `serve` processes can share one business: the store for more than one
// machine (engine/store on bbolt stays the embedded default). It
// implements the same contract (core.Store, core.Outbox, core.Inbox,
// core.Rights through ChatRights, core.Retention, core.Records and
// core.OwnerStore) and passes the same conformance suite
// (engine/store/storetest), with encryption at rest: every personal value
// is sealed with AES-256-GCM by engine/store/seal before it is sent, and
// contacts and message ids are keyed hashes. Unlike the bbolt store it
// seals under one key per database: an erasure deletes rows but destroys
// no key (the suite's Shredding case is skipped).
//
// Across processes:
//   - Exactly once: a turn's inbound (channel, id), hashed, is the
//     primary key of a row written in the turn's transaction; a duplicate
//     rolls the whole turn back.
//   - One contact at a time: a turn's transaction locks the contact's row,
//     and LockContact (core.ContactLocker, which the engine holds from
//     loading a session to committing its turn) is a transaction-scoped
//     advisory lock on the contact, so two processes never run one
//     contact's turns at once; the turn commits inside that transaction.
//   - Claims with leases: each open store registers a process row whose
//     lease it renews. Inbox payloads and outbox messages are claimed with
//     SELECT ... FOR UPDATE SKIP LOCKED and held while the claimer's lease
//     runs; a process that dies lets them go when its lease ends, and Close
//     lets them go at once. Claims keep a contact in order: a payload (by
//     the contacts of its messages, see core.LaneInbox) or a message is
//     claimed only when its contact's earlier ones are done or held by the
//     same process.
//   - LISTEN/NOTIFY wakes the other processes' senders when a turn queues
//     messages and their inbox workers when a payload waits for them.
//   - Schema migrations are embedded and applied at Open under an advisory
//     lock; a database newer than this code is refused.
//
// It imports engine/core, the shared seal and model packages and pgx; it
// must not import the bbolt store, the engine, flows, plugins or channels.
package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/model"
	"github.com/allmyleads/allmyleads/engine/store/seal"
)

// ErrWrongKey is returned by Open when the key does not open the database.
var ErrWrongKey = seal.ErrWrongKey

// ErrNewerSchema is returned by Open for a database migrated by a newer
// version of AllMyLeads than this one.
var ErrNewerSchema = errors.New("the database schema is newer than this program knows")

// Options configures Open.
type Options struct {
	// URL is the database's connection string
	// (postgres://user:pass@host:5432/db?sslmode=require, or key=value).
	URL string
	// Schema is the schema the tables live in; "" means "allmyleads". It
	// is created when missing.
	Schema string
	Key    []byte           // 32-byte AES-256 master key; required
	Clock  func() time.Time // nil means time.Now
	Logger *slog.Logger     // nil discards
	// MaxConns bounds the connections for reads and writes (default 16);
	// TurnConns those held by turns in flight, from LockContact to the
	// commit (default 64, the engine's workers). A process uses at most
	// MaxConns+TurnConns+1 connections.
	MaxConns, TurnConns int32
	// Lease is how long a process's claims outlive its last heartbeat
	// (default 15 s): after a crash, its payloads and messages wait that
	// long for another process.
	Lease time.Duration
	// NoSeal stores plaintext: benchmarks only, to measure what sealing costs.
	NoSeal bool
}

// Store is the Postgres implementation of the store contract. It is safe
// for concurrent use, by goroutines and by processes.
type Store struct {
	pool   *pgxpool.Pool // reads and writes
	turns  *pgxpool.Pool // transactions held by LockContact
	schema string
	ks     *seal.Keyset
	clock  func() time.Time
	log    *slog.Logger
	id     string // this process's id in the processes table
	lease  time.Duration
	lockNS int32 // the advisory lock namespace of this schema

	listener *listener
	notifier *notifier
	stop     chan struct{}
	done     sync.WaitGroup
	closed   sync.Once
}

var (
	_ core.Store         = (*Store)(nil)
	_ core.Outbox        = (*Store)(nil)
	_ core.Inbox         = (*Store)(nil)
	_ core.LaneInbox     = (*Store)(nil)
	_ core.ContactLocker = (*Store)(nil)
	_ core.Retention     = (*Store)(nil)
	_ core.Records       = (*Store)(nil)
	_ core.OwnerStore    = (*Store)(nil)
)

// Open connects to the database, applies the schema migrations it lacks,
// checks the key against the database's key check (ErrWrongKey), and
// registers this process for claims.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.URL == "" {
		return nil, errors.New("open postgres store: no database URL")
	}
	if len(opts.Key) != seal.KeySize {
		return nil, fmt.Errorf("open postgres store: key must be %d bytes, got %d", seal.KeySize, len(opts.Key))
	}
	schema := opts.Schema
	if schema == "" {
		schema = "allmyleads"
	}
	s := &Store{schema: schema, clock: opts.Clock, log: opts.Logger, lease: opts.Lease, stop: make(chan struct{}), lockNS: lockNamespace(schema)}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.lease <= 0 {
		s.lease = 15 * time.Second
	}
	var err error
	if s.pool, err = newPool(ctx, opts.URL, schema, max(opts.MaxConns, 0), 16); err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if s.turns, err = newPool(ctx, opts.URL, schema, max(opts.TurnConns, 0), 64); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := s.init(ctx, opts); err != nil {
		s.pool.Close()
		s.turns.Close()
		return nil, fmt.Errorf("open postgres store (schema %s): %w", schema, err)
	}
	s.listener = newListener(s, opts.URL)
	s.notifier = newNotifier()
	s.done.Add(3)
	go s.heartbeat()
	go s.listener.run(s.stop, &s.done)
	go s.sendNotifications(s.stop, &s.done)
	return s, nil
}

// newPool makes a connection pool whose sessions use the schema.
func newPool(ctx context.Context, url, schema string, maxConns, def int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if maxConns <= 0 {
		maxConns = def
	}
	cfg.MaxConns = maxConns
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.ConnConfig.RuntimeParams["application_name"] = "allmyleads"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return pool, nil
}

// init migrates the schema, checks or creates the key check, and
// registers the process.
func (s *Store) init(ctx context.Context, opts Options) error {
	if err := migrate(ctx, s.pool, s.schema, s.lockNS); err != nil {
		return err
	}
	ks, err := s.loadKeys(ctx, opts.Key, opts.NoSeal)
	if err != nil {
		return err
	}
	s.ks = ks
	var b [12]byte
	_, _ = rand.Read(b[:])
	s.id = hex.EncodeToString(b[:])
	_, err = s.pool.Exec(ctx, `
		DELETE FROM processes WHERE lease_until < now() - interval '1 day';
		INSERT INTO processes (id, lease_until) VALUES ('`+s.id+`', now() + make_interval(secs => `+fmt.Sprint(s.lease.Seconds())+`))`)
	if err != nil {
		return fmt.Errorf("register the process: %w", err)
	}
	return nil
}

// loadKeys derives the keyset from the master key and the database's
// salt, creating both salt and key check in a new database.
func (s *Store) loadKeys(ctx context.Context, master []byte, noSeal bool) (*seal.Keyset, error) {
	fresh, err := seal.New(master, nil, noSeal)
	if err != nil {
		return nil, err
	}
	// The first process to get here writes its salt and check; the others
	// read them back.
	_, err = s.pool.Exec(ctx, `INSERT INTO meta (name, value) VALUES ('salt', $1), ('check', $2) ON CONFLICT (name) DO NOTHING`,
		fresh.Salt(), fresh.CheckValue())
	if err != nil {
		return nil, fmt.Errorf("write the key check: %w", err)
	}
	var salt, check []byte
	if err := s.pool.QueryRow(ctx, `SELECT (SELECT value FROM meta WHERE name = 'salt'), (SELECT value FROM meta WHERE name = 'check')`).Scan(&salt, &check); err != nil {
		return nil, fmt.Errorf("read the key check: %w", err)
	}
	ks, err := seal.New(master, salt, noSeal)
	if err != nil {
		return nil, err
	}
	if err := ks.Verify(check); err != nil {
		return nil, err
	}
	return ks, nil
}

// heartbeat renews the process's lease until Close.
func (s *Store) heartbeat() {
	defer s.done.Done()
	t := time.NewTicker(s.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.lease/3)
		_, err := s.pool.Exec(ctx, `INSERT INTO processes (id, lease_until) VALUES ($1, now() + $2::interval)
			ON CONFLICT (id) DO UPDATE SET lease_until = EXCLUDED.lease_until`, s.id, s.lease.String())
		cancel()
		if err != nil {
			s.log.Warn("postgres store: lease not renewed", "err", err)
		}
	}
}

// Close releases this process's claims (another process may take them at
// once), stops the heartbeat and the listener, and closes the
// connections. Turns in flight should have finished.
func (s *Store) Close() error {
	var err error
	s.closed.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err = s.pool.Exec(ctx, `
			UPDATE inbox SET claimed_by = NULL WHERE claimed_by = '`+s.id+`';
			UPDATE outbox SET claimed_by = NULL WHERE claimed_by = '`+s.id+`';
			DELETE FROM processes WHERE id = '`+s.id+`'`)
		if err == nil {
			// The others take what this process let go.
			s.notify(topicInbox, "")
			s.notify(topicOutbox, "")
		}
		close(s.stop)
		s.done.Wait()
		s.turns.Close()
		s.pool.Close()
		if err != nil {
			err = fmt.Errorf("close postgres store: release claims: %w", err)
		}
	})
	return err
}

// Ping checks that the database answers and the schema is current, for
// /readyz.
func (s *Store) Ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var v int
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("postgres store: %w", err)
	}
	if v != len(migrations) {
		return fmt.Errorf("postgres store: schema version %d, want %d", v, len(migrations))
	}
	return nil
}

// ContactKey returns the keyed hash that stands for a contact in the
// database and in logs.
func (s *Store) ContactKey(contact string) string { return s.ks.ContactKey(contact) }

// LeadID returns the lead id of a contact.
func (s *Store) LeadID(contact string) string { return model.LeadID(s.ContactKey(contact)) }

// ProcessID is this store's id among the processes sharing the database.
func (s *Store) ProcessID() string { return s.id }

func (s *Store) now() time.Time { return s.clock() }

// sealJSON encodes and seals v for the record name/key.
func (s *Store) sealJSON(name, key string, v any) ([]byte, error) {
	body, err := jsonMarshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s record: %w", name, err)
	}
	return s.ks.Seal(name, []byte(key), body), nil
}

// openJSON opens a sealed value and decodes its JSON into v.
func (s *Store) openJSON(name, key string, raw []byte, v any) error {
	body, err := s.ks.Open(name, []byte(key), raw)
	if err != nil {
		return err
	}
	if err := jsonUnmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s record: %w", name, err)
	}
	return nil
}

// inTx runs fn in a transaction on the pool, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// short is a contact key cut for logs and errors.
func short(ck string) string {
	if len(ck) > 16 {
		return ck[:16]
	}
	return ck
}

// abandon stops the store as a killed process would: no heartbeat, no
// listener, connections dropped, claims left in the database to run out
// with the lease. For tests.
func (s *Store) abandon() {
	s.closed.Do(func() {
		close(s.stop)
		s.done.Wait()
		s.turns.Close()
		s.pool.Close()
	})
}
