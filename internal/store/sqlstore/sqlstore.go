// Package sqlstore is the portal's SQL store, written once for both
// engines: every statement and every transaction's logic of store.Store is
// here, on a Dialect that holds only what truly differs between SQLite and
// PostgreSQL (the pools and transactions, the locks, a few fragments of
// SQL, the classification of errors). The packages sqlite and postgres
// open their engine, run its migrations and give their Dialect to New.
//
// The SQL is the text both engines run: placeholders are numbered ($1, $2,
// …), which both drivers bind, and times are unix milliseconds (UTC) in
// BIGINT columns, NULL for the zero time.
//
// Every method is one statement or one transaction. On SQLite a write
// transaction holds the database's only write lock from its BEGIN
// IMMEDIATE to its commit, so what it reads still holds when it writes. On
// PostgreSQL transactions run at READ COMMITTED: a conditional UPDATE
// (using a code, a link) is settled by the row lock it takes, of concurrent
// ones the first changes the row and the others find it changed; where a
// rule reads before it writes (issuing a code, the first administrator, the
// last administrator) the transaction first takes a lock that every writer
// of that rule takes too (Dialect.Lock), named at each method.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/msgcount"
)

// Row is one row of a result: *sql.Row and pgx.Row.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result read row by row, as pgx.Rows (and *sql.Rows through
// Std) reads it. Close may be called more than once.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Querier runs statements: on a pool, or on an open transaction.
type Querier interface {
	// Exec runs a statement and returns the number of rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
	Query(ctx context.Context, query string, args ...any) (Rows, error)
}

// LockClass says what an advisory lock (Dialect.Lock) keeps one at a time.
type LockClass int32

const (
	// LockChallenges is on a user, attempt and purpose: issuing a code.
	LockChallenges LockClass = 1
	// LockAdmins is on who is an active administrator: SetAdmin,
	// SetDeactivated, ChangeAccount's role and deactivation.
	LockAdmins LockClass = 2
	// LockBudgets is on the message budgets: IssueChallengeWithMessage.
	LockBudgets LockClass = 3
)

// Dialect is what an engine does its own way.
type Dialect interface {
	// Name is the engine's name, the first word of the store's errors.
	Name() string
	// Reader runs lookups (SQLite: the read-only pool, which WAL mode
	// lets run beside the writer; PostgreSQL: the pool).
	Reader() Querier
	// Writer runs single statements that write (SQLite: the one write
	// connection).
	Writer() Querier
	// InTx runs fn in a write transaction and commits it if fn returns
	// nil (SQLite: BEGIN IMMEDIATE on the write connection, fn must use
	// only tx; PostgreSQL: READ COMMITTED).
	InTx(ctx context.Context, fn func(tx Querier) error) error
	// InSnapshot runs fn in a read-only transaction whose statements see
	// one snapshot of the database (SQLite: a transaction on the read
	// pool; PostgreSQL: REPEATABLE READ, READ ONLY).
	InSnapshot(ctx context.Context, fn func(tx Querier) error) error
	// Lock takes, for the rest of tx, the lock of class: a no-op on
	// SQLite, whose write transaction holds the only write lock already;
	// pg_advisory_xact_lock(class, 0) on PostgreSQL.
	Lock(ctx context.Context, tx Querier, class LockClass) error
	// LockChallenge is Lock of LockChallenges on one user, attempt and
	// purpose (PostgreSQL: on a hash of them).
	LockChallenge(ctx context.Context, tx Querier, userID int64, attemptID string, purpose store.Purpose) error
	// LockUsers keeps, for the rest of tx, every other writer from adding
	// an account (PostgreSQL: LOCK TABLE users IN SHARE ROW EXCLUSIVE
	// MODE; SQLite: nothing, the writer is alone).
	LockUsers(ctx context.Context, tx Querier) error
	// Fold is the SQL of the value of param folded for comparing emails
	// without regard to case, as the index on lower(email) holds them
	// (PostgreSQL names the "C" collation, which its index uses).
	Fold(param string) string
	// Like is the operator that matches a LIKE pattern without regard to
	// case (SQLite: LIKE; PostgreSQL: ILIKE).
	Like() string
	// Prefix is the condition that destination starts with param,
	// exactly: see msgcount.Prefix.
	Prefix(param string) string
	// SkipLocked ends a SELECT of rows to claim: " FOR UPDATE SKIP
	// LOCKED" on PostgreSQL, so that concurrent claimers pass over each
	// other's rows; nothing on SQLite, whose writer claims alone.
	SkipLocked() string
	// IndexedBy makes a query read the named index: " INDEXED BY index"
	// on SQLite, whose planner has no statistics to choose it by; nothing
	// on PostgreSQL.
	IndexedBy(index string) string
	// ForUpdate ends a SELECT of a row that the transaction then changes:
	// " FOR UPDATE" on PostgreSQL; nothing on SQLite, whose writer is
	// alone.
	ForUpdate() string
	// AnyOf is the condition that column is one of the strings in param,
	// whose value is List of them (SQLite: a JSON array read by
	// json_each, one statement text for any list; PostgreSQL: = ANY of a
	// text array).
	AnyOf(column, param string) string
	List(values []string) any
	// DueMessages selects the ids of at most $4 messages due at $1 (queued
	// with next_attempt_at <= $1, or sending with lease_until <= $1), in id
	// order, for ClaimMessages to claim.
	DueMessages() string
	// IsUnique reports whether err is a violation of a unique constraint,
	// of constraint where the engine names it (PostgreSQL).
	IsUnique(err error, constraint string) bool
	// IsForeignKey reports whether err is a foreign-key violation.
	IsForeignKey(err error) bool
}

// DB is the portal store on an engine's Dialect. The engine packages embed
// it and add their own Open, Close, Ping and migrations.
type DB struct {
	d      Dialect
	name   string
	r, w   Querier         // d.Reader(), d.Writer()
	prefix msgcount.Prefix // d.Prefix, as a value made once
	q      queries
}

// New returns the store on d.
func New(d Dialect) *DB {
	db := &DB{d: d, name: d.Name(), r: d.Reader(), w: d.Writer(), prefix: d.Prefix}
	db.q = newQueries(d)
	return db
}

// inTx is d.InTx.
func (db *DB) inTx(ctx context.Context, fn func(tx Querier) error) error {
	return db.d.InTx(ctx, fn)
}

// errorf wraps err as "engine: what: err".
func (db *DB) errorf(what string, err error) error {
	return fmt.Errorf("%s: %s: %w", db.name, what, err)
}

// annotate is errorf for an error that may be nil, which stays nil.
func (db *DB) annotate(what string, err error) error {
	if err == nil {
		return nil
	}
	return db.errorf(what, err)
}

// queries are the statements whose text has a dialect's fragment in it,
// built once.
type queries struct {
	userByEmail        string
	claimOIDCLogouts   string
	countToDestination string
	claimMessages      string
}

func newQueries(d Dialect) queries {
	return queries{
		userByEmail: `SELECT ` + userColumns + ` FROM users WHERE lower(email) = ` + d.Fold(`$1`),
		countToDestination: `SELECT COUNT(*) FROM challenges WHERE destination = $1 AND ` +
			d.AnyOf(`purpose`, `$2`) + ` AND created_at >= $3`,
		claimMessages: `
		WITH due AS MATERIALIZED (` + d.DueMessages() + `)
		UPDATE messages SET status = 'sending', lease_until = $2, attempts = attempts + 1, updated_at = $3
		WHERE id IN (SELECT id FROM due)
		RETURNING ` + messageColumns,
		claimOIDCLogouts: `
		UPDATE oidc_logouts SET attempts = attempts + 1, next_attempt_at = $2
		WHERE id IN (SELECT id FROM oidc_logouts WHERE next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $3` + d.SkipLocked() + `)
		RETURNING id, client_id, subject, attempts, next_attempt_at, created_at`,
	}
}

// Params collects the arguments of a statement built piece by piece.
type Params []any

// Add appends v and returns its placeholder, "$n".
func (p *Params) Add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// defaultPageSize is the page size of the lists when a query asks for none.
const defaultPageSize = 50

// pageSize is the page size a query's Limit asks for: defaultPageSize for 0
// (or less).
func pageSize(limit int) int {
	if limit <= 0 {
		return defaultPageSize
	}
	return limit
}

// TimeValue converts t for storage: unix milliseconds, or NULL for the
// zero time.
func TimeValue(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMillis is the time a stored value stands for, in UTC.
func fromMillis(ms int64) time.Time {
	return time.UnixMilli(ms).UTC()
}

// normalize is t as it reads back after being stored.
func normalize(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return fromMillis(t.UnixMilli())
}

// TimeScanner scans a nullable unix-milliseconds column into *t: as an
// sql.Scanner on database/sql, and as a pgtype.Int64Scanner on pgx, which
// then decodes the column straight into it.
type TimeScanner struct{ t *time.Time }

// ScanTime returns the scanner of a time column into *t.
func ScanTime(t *time.Time) TimeScanner { return TimeScanner{t} }

// Scan implements sql.Scanner.
func (s TimeScanner) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.t = time.Time{}
	case int64:
		*s.t = fromMillis(v)
	default:
		return fmt.Errorf("time column holds %T, want unix milliseconds", src)
	}
	return nil
}

// ScanInt64 implements pgtype.Int64Scanner.
func (s TimeScanner) ScanInt64(v pgtype.Int8) error {
	if !v.Valid {
		*s.t = time.Time{}
		return nil
	}
	*s.t = fromMillis(v.Int64)
	return nil
}

// notFound turns "no rows" into store.ErrNotFound (pgx.ErrNoRows is an
// sql.ErrNoRows too).
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// changedOne returns store.ErrNotFound unless n, the rows a statement
// changed, is at least one.
func changedOne(n int64) error {
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// collect reads every row of rows with scan.
func collect[T any](rows Rows, err error, scan func(Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
