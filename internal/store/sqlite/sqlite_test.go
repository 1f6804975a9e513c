package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/sqlite"
	"github.com/providerportal/portal/internal/store/sqlstore/sqlstoretest"
	"github.com/providerportal/portal/internal/store/storetest"
)

// open opens a store on the file at path and closes it when t ends.
func open(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	return sqlstoretest.Opened(t, db, err)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "portal.db"))
	})
}

func TestMessagesConformance(t *testing.T) {
	storetest.RunMessages(t, func(t *testing.T) storetest.MessageStore {
		return open(t, filepath.Join(t.TempDir(), "portal.db"))
	})
}

func TestOpenRefusesMemory(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file::memory:?cache=shared", "portal.db?mode=ro"} {
		if db, err := sqlite.Open(t.Context(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}

func TestOpenSetsPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portal.db")
	db := open(t, path)
	// WAL mode keeps its log next to the database.
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no WAL file: %v", err)
	}
	// Foreign keys are enforced: no session for a user who does not exist.
	err := db.CreateSession(t.Context(), &store.Session{
		TokenHash: []byte("hash"), UserID: 999, Stage: store.StageFull,
		CreatedAt: time.Unix(1e9, 0), LastSeenAt: time.Unix(1e9, 0),
	})
	if err == nil {
		t.Error("CreateSession for a missing user succeeded; foreign keys are off")
	}
}

func FuzzListUsers(f *testing.F) {
	storetest.FuzzListUsers(f, open(f, filepath.Join(f.TempDir(), "portal.db")))
}

// engine is SQLite for the tests both engines share: a database is a file.
var engine = sqlstoretest.Engine{
	Fresh: func(t *testing.T) string { return filepath.Join(t.TempDir(), "portal.db") },
	Open: func(ctx context.Context, path string) (sqlstoretest.DB, error) {
		return sqlite.Open(ctx, path)
	},
	Plain: raw,
}

// raw opens a plain connection to the database file at path, outside the
// store, closed when t ends.
func raw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestEngine runs the tests both engines share (package sqlstoretest).
func TestEngine(t *testing.T) { sqlstoretest.Run(t, engine) }

// TestOverviewAtScale times the Overview at PORTAL_OVERVIEW_SCALE messages
// (storetest.OverviewAtScale); skipped unless it is set.
func TestOverviewAtScale(t *testing.T) {
	n := storetest.OverviewScale(t)
	path := filepath.Join(t.TempDir(), "portal.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn := raw(t, path)
	storetest.OverviewAtScale(t, db, n, func(q string) error {
		_, err := conn.ExecContext(t.Context(), q)
		return err
	}, storetest.ScaleDialect{Blob: `x'00'`}) // the portal never runs ANALYZE on SQLite
}
