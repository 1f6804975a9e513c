// Package enginetest runs a test once on each storage engine of the
// portal, SQLite and PostgreSQL, so that the rules and pages built on the
// store are checked on both, not only the store itself (which
// store/storetest checks). It matters most for races: SQLite has one
// writer, PostgreSQL many connections at once, so a rule that is atomic on
// one may not be on the other.
//
// A package using it runs its tests through Main, which drops the
// PostgreSQL database its tests share:
//
//	func TestMain(m *testing.M) { os.Exit(enginetest.Main(m)) }
package enginetest

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/postgres"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/store/sqlite"
)

// Engine is a storage engine a test runs on.
type Engine struct {
	Name string // "sqlite" or "postgres": the name of the subtest
	open func(t *testing.T) store.Store
}

// Open returns an empty, migrated store, closed when t ends: a SQLite
// file in t's temporary directory, or tables of its own in the PostgreSQL
// database that the package's tests share. On PostgreSQL, t is skipped
// without a server, or fails if PORTAL_REQUIRE_POSTGRES=1 (as in CI).
func (e Engine) Open(t *testing.T) store.Store {
	t.Helper()
	return e.open(t)
}

var (
	SQLite     = Engine{Name: "sqlite", open: openSQLite}
	PostgreSQL = Engine{Name: "postgres", open: openPostgres}
)

// Each runs fn as a subtest on every engine, named after it.
func Each(t *testing.T, fn func(t *testing.T, e Engine)) {
	t.Helper()
	for _, e := range []Engine{SQLite, PostgreSQL} {
		t.Run(e.Name, func(t *testing.T) { fn(t, e) })
	}
}

// Main runs the package's tests and then drops their PostgreSQL database.
func Main(m *testing.M) int { return pgtest.Main(m) }

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir()+"/portal.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // #nosec G104 -- end of a test: the database file goes with t.TempDir
	return db
}

func openPostgres(t *testing.T) store.Store {
	t.Helper()
	// A schema of an ended test, emptied: migrating a new one takes about
	// twenty times as long, and a test package opens a hundred stores.
	url := pgtest.Shared(t).ReusedSchema(t)
	g := &gauge{}
	db, err := postgres.Open(context.Background(), url, func(c *pgxpool.Config) { c.ConnConfig.Tracer = g })
	if err != nil {
		t.Fatal(err)
	}
	gauges.Store(db, g)
	t.Cleanup(func() { // before ReusedSchema takes the schema back
		gauges.Delete(db)
		db.Close() // #nosec G104 -- waits for every connection to come back; at the end of a test its error changes nothing
	})
	return db
}

// gauges holds the gauge of each open PostgreSQL store.
var gauges sync.Map // *postgres.DB → *gauge

// PeakConns returns the most connections that s, a store from Open, had
// in use at once since it was opened or since the previous call, and
// starts counting afresh. A race test uses it to show that its calls
// really overlapped in the database, on PostgreSQL. For SQLite it is 0:
// its one writer takes changes one at a time whatever the test does.
func PeakConns(s store.Store) int {
	db, ok := s.(*postgres.DB)
	if !ok {
		return 0
	}
	g, ok := gauges.Load(db)
	if !ok {
		return 0
	}
	return g.(*gauge).takePeak()
}

// gauge counts the pool's connections in use: acquired and not yet
// released. As the pool's tracer, it sees every Acquire and Release.
type gauge struct {
	mu          sync.Mutex
	inUse, peak int
}

func (g *gauge) takePeak() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.peak
	g.peak = g.inUse
	return p
}

func (g *gauge) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	return ctx
}

func (g *gauge) TraceAcquireEnd(_ context.Context, _ *pgxpool.Pool, data pgxpool.TraceAcquireEndData) {
	if data.Err != nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inUse++
	g.peak = max(g.peak, g.inUse)
}

func (g *gauge) TraceRelease(*pgxpool.Pool, pgxpool.TraceReleaseData) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inUse--
}

// The pool's tracer must trace queries too; it has nothing to add there.
func (g *gauge) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (g *gauge) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
