package sqlite

import (
	"context"
	"embed"
	"time"

	"github.com/providerportal/portal/internal/store/sqlstore"
)

// migrationFiles are SQLite's migrations, run by sqlstore.DB.Migrate.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies the migrations the database has not had yet and returns
// how many it applied (see sqlstore.Migrations). It is safe to run
// concurrently with another process migrating the same file: each
// migration's write transaction holds the file's write lock.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	return db.DB.Migrate(ctx, sqlstore.Migrations{
		Files:         migrationFiles,
		AppliedAtType: "TEXT NOT NULL",
		AppliedAt:     func() any { return time.Now().UTC().Format(time.RFC3339Nano) },
		InTx: func(ctx context.Context, fn func(tx sqlstore.Querier, script func(string) error) error) error {
			return db.inTx(ctx, func(tx *poolTx) error {
				return fn(sqlstore.Std(tx), func(sql string) error {
					_, err := tx.Tx.ExecContext(ctx, sql) // a script run once: not kept as a statement
					return err
				})
			})
		},
	})
}
