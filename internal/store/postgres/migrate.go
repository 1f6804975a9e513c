package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Migrations are numbered files, NNNN_what.sql, applied in order; each runs
// in its own transaction together with its row in schema_migrations. A
// migration, once released, is never edited: a change is a new file, made
// for both engines under the same number.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLock is the key of the transaction-level advisory lock each
// migration's transaction takes first, so that instances starting at once
// apply every migration exactly once, one after the other.
const migrateLock int64 = 0x706f7274616c // "portal"

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	seen := map[int]string{}
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_what.sql", base)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same number", other, base)
		}
		seen[v] = base
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// Migrate applies the migrations the database has not had yet and returns
// how many it applied. It is safe to run from several instances at once:
// each migration's transaction takes the advisory lock migrateLock and then
// checks that the migration has not been applied meanwhile.
//
// The tables go to the first schema of the search_path (public unless the
// URL sets search_path).
func (db *DB) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, fmt.Errorf("postgres: migrate: %w", err)
	}
	// The table of applied migrations is created under the lock too: two
	// CREATE TABLE IF NOT EXISTS at once can both try to create it.
	var current int
	err = db.locked(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			CREATE TABLE IF NOT EXISTS schema_migrations (
				version     INTEGER     PRIMARY KEY,
				applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
			)`)
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: migrate: %w", err)
	}
	if latest := ms[len(ms)-1].version; current > latest {
		return 0, fmt.Errorf("postgres: migrate: database is at version %d, newer than this program's %d", current, latest)
	}

	for _, m := range ms {
		if m.version <= current {
			continue
		}
		var ran bool
		err := db.locked(ctx, func(tx pgx.Tx) error {
			var done bool
			err := tx.QueryRow(ctx,
				`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`,
				m.version).Scan(&done)
			if err != nil || done {
				return err
			}
			// Without arguments pgx sends the file as one simple query,
			// which may hold several statements.
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx,
				`INSERT INTO schema_migrations (version) VALUES ($1)`, m.version); err != nil {
				return err
			}
			ran = true
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("postgres: migrate %s: %w", m.name, err)
		}
		if ran {
			applied++
		}
	}
	return applied, nil
}

// locked runs fn in a transaction holding the advisory lock migrateLock.
func (db *DB) locked(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return err
		}
		return fn(tx)
	})
}

// Version returns the number of the newest applied migration, 0 if none.
func (db *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := db.pool.QueryRow(ctx,
		`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	return v, nil
}
