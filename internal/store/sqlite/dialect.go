package sqlite

import (
	"context"
	"encoding/json"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/sqlstore"
)

// dialect is SQLite's part of the shared store: the one write connection,
// whose transactions begin IMMEDIATE and so hold the only write lock (no
// other lock is needed), and the read-only pool for lookups.
type dialect struct {
	db   *DB
	r, w sqlstore.Querier // db.read, db.write
}

func (dialect) Name() string                                      { return "sqlite" }
func (d dialect) Reader() sqlstore.Querier                        { return d.r }
func (d dialect) Writer() sqlstore.Querier                        { return d.w }
func (dialect) Fold(param string) string                          { return `lower(` + param + `)` }
func (dialect) Like() string                                      { return `LIKE` }
func (dialect) IsUnique(err error, _ string) bool                 { return isUniqueViolation(err) }
func (dialect) IsForeignKey(err error) bool                       { return isForeignKeyViolation(err) }
func (dialect) LockUsers(context.Context, sqlstore.Querier) error { return nil }

// Lock has nothing to do: the transaction holds SQLite's only write lock.
func (dialect) Lock(context.Context, sqlstore.Querier, sqlstore.LockClass) error { return nil }

// LockChallenge has nothing to do either.
func (dialect) LockChallenge(context.Context, sqlstore.Querier, int64, string, store.Purpose) error {
	return nil
}

// InTx runs fn in a write transaction, DB.inTx.
func (d dialect) InTx(ctx context.Context, fn func(tx sqlstore.Querier) error) error {
	return d.db.inTx(ctx, func(tx *poolTx) error { return fn(sqlstore.Std(tx)) })
}

// SkipLocked is nothing: the one writer claims alone.
func (dialect) SkipLocked() string { return "" }

// InSnapshot runs fn in a transaction on the read pool: WAL mode gives it
// one snapshot from its first read to its end.
func (d dialect) InSnapshot(ctx context.Context, fn func(tx sqlstore.Querier) error) error {
	tx, err := d.db.read.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // #nosec G104 -- read only: nothing to keep or lose
	return fn(sqlstore.Std(tx))
}

// IndexedBy names the index: SQLite plans without statistics (the portal
// never runs ANALYZE).
func (dialect) IndexedBy(index string) string { return ` INDEXED BY ` + index }

// ForUpdate is nothing: the one writer changes the row alone.
func (dialect) ForUpdate() string { return "" }

// AnyOf reads the list as a JSON array, so that one statement text (one
// prepared statement) serves any list.
func (dialect) AnyOf(column, param string) string {
	return column + ` IN (SELECT value FROM json_each(` + param + `))`
}

// List is values as a JSON array.
func (dialect) List(values []string) any {
	b, err := json.Marshal(values)
	if err != nil {
		panic(err) // strings always marshal
	}
	return string(b)
}

// DueMessages takes the queued and the lapsed apart, each on its own
// index, rather than one OR that SQLite would answer with a scan.
func (dialect) DueMessages() string {
	return `SELECT id FROM (
				SELECT id FROM messages WHERE status = 'queued' AND next_attempt_at <= $1
				UNION ALL
				SELECT id FROM messages WHERE status = 'sending' AND lease_until <= $1
			) ORDER BY id LIMIT $4`
}

// Prefix compares the start of destination. Not LIKE: SQLite's ignores
// case (PostgreSQL's does not), and the prefix must not need escaping.
func (dialect) Prefix(param string) string {
	return `substr(destination, 1, length(` + param + `)) = ` + param
}
