package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations are numbered files, NNNN_what.sql, applied in order; each runs
// in its own transaction together with its row in schema_migrations. A
// migration, once released, is never edited: a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

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
// how many it applied. It is safe to run concurrently with another process
// migrating the same file: each migration checks, inside its transaction,
// that it has not been applied meanwhile.
func (db *DB) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, fmt.Errorf("sqlite: migrate: %w", err)
	}
	_, err = db.write.ExecContext(ctx, `
		CREATE TABLE IF NOT EXISTS schema_migrations (
			version     INTEGER PRIMARY KEY,
			applied_at  TEXT    NOT NULL
		)`)
	if err != nil {
		return 0, fmt.Errorf("sqlite: migrate: %w", err)
	}
	current, err := db.Version(ctx)
	if err != nil {
		return 0, err
	}
	if latest := ms[len(ms)-1].version; current > latest {
		return 0, fmt.Errorf("sqlite: migrate: database is at version %d, newer than this program's %d", current, latest)
	}

	for _, m := range ms {
		var ran bool
		err := db.inTx(ctx, func(tx *poolTx) error {
			var done bool
			err := tx.QueryRowContext(ctx,
				`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`,
				m.version).Scan(&done)
			if err != nil || done {
				return err
			}
			if _, err := tx.Tx.ExecContext(ctx, m.sql); err != nil { // a script run once: not kept as a statement
				return err
			}
			_, err = tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				m.version, time.Now().UTC().Format(time.RFC3339Nano))
			if err != nil {
				return err
			}
			ran = true
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("sqlite: migrate %s: %w", m.name, err)
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
	err := db.write.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return v, nil
}
