package postgres

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The schema's migrations, applied in order at Open: migrations/NNNN_what.sql
// is version NNNN. A migration is never edited once released; a change is
// a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations are the embedded migrations in order; their versions are 1..n.
var migrations = loadMigrations()

func loadMigrations() []migration {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	var out []migration
	for i, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil || v != i+1 {
			panic(fmt.Sprintf("postgres: migration %s: want version %04d first in its name", base, i+1))
		}
		body, err := migrationFiles.ReadFile(n)
		if err != nil {
			panic(err)
		}
		out = append(out, migration{version: v, name: base, sql: string(body)})
	}
	return out
}

// SchemaVersion is the schema version this code writes.
func SchemaVersion() int { return len(migrations) }

// migrate creates the schema when missing and applies the migrations it
// lacks, in one transaction under an advisory lock, so processes starting
// together do not race. A database whose version is newer than this code
// knows is refused (ErrNewerSchema): an older binary must not write it.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string, ns int32) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, ns); err != nil {
			return fmt.Errorf("lock for migrations: %w", err)
		}
		ident := pgx.Identifier{schema}.Sanitize()
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+ident); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		if _, err := tx.Exec(ctx, `SET LOCAL search_path TO `+ident); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY,
			name    text NOT NULL,
			applied timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
			return err
		}
		if have > len(migrations) {
			return fmt.Errorf("%w: version %d, this program knows %d (run a newer allmyleads)", ErrNewerSchema, have, len(migrations))
		}
		for _, m := range migrations[have:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return err
			}
		}
		return nil
	})
}

// lockNamespace is the first key of every advisory lock the store takes in
// a schema, so stores in different schemas of one database never wait for
// each other.
func lockNamespace(schema string) int32 {
	h := fnv.New32a()
	h.Write([]byte("allmyleads/" + schema))
	return int32(h.Sum32())
}

// Advisory lock kinds, mixed into the second key.
const (
	lockContact = "contact"
	lockInbox   = "inbox"
	lockOutbox  = "outbox"
)

// lockKey is the second key of an advisory lock of a kind on a contact
// key (or lane).
func lockKey(kind, ck string) int32 {
	h := fnv.New32a()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(ck))
	k := int32(h.Sum32())
	if k == 0 {
		k = 1 // 0 is the migrations' lock
	}
	return k
}
