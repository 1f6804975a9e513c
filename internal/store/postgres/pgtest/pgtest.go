// Package pgtest gives tests a PostgreSQL database of their own on the
// server named by PORTAL_TEST_POSTGRES_URL (default DefaultURL), and a
// fresh schema in it for each store they open, so that a whole suite runs
// on one database without one test seeing another's rows. The database is
// dropped when the test that made it ends.
//
// When the server cannot be reached the test is skipped with a message
// saying so, unless PORTAL_REQUIRE_POSTGRES=1 (set by .ci/run), which makes
// it a failure.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultURL is the server of a developer's machine and of CI: trust
// authentication for the user postgres, database test.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// ServerURL is the URL tests connect to, to create their databases.
func ServerURL() string {
	if u := os.Getenv("PORTAL_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Database is a database made for one test.
type Database struct {
	URL   string // of the database itself
	admin *pgxpool.Pool
	n     atomic.Int64
}

// NewDatabase creates a database named portal_test_<random> and drops it
// (WITH (FORCE), closing whatever is still connected) when t ends.
func NewDatabase(t testing.TB) *Database {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	server, err := url.Parse(ServerURL())
	if err != nil || (server.Scheme != "postgres" && server.Scheme != "postgresql") {
		t.Fatalf("PORTAL_TEST_POSTGRES_URL must be a postgres:// URL")
	}
	conn, err := pgx.Connect(ctx, server.String())
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL not reachable at %s (%v): the PostgreSQL conformance suite did not run", server.Redacted(), err)
		if os.Getenv("PORTAL_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg + " (PORTAL_REQUIRE_POSTGRES=1)")
		}
		t.Skip(msg)
	}
	defer conn.Close(ctx)

	name := "portal_test_" + random()
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server.String())
		if err == nil {
			_, err = conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
			conn.Close(ctx)
		}
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})

	dbURL := *server
	dbURL.Path = "/" + name
	d := &Database{URL: dbURL.String()}
	if d.admin, err = pgxpool.New(ctx, d.URL); err != nil {
		t.Fatalf("connect to %s: %v", name, err)
	}
	// Registered after the drop, so it runs before it.
	t.Cleanup(d.admin.Close)
	return d
}

// NewSchema creates an empty schema in the database and returns the URL of
// the database with the schema as search_path: whatever connects with it
// creates and finds its tables there.
func (d *Database) NewSchema(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("s%d_%s", d.n.Add(1), random()[:6])
	if _, err := d.admin.Exec(context.Background(), `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	return WithSearchPath(d.URL, name)
}

// WithSearchPath returns dbURL with search_path set to schema, a run-time
// parameter that pgx sends when it connects.
func WithSearchPath(dbURL, schema string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Exec runs a statement on the database as the server URL's user.
func (d *Database) Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := d.admin.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// random is 16 lower-case hex digits.
func random() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
