// Package postgres keeps the portal's records in PostgreSQL, on pgx, so
// that any number of portal instances can share one database: it opens the
// pool, runs its migrations and gives package sqlstore, whose SQL both
// engines share, PostgreSQL's dialect (dialect.go). The schema comes from
// numbered migrations embedded in the binary, with the same numbers and
// meaning as the SQLite ones, and applied by Open under an advisory lock.
// Tables, columns and stored values are those of the SQLite store: times are unix milliseconds (UTC) in
// BIGINT columns, NULL for the zero time.
//
// Every method is one statement or one transaction at READ COMMITTED; see
// package sqlstore for how each rule is kept under it (row locks, and
// advisory locks where a rule reads before it writes).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

// lockKey is the key of an advisory lock (pg_advisory_xact_lock(class,
// key), class a sqlstore.LockClass; Open's migrations use the one-bigint
// form, migrateLock, so the two never meet) on what parts name: a 32-bit
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
