// Package pgtest gives tests a PostgreSQL database of their own on the
// server named by PORTAL_TEST_POSTGRES_URL (default DefaultURL), and a
// fresh schema in it for each store they open, so that a whole suite runs
// on one database without one test seeing another's rows. The database is
// dropped when the test that made it ends; the one database that all tests
// of a package share (Shared) is dropped when the package's tests end.
//
// When the server cannot be reached the test is skipped with a message
// saying so, unless PORTAL_REQUIRE_POSTGRES=1 (set by .ci/run), which makes
// it a failure (testenv.PostgreSQL).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/providerportal/portal/internal/testenv"
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

	mu    sync.Mutex
	spare []string // schemas of tests that have ended, for ReusedSchema
}

// NewDatabase creates a database named portal_test_<random> and drops it
// (WITH (FORCE), closing whatever is still connected) when t ends.
func NewDatabase(t testing.TB) *Database {
	t.Helper()
	d, drop, err := create()
	if err != nil {
		failOrSkip(t, err)
	}
	// Registered after the drop, so it runs before it.
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return d
}

// unreachableError is the server not answering: the test is skipped
// unless PostgreSQL is required.
type unreachableError struct{ msg string }

func (e *unreachableError) Error() string { return e.msg }

func failOrSkip(t testing.TB, err error) {
	t.Helper()
	var unreachable *unreachableError
	if !errors.As(err, &unreachable) {
		t.Fatal(err)
	}
	testenv.PostgreSQL.Unavailable(t, err.Error())
}

// create makes a database and returns it with the function that drops it.
func create() (*Database, func() error, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	server, err := url.Parse(ServerURL())
	if err != nil || (server.Scheme != "postgres" && server.Scheme != "postgresql") {
		return nil, nil, errors.New("PORTAL_TEST_POSTGRES_URL must be a postgres:// URL")
	}
	conn, err := pgx.Connect(ctx, server.String())
	if err != nil {
		return nil, nil, &unreachableError{fmt.Sprintf("PostgreSQL not reachable at %s (%v)", server.Redacted(), err)}
	}
	defer conn.Close(ctx)

	name := "portal_test_" + random()
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		return nil, nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server.String())
		if err == nil {
			_, err = conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
			conn.Close(ctx) // #nosec G104 -- the DROP's error is the one that matters; the connection is discarded either way
		}
		if err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}

	dbURL := *server
	dbURL.Path = "/" + name
	d := &Database{URL: dbURL.String()}
	if d.admin, err = pgxpool.New(ctx, d.URL); err != nil {
		drop() // #nosec G104 -- the connection error is the one returned; dropping is best effort
		return nil, nil, fmt.Errorf("connect to %s: %w", name, err)
	}
	return d, func() error {
		d.admin.Close()
		return drop()
	}, nil
}

// shared is the database of Shared.
var shared struct {
	sync.Mutex
	inMain bool
	db     *Database
	drop   func() error
	err    error // why the server could not be reached
}

// Main runs the tests of m, prints which suites were skipped
// (testenv.Main) and then drops the database that Shared made, if any. A package whose tests use Shared calls it from its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	shared.Lock()
	shared.inMain = true
	shared.Unlock()
	code := testenv.Main(m) // m.Run, then the skip line
	shared.Lock()
	defer shared.Unlock()
	if shared.drop != nil {
		if err := shared.drop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			if code == 0 {
				code = 1
			}
		}
		shared.db, shared.drop = nil, nil
	}
	return code
}

// Shared returns the database that all tests of the package share, made by
// the first one that asks: a database costs a few hundred milliseconds,
// too much for each of a hundred tests. Each test still gets tables of its
// own, from NewSchema or ReusedSchema. The package's TestMain must call
// Main, which drops the database at the end. Without a server, t is
// skipped or fails as with NewDatabase.
func Shared(t testing.TB) *Database {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if !shared.inMain {
		t.Fatal("pgtest.Shared needs the package's TestMain to call pgtest.Main, which drops the database")
	}
	if shared.db == nil && shared.err == nil {
		var err error
		shared.db, shared.drop, err = create()
		var unreachable *unreachableError
		if errors.As(err, &unreachable) {
			shared.err = err // asked once, not by every test
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if shared.err != nil {
		failOrSkip(t, shared.err)
	}
	return shared.db
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

// Empty deletes every row of the tables in the schema that schemaURL (from
// NewSchema) names, except the record of applied migrations, and restarts
// its sequences, so that the schema, still migrated, serves the next test
// as if new: much quicker than a new schema and its migrations. It goes
// round triggers and foreign keys (session_replication_role = replica)
// because the audit log's triggers refuse deletion, so the server URL's
// user must be a superuser, as postgres is. schemaURL's connections must
// be closed.
func (d *Database) Empty(t testing.TB, schemaURL string) {
	t.Helper()
	u, err := url.Parse(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	if schema == "" {
		t.Fatalf("pgtest.Empty: %s names no schema", u.Redacted())
	}
	ctx := context.Background()
	var stmts []string
	rows, err := d.admin.Query(ctx, `
		SELECT format('DELETE FROM %I.%I', schemaname, tablename) FROM pg_tables
		 WHERE schemaname = $1 AND tablename <> 'schema_migrations'
		UNION ALL
		SELECT format('SELECT setval(%L, %s, false)', format('%I.%I', schemaname, sequencename), start_value)
		  FROM pg_sequences WHERE schemaname = $1`, schema)
	if err == nil {
		stmts, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		t.Fatalf("pgtest.Empty %s: %v", schema, err)
	}
	// A lock timeout: a connection left open by the previous test would
	// otherwise hold the DELETEs until the test binary times out.
	err = pgx.BeginFunc(ctx, d.admin, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica;\nSET LOCAL lock_timeout = '10s';\n"+strings.Join(stmts, ";\n"))
		return err
	})
	if err != nil {
		t.Fatalf("pgtest.Empty %s (still in use by the test before?): %v", schema, err)
	}
}

// ReusedSchema is NewSchema made quick for a suite of many short tests:
// it hands out the schema of a test that has ended, emptied by Empty and
// so still migrated, or a new schema when none is free, and takes it back
// when t ends. Whatever connects to it must be closed by then: close it in
// a t.Cleanup registered after this call (cleanups run last first).
func (d *Database) ReusedSchema(t testing.TB) string {
	t.Helper()
	d.mu.Lock()
	var schemaURL string
	if n := len(d.spare); n > 0 {
		schemaURL, d.spare = d.spare[n-1], d.spare[:n-1]
	}
	d.mu.Unlock()
	if schemaURL == "" {
		schemaURL = d.NewSchema(t)
	} else {
		d.Empty(t, schemaURL)
	}
	t.Cleanup(func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.spare = append(d.spare, schemaURL)
	})
	return schemaURL
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
