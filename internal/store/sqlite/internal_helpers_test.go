package sqlite

import (
	"path/filepath"
	"testing"
)

// openInternal opens a fresh database in a temporary directory, for the
// tests and benchmarks that reach inside the package.
func openInternal(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(tb.Context(), filepath.Join(tb.TempDir(), "portal.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
