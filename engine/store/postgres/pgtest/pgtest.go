// Package pgtest gives tests a PostgreSQL database to run against: the
// URL in ALLMYLEADS_TEST_POSTGRES (CI starts a throwaway cluster and sets
// it, see .ci/postgres), and a fresh schema per test, dropped at its end.
// Without the variable a test is skipped with a message saying how to run
// it, except under CI=true, where it fails: CI must not pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// EnvURL is the variable that holds the test database's URL.
const EnvURL = "ALLMYLEADS_TEST_POSTGRES"

// URL returns the test database's URL, or skips the test (fails it under
// CI=true) when none is set.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the Postgres tests (.ci/run starts a cluster with .ci/postgres)", EnvURL)
		}
		t.Skipf("no PostgreSQL: set %s to a database URL to run this test (for example: export %s=$(.ci/postgres))", EnvURL, EnvURL)
	}
	return url
}

// Schema returns a new schema name for the test, dropped with everything
// in it when the test ends.
func Schema(t testing.TB) string {
	t.Helper()
	url := URL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() { Drop(t, url, name) })
	return name
}

// Drop drops a schema and everything in it.
func Drop(t testing.TB, url, schema string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Errorf("pgtest: drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		t.Errorf("pgtest: drop schema %s: %v", schema, err)
	}
}

// Dump returns every value of every table of the schema as the database
// holds it (bytea as its raw bytes, text as its characters), for tests
// that scan what is stored for personal data in the clear.
func Dump(t testing.TB, url, schema string) []byte {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("pgtest: dump %s: %v", schema, err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, schema)
	if err != nil {
		t.Fatalf("pgtest: dump %s: %v", schema, err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("pgtest: dump %s: %v", schema, err)
	}
	var all []byte
	for _, table := range tables {
		rows, err := conn.Query(ctx, `SELECT * FROM `+pgx.Identifier{schema, table}.Sanitize())
		if err != nil {
			t.Fatalf("pgtest: dump %s.%s: %v", schema, table, err)
		}
		for rows.Next() {
			for _, v := range rows.RawValues() {
				all = append(all, v...)
				all = append(all, 0)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatalf("pgtest: dump %s.%s: %v", schema, table, err)
		}
	}
	return all
}
