package postgres

import (
	"context"
	"embed"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/providerportal/portal/internal/store/sqlstore"
)

// migrationFiles are PostgreSQL's migrations, run by sqlstore.DB.Migrate,
// with the same numbers and meaning as SQLite's.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLock is the key of the transaction-level advisory lock each
// migration's transaction takes first, so that instances starting at once
// apply every migration exactly once, one after the other.
const migrateLock int64 = 0x706f7274616c // "portal"

// Migrate applies the migrations the database has not had yet and returns
// how many it applied (see sqlstore.Migrations). It is safe to run from
// several instances at once: each migration's transaction takes the
// advisory lock migrateLock first.
//
// The tables go to the first schema of the search_path (public unless the
// URL sets search_path).
func (db *DB) Migrate(ctx context.Context) (int, error) {
	return db.DB.Migrate(ctx, sqlstore.Migrations{
		Files:         migrationFiles,
		AppliedAtType: "TIMESTAMPTZ NOT NULL DEFAULT now()",
		AppliedAt:     func() any { return time.Now() },
		InTx: func(ctx context.Context, fn func(tx sqlstore.Querier, script func(string) error) error) error {
			return db.inTx(ctx, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
					return err
				}
				return fn(pgxQuerier{tx}, func(sql string) error {
					// Without arguments pgx sends the file as one simple
					// query, which may hold several statements.
					_, err := tx.Exec(ctx, sql)
					return err
				})
			})
		},
	})
}
