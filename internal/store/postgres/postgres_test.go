package postgres_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/postgres"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/store/sqlstore/sqlstoretest"
	"github.com/providerportal/portal/internal/store/storetest"
)

// open opens a store on url and closes it when t ends.
func open(t testing.TB, url string, opts ...postgres.Option) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), url, opts...)
	return sqlstoretest.Opened(t, db, err)
}

// TestMain drops the database that the conformance suites share.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestConformance runs the suite, each of its tests on a schema of its own
// in the package's shared database: a new one, or one whose test has ended,
// emptied (migrating a new schema for each of a hundred tests would take a
// minute).
func TestConformance(t *testing.T) {
	d := pgtest.Shared(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, d.ReusedSchema(t))
	})
}

// plain opens a plain connection to url, outside the store, closed when t
// ends.
func plain(t *testing.T, url string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStoredValues checks that values are stored as the SQLite store stores
// them (unix milliseconds, NULL for the zero time), so that the two hold
// the same data.
func TestStoredValues(t *testing.T) {
	ctx := t.Context()
	url := pgtest.NewDatabase(t).NewSchema(t)
	db := open(t, url)
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	u := &store.User{Email: "ann@example.org", CreatedAt: at}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	var created int64
	var lastLogin *int64
	err := plain(t, url).QueryRowContext(ctx,
		`SELECT created_at, last_login_at FROM users WHERE id = $1`, u.ID).Scan(&created, &lastLogin)
	if err != nil || created != at.UnixMilli() || lastLogin != nil {
		t.Errorf("stored created_at, last_login_at = %d, %v (%v); want %d, NULL", created, lastLogin, err, at.UnixMilli())
	}
}

// TestOpenBadURL checks that a URL that cannot be parsed is refused
// without repeating its password.
func TestOpenBadURL(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://u:secret-pw@host:notaport/db")
	if err == nil || strings.Contains(err.Error(), "secret-pw") {
		t.Errorf("Open(bad URL) = %v; want an error without the password", err)
	}
}

func TestConnectTimeoutDefault(t *testing.T) {
	// A database host that silently drops packets must not hold requests
	// for minutes: new connections give up after the default.
	cfg, err := postgres.PoolConfig("postgres://u@127.0.0.1:1/db")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnConfig.ConnectTimeout != postgres.DefaultConnectTimeout {
		t.Fatalf("connect timeout %v, want %v", cfg.ConnConfig.ConnectTimeout, postgres.DefaultConnectTimeout)
	}
	cfg, err = postgres.PoolConfig("postgres://u@127.0.0.1:1/db?connect_timeout=2")
	if err != nil || cfg.ConnConfig.ConnectTimeout.Seconds() != 2 {
		t.Fatalf("the URL's connect_timeout was not kept: %v, %v", cfg.ConnConfig.ConnectTimeout, err)
	}
}

func FuzzListUsers(f *testing.F) {
	storetest.FuzzListUsers(f, open(f, pgtest.NewDatabase(f).NewSchema(f)))
}

// engine is PostgreSQL for the tests both engines share: a database is a
// new schema.
var engine = sqlstoretest.Engine{
	Fresh: func(t *testing.T) string { return pgtest.NewDatabase(t).NewSchema(t) },
	Open: func(ctx context.Context, url string) (sqlstoretest.DB, error) {
		return postgres.Open(ctx, url)
	},
	Plain:       plain,
	AuditWrites: []string{`TRUNCATE audit_events`},
}

// TestEngine runs the tests both engines share (package sqlstoretest).
func TestEngine(t *testing.T) { sqlstoretest.Run(t, engine) }

// TestOverviewAtScale times the Overview at PORTAL_OVERVIEW_SCALE messages
// (storetest.OverviewAtScale); skipped unless it is set.
func TestOverviewAtScale(t *testing.T) {
	n := storetest.OverviewScale(t)
	url := pgtest.NewDatabase(t).NewSchema(t)
	db := open(t, url)
	conn := plain(t, url)
	storetest.OverviewAtScale(t, db, n, func(q string) error {
		_, err := conn.ExecContext(t.Context(), q)
		return err
	}, storetest.ScaleDialect{Blob: `'\x00'::bytea`, Analyze: `VACUUM ANALYZE`})
}
