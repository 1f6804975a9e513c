package sqlite

import (
	"context"

	"github.com/providerportal/portal/internal/store/sqlstore"
)

// dialect is SQLite's part of the shared store: the one write connection,
// whose transactions begin IMMEDIATE and so hold the only write lock (no
// other lock is needed), and the read-only pool for lookups.
type dialect struct {
	write *pool
	r, w  sqlstore.Querier
}

func (dialect) Name() string                                      { return "sqlite" }
func (d dialect) Reader() sqlstore.Querier                        { return d.r }
func (d dialect) Writer() sqlstore.Querier                        { return d.w }
func (dialect) Fold(param string) string                          { return `lower(` + param + `)` }
func (dialect) Like() string                                      { return `LIKE` }
func (dialect) Prefix(param string) string                        { return prefix(param) }
func (dialect) IsUnique(err error, _ string) bool                 { return isUniqueViolation(err) }
func (dialect) IsForeignKey(err error) bool                       { return isForeignKeyViolation(err) }
func (dialect) LockUsers(context.Context, sqlstore.Querier) error { return nil }

// Lock has nothing to do: the transaction holds SQLite's only write lock.
func (dialect) Lock(context.Context, sqlstore.Querier, sqlstore.LockClass, ...string) error {
	return nil
}

// InTx runs fn in a write transaction (BEGIN IMMEDIATE, see writeParams).
// fn must use only tx: the write pool has a single connection, which tx
// holds.
func (d dialect) InTx(ctx context.Context, fn func(tx sqlstore.Querier) error) error {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // no-op after Commit
	if err := fn(sqlstore.Std(tx)); err != nil {
		return err
	}
	return tx.Commit()
}

// SkipLocked is nothing: the one writer claims alone.
func (dialect) SkipLocked() string { return "" }
