// Package pgtest gives tests their own PostgreSQL schema in the test
// database named by INVITECTL_TEST_POSTGRES_DSN, so that test packages can
// run in parallel against one server and leave nothing behind.
//
// Without that variable the tests skip, unless INVITECTL_REQUIRE_SERVICES=1
// is set (as CI sets it): then they fail, so a run can never pass by
// skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables the tests read.
const (
	DSNEnv     = "INVITECTL_TEST_POSTGRES_DSN"
	RequireEnv = "INVITECTL_REQUIRE_SERVICES"
)

// DSN returns the test database's URL, or skips tb (fails it when services
// are required) when none is configured. getenv is the process environment in tests.
func DSN(tb testing.TB, getenv func(string) string) string {
	tb.Helper()
	dsn := strings.TrimSpace(getenv(DSNEnv))
	if dsn == "" {
		if getenv(RequireEnv) == "1" {
			tb.Fatalf("%s is not set, and %s=1 requires PostgreSQL", DSNEnv, RequireEnv)
		}
		tb.Skipf("%s is not set; set it to a PostgreSQL URL to run this test", DSNEnv)
	}
	return dsn
}

// Schema creates an empty schema test_<random> in the test database and
// returns a URL whose connections use it (search_path), dropping it with
// everything in it when tb ends. Close stores opened on it before then: a
// test's cleanups run last-registered first, so a store opened after
// Schema is closed before the drop.
func Schema(tb testing.TB, getenv func(string) string) string {
	tb.Helper()
	base := DSN(tb, getenv)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name, url, err := CreateSchema(ctx, base, "test")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := DropSchema(ctx, base, name); err != nil {
			tb.Error(err)
		}
	})
	return url
}

// CreateSchema creates an empty schema prefix_<random> in the database at
// dsn, and returns its name and a URL whose connections use it. For
// schemas that outlive one test (a benchmark's data); drop them with
// DropSchema.
func CreateSchema(ctx context.Context, dsn, prefix string) (name, url string, err error) {
	name = prefix + "_" + strings.ToLower(rand.Text()[:16])
	if url, err = WithSearchPath(dsn, name); err != nil {
		return "", "", err
	}
	if err := exec(ctx, dsn, trgm); err != nil {
		return "", "", err
	}
	return name, url, exec(ctx, dsn, "CREATE SCHEMA "+name)
}

// trgm creates pg_trgm, which the search index needs (migration 0004), in
// the public schema where it is missing. An extension belongs to one schema
// of the database; created by a migration in a test's own schema, it would
// be dropped with that schema, and the search indexes of every other test
// with it. The migration leaves an extension that exists where it is.
// The lock keeps parallel test packages from creating it twice at once.
const trgm = `SELECT pg_advisory_xact_lock(hashtext('invitectl test pg_trgm'));
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`

// DropSchema drops a schema and everything in it.
func DropSchema(ctx context.Context, dsn, name string) error {
	return exec(ctx, dsn, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
}

// WithSearchPath returns dsn (a postgres:// URL) with connections set to
// search schema only.
func WithSearchPath(dsn, schema string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("%s must be a postgres:// URL", DSNEnv)
	}
	q := u.Query()
	opts := strings.TrimSpace(q.Get("options") + " -c search_path=" + schema)
	q.Set("options", opts)
	// Spaces as %20: the driver does not read + as a space.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String(), nil
}

// exec runs one statement on its own connection.
func exec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connecting to the test database (%s): %w", DSNEnv, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// SelectOnlyRole creates a role that may log in and only SELECT from the
// tables of the schema that schemaURL (a URL from Schema) searches, and
// returns schemaURL as that role, with lock_timeout set so that a lock it
// should not take fails instead of waiting. The role is dropped when tb
// ends. Creating roles needs CREATEROLE (CI grants it to the test role).
func SelectOnlyRole(tb testing.TB, schemaURL string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, schemaURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(context.Background())
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		tb.Fatal(err)
	}
	role := "reader_" + strings.ToLower(rand.Text()[:12])
	password := rand.Text()
	id, s := pgx.Identifier{role}.Sanitize(), pgx.Identifier{schema}.Sanitize()
	for _, q := range []string{
		"CREATE ROLE " + id + " LOGIN PASSWORD '" + password + "'",
		"GRANT USAGE ON SCHEMA " + s + " TO " + id,
		"GRANT SELECT ON ALL TABLES IN SCHEMA " + s + " TO " + id,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			tb.Fatalf("%s: %v (the test role needs CREATEROLE)", strings.Replace(q, password, "…", 1), err)
		}
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, q := range []string{"REVOKE ALL ON ALL TABLES IN SCHEMA " + s + " FROM " + id,
			"REVOKE USAGE ON SCHEMA " + s + " FROM " + id, "DROP ROLE " + id} {
			if err := exec(ctx, schemaURL, q); err != nil {
				tb.Error(err)
			}
		}
	})
	u, err := url.Parse(schemaURL)
	if err != nil {
		tb.Fatal(err)
	}
	u.User = url.UserPassword(role, password)
	q := u.Query()
	q.Set("options", strings.TrimSpace(q.Get("options")+" -c lock_timeout=5s"))
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String()
}
