package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migrations are an engine's numbered files, NNNN_what.sql, applied in
// order by Migrate; each runs in its own transaction together with its row
// in schema_migrations. A migration, once released, is never edited: a
// change is a new file, made for both engines under the same number. The
// DDL is each engine's own; the runner is this one.
type Migrations struct {
	Files fs.FS // holding the files as migrations/NNNN_name.sql
	// AppliedAtType is the engine's type of schema_migrations.applied_at,
	// when the migration was applied, and AppliedAt its value now.
	AppliedAtType string
	AppliedAt     func() any
	// InTx runs fn in a write transaction that holds the lock every
	// migrating instance takes (SQLite: its write lock; PostgreSQL: an
	// advisory lock), so that instances starting at once apply each
	// migration exactly once. script runs a migration's file in it, as one
	// script of several statements.
	InTx func(ctx context.Context, fn func(tx Querier, script func(sql string) error) error) error
}

type migration struct {
	version int
	name    string
	sql     string
}

// list returns the migrations in order.
func (m Migrations) list() ([]migration, error) {
	names, err := fs.Glob(m.Files, "migrations/*.sql")
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
		b, err := fs.ReadFile(m.Files, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations in migrations/")
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// Migrate applies the migrations the database has not had yet and returns
// how many it applied. It is safe to run from several processes or
// instances at once: each migration's transaction takes the migration lock
// (m.InTx) and then checks that the migration has not been applied
// meanwhile. A migration missing below the newest applied one is applied
// too.
func (db *DB) Migrate(ctx context.Context, m Migrations) (applied int, err error) {
	ms, err := m.list()
	if err != nil {
		return 0, db.errorf("migrate", err)
	}
	// The table of applied migrations is created under the lock too: two
	// CREATE TABLE IF NOT EXISTS at once can both try to create it.
	var current int
	err = m.InTx(ctx, func(tx Querier, _ func(string) error) error {
		_, err := tx.Exec(ctx, `
			CREATE TABLE IF NOT EXISTS schema_migrations (
				version     INTEGER PRIMARY KEY,
				applied_at  `+m.AppliedAtType+`
			)`)
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
	})
	if err != nil {
		return 0, db.errorf("migrate", err)
	}
	if latest := ms[len(ms)-1].version; current > latest {
		return 0, fmt.Errorf("%s: migrate: database is at version %d, newer than this program's %d", db.name, current, latest)
	}

	for _, mg := range ms {
		var ran bool
		err := m.InTx(ctx, func(tx Querier, script func(string) error) error {
			var done bool
			err := tx.QueryRow(ctx,
				`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`,
				mg.version).Scan(&done)
			if err != nil || done {
				return err
			}
			if err := script(mg.sql); err != nil {
				return err
			}
			_, err = tx.Exec(ctx,
				`INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				mg.version, m.AppliedAt())
			if err != nil {
				return err
			}
			ran = true
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("%s: migrate %s: %w", db.name, mg.name, err)
		}
		if ran {
			applied++
		}
	}
	return applied, nil
}

// Version returns the number of the newest applied migration, 0 if none.
func (db *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := db.w.QueryRow(ctx,
		`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, db.errorf("schema version", err)
	}
	return v, nil
}
