// Package sqlite keeps the portal's records in a SQLite file, on the
// pure-Go modernc.org/sqlite driver: it opens the file, runs its numbered
// migrations (embedded in the binary, applied by Open) and gives package
// sqlstore, whose SQL both engines share, SQLite's dialect (dialect.go).
// Times are stored as unix milliseconds (UTC), NULL for the zero time.
// Queries number their parameters ($1, $2, …), which the driver binds by
// number.
//
// SQLite allows one writer at a time, so the DB keeps two pools on the same
// file: a single connection for writes, whose transactions begin IMMEDIATE
// (they take the write lock before reading, so a read-then-write never fails
// half-way with SQLITE_BUSY), and several read-only connections that WAL
// mode lets run alongside it. Other processes sharing the file wait up to the
// busy timeout for the lock.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/sqlstore"
)

var _ store.Store = (*DB)(nil)

// Per-connection settings, in modernc.org/sqlite's DSN syntax (a plain file
// name followed by query parameters).
const (
	writeParams = "_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_txlock=immediate"
	readParams = "_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)" +
		"&_query_only=1"
)

// DB is a portal store in one SQLite file.
type DB struct {
	*sqlstore.DB
	write *pool // one connection: every change goes through it
	read  *pool // read-only connections for lookups
}

// Open opens the SQLite database at path, creating the file if needed, and
// applies pending migrations. path must name a file: an in-memory database
// would not be shared by the read and write connections.
func Open(ctx context.Context, path string) (*DB, error) {
	switch {
	case path == "", path == ":memory:", strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("sqlite: open %q: need the path of a database file", path)
	case strings.Contains(path, "?"):
		return nil, fmt.Errorf("sqlite: open %q: path must not contain '?'", path)
	}

	write, err := sql.Open("sqlite", path+"?"+writeParams)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	write.SetMaxOpenConns(1)

	read, err := sql.Open("sqlite", path+"?"+readParams)
	if err != nil {
		write.Close() // #nosec G104 -- the open error is the one returned
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)

	db := &DB{write: &pool{DB: write}, read: &pool{DB: read}}
	db.DB = sqlstore.New(dialect{db: db, r: sqlstore.Std(db.read), w: sqlstore.Std(db.write)})
	// The write connection comes first: it creates the file and switches it
	// to WAL, which the read-only connections cannot do.
	if err := connectWriter(ctx, write); err != nil {
		db.Close() // #nosec G104 -- the connection error is the one returned
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close() // #nosec G104 -- the migration error is the one returned
		return nil, err
	}
	return db, nil
}

// connectWriter opens the write connection. Switching a new file to WAL
// needs a moment of exclusive access, and SQLite answers SQLITE_BUSY at
// once, without the busy timeout, when another process (another instance
// starting at the same time) holds the file just then; so a busy answer is
// retried for as long as the busy timeout would have waited.
func connectWriter(ctx context.Context, write *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := write.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// ReadOnly returns the pool of read-only connections, for a tool that
// reads the tables themselves: `portal migrate-to` copies them.
func (db *DB) ReadOnly() *sql.DB { return db.read.DB }

// Pools returns the write connection and the read-only pool, for their
// statistics (connections in use, waits for one) on the metrics page.
func (db *DB) Pools() (write, read *sql.DB) { return db.write.DB, db.read.DB }

// Ping reports whether the database answers, on both pools.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	var one int
	if err := db.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE, see writeParams)
// and commits it if fn returns nil. fn must use only tx: the write pool has
// a single connection, which tx holds.
func (db *DB) inTx(ctx context.Context, fn func(tx *poolTx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// isUniqueViolation reports whether err is a UNIQUE constraint failure.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// isForeignKeyViolation reports whether err is a FOREIGN KEY constraint
// failure.
func isForeignKeyViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// isBusy reports whether err is SQLite's "database is locked".
func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}
