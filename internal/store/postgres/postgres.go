// Package postgres keeps the portal's records in PostgreSQL, implementing
// store.Store with plain SQL on pgx, so that any number of portal instances
// can share one database. The schema comes from numbered migrations embedded
// in the binary, with the same numbers and meaning as the SQLite ones, and
// applied by Open under an advisory lock. Tables, columns and stored values
// are those of the SQLite store: times are unix milliseconds (UTC) in
// BIGINT columns, NULL for the zero time.
//
// Every method is one statement or one transaction at READ COMMITTED. A
// conditional UPDATE (using a code, a link) is settled by the row lock it
// takes: of concurrent ones, the first changes the row and the others find
// it changed. Where a rule reads before it writes (issuing a code, the first
// administrator, the last administrator) the transaction first takes a lock
// that every writer of that rule takes too, named at each method.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/sqlstore"
)

var _ store.Store = (*DB)(nil)

// DefaultMaxConns is the size of the connection pool when neither the URL
// (pool_max_conns) nor the MaxConns option sets one. Every instance has a
// pool of its own: the database must accept instances × pool size
// connections (PostgreSQL's max_connections is 100 by default).
const DefaultMaxConns = 10

// DB is a portal store in a PostgreSQL database.
type DB struct {
	*sqlstore.DB
	pool *pgxpool.Pool
}

// Option changes how Open connects.
type Option func(*pgxpool.Config)

// MaxConns sets the size of the connection pool, overriding the URL's
// pool_max_conns; n <= 0 leaves it as it is.
func MaxConns(n int32) Option {
	return func(c *pgxpool.Config) {
		if n > 0 {
			c.MaxConns = n
		}
	}
}

// DefaultConnectTimeout bounds a new connection when the URL does not set
// connect_timeout.
const DefaultConnectTimeout = 5 * time.Second

// Open connects to the PostgreSQL database at url (postgres://… or
// key=value form; pgxpool's pool_* parameters are understood, and any other
// run-time parameter such as search_path is set on every connection) and
// applies pending migrations. The pool holds DefaultMaxConns connections
// unless the URL's pool_max_conns or the MaxConns option says otherwise.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	cfg, err := PoolConfig(url)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db := &DB{pool: pool}
	db.DB = sqlstore.New(dialect{pool: pool, q: pgxQuerier{pool}})
	if _, err := db.Migrate(ctx); err != nil {
		db.Close() // #nosec G104 -- the migration error is the one returned
		return nil, err
	}
	return db, nil
}

// PoolConfig reads url with the portal's defaults: DefaultMaxConns unless
// pool_max_conns is given, DefaultConnectTimeout unless connect_timeout is.
func PoolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error repeats the URL, password and all: say less.
		return nil, errors.New("postgres: open: the database URL cannot be parsed")
	}
	if !setsPoolSize(url) {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// Without a limit, a database host that silently drops packets
		// would hold each request until the kernel gives up (minutes);
		// with it, the request fails fast with the friendly error page and
		// /readyz reports the outage.
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	return cfg, nil
}

// setsPoolSize reports whether the connection string sets pool_max_conns.
func setsPoolSize(s string) bool {
	if u, err := url.Parse(s); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return u.Query().Has("pool_max_conns")
	}
	return strings.Contains(s, "pool_max_conns=")
}

// Close closes the pool's connections.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Pool returns the connection pool, for a tool that writes the tables
// themselves: `portal migrate-to` fills them from SQLite.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// inTx runs fn in a READ COMMITTED transaction and commits it if fn
// returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// querier is what *pgxpool.Pool and pgx.Tx have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Keys of transaction-level advisory locks, in the two-int form
// pg_advisory_xact_lock(class, key): class says what is locked, key which
// one. Open's migrations use the one-bigint form (migrateLock), so the two
// never meet.
const (
	lockChallenges = 1 // key: hash of user, attempt and purpose (IssueChallenge)
	lockAdmins     = 2 // key: 0; who is an active administrator (SetAdmin, SetDeactivated)
	lockBudgets    = 3 // key: 0; message budgets (IssueChallengeWithMessage with budgets)
)

// lockKey is the key of an advisory lock on what parts name: a 32-bit
// hash, so two different names may share a key and wait for each other,
// which is slower but never wrong.
func lockKey(parts ...string) int32 {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p)) // #nosec G104 -- hash.Hash's Write never returns an error
		h.Write([]byte{0}) // #nosec G104 -- hash.Hash's Write never returns an error
	}
	return int32(h.Sum32()) // #nosec G115 -- wraps on purpose: any int32 is a key, and the hash only spreads them
}

// params collects the arguments of a statement built piece by piece.
type params []any

// add appends v and returns its placeholder, "$n".
func (p *params) add(v any) string {
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

// timeValue converts t for storage: unix milliseconds, or NULL for the zero time.
func timeValue(t time.Time) any {
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

// timeScanner scans a nullable unix-milliseconds column into *t.
type timeScanner struct{ t *time.Time }

func scanTime(t *time.Time) timeScanner { return timeScanner{t} }

// ScanInt64 implements pgtype.Int64Scanner.
func (s timeScanner) ScanInt64(v pgtype.Int8) error {
	if !v.Valid {
		*s.t = time.Time{}
		return nil
	}
	*s.t = fromMillis(v.Int64)
	return nil
}

// notFound turns pgx.ErrNoRows into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// SQLSTATE codes the store tells apart.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// isViolation reports whether err is a PostgreSQL error with the SQLSTATE
// code and, if constraint is not empty, on that constraint (or unique index).
func isViolation(err error, code, constraint string) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == code && (constraint == "" || e.ConstraintName == constraint)
}

// changedOne returns store.ErrNotFound unless tag reports a changed row.
func changedOne(tag pgconn.CommandTag) error {
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
