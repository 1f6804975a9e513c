package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/sqlstore"
)

// dialect is PostgreSQL's part of the shared store: one pool for reads and
// writes, READ COMMITTED transactions, advisory locks.
type dialect struct {
	pool *pgxpool.Pool
	q    sqlstore.Querier
}

func (dialect) Name() string                { return "postgres" }
func (d dialect) Reader() sqlstore.Querier  { return d.q }
func (d dialect) Writer() sqlstore.Querier  { return d.q }
func (dialect) Fold(param string) string    { return `lower(` + param + `::text COLLATE "C")` }
func (dialect) Like() string                { return `ILIKE` }
func (dialect) IsForeignKey(err error) bool { return isViolation(err, foreignKeyViolation, "") }

// Prefix is starts_with, not LIKE: the prefix must not need escaping.
func (dialect) Prefix(param string) string { return `starts_with(destination, ` + param + `)` }

func (dialect) IsUnique(err error, constraint string) bool {
	return isViolation(err, uniqueViolation, constraint)
}

// InTx runs fn in a READ COMMITTED transaction.
func (d dialect) InTx(ctx context.Context, fn func(tx sqlstore.Querier) error) error {
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error { return fn(pgxQuerier{tx}) })
}

// Lock takes the transaction-level advisory lock
// pg_advisory_xact_lock(class, 0).
func (dialect) Lock(ctx context.Context, tx sqlstore.Querier, class sqlstore.LockClass) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, int32(class))
	return err
}

// LockChallenge takes the advisory lock of sqlstore.LockChallenges on a
// hash of the user, attempt and purpose.
func (dialect) LockChallenge(ctx context.Context, tx sqlstore.Querier, userID int64, attemptID string, purpose store.Purpose) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`,
		int32(sqlstore.LockChallenges), lockKey(strconv.FormatInt(userID, 10), attemptID, string(purpose)))
	return err
}

// LockUsers locks the table users in SHARE ROW EXCLUSIVE mode, which
// conflicts with itself and with every INSERT.
func (dialect) LockUsers(ctx context.Context, tx sqlstore.Querier) error {
	_, err := tx.Exec(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`)
	return err
}

// pgxQuerier adapts a pool or a transaction of pgx to sqlstore.Querier,
// keeping pgx's own API underneath (no database/sql).
type pgxQuerier struct {
	q interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
}

func (p pgxQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := p.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (p pgxQuerier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return p.q.QueryRow(ctx, query, args...)
}

func (p pgxQuerier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return p.q.Query(ctx, query, args...)
}

// SkipLocked lets concurrent claimers pass over each other's rows.
func (dialect) SkipLocked() string { return ` FOR UPDATE SKIP LOCKED` }

// InSnapshot runs fn in a REPEATABLE READ, READ ONLY transaction: its
// statements share one snapshot.
func (d dialect) InSnapshot(ctx context.Context, fn func(tx sqlstore.Querier) error) error {
	return pgx.BeginTxFunc(ctx, d.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error { return fn(pgxQuerier{tx}) })
}

// IndexedBy is nothing: the planner chooses by the table's statistics.
func (dialect) IndexedBy(string) string { return "" }

// ForUpdate locks the row read until the transaction ends.
func (dialect) ForUpdate() string { return ` FOR UPDATE` }

// AnyOf compares with each element of a text array.
func (dialect) AnyOf(column, param string) string { return column + ` = ANY(` + param + `)` }

// List is values as they are: pgx sends a text array.
func (dialect) List(values []string) any { return values }

// DueMessages locks the due messages FOR UPDATE SKIP LOCKED: a message
// another dispatcher is claiming at the same moment is passed over rather
// than waited for, and one it claimed just before is found no longer due
// when the lock is granted, so each message goes to one claimer, on any
// instance.
func (dialect) DueMessages() string {
	return `SELECT id FROM messages
			WHERE (status = 'queued' AND next_attempt_at <= $1)
				OR (status = 'sending' AND lease_until <= $1)
			ORDER BY id
			LIMIT $4
			FOR UPDATE SKIP LOCKED`
}
