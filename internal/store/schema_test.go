package store_test

import (
	"context"
	"database/sql"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/providerportal/portal/internal/store/postgres"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/store/sqlite"
)

// The two engines' schemas are kept in step: the same numbered migrations,
// giving the same tables, columns, indexes and triggers. A migration made
// for one engine and not the other fails here.

// migrationNumbers returns the numbers of the migration files in dir.
func migrationNumbers(t *testing.T, dir string) map[int]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations in %s (%v)", dir, err)
	}
	nums := map[int]string{}
	for _, f := range files {
		num, _, _ := strings.Cut(filepath.Base(f), "_")
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("migration %s is not numbered", f)
		}
		nums[n] = filepath.Base(f)
	}
	return nums
}

func TestMigrationNumbersMatch(t *testing.T) {
	lite := migrationNumbers(t, "sqlite/migrations")
	pg := migrationNumbers(t, "postgres/migrations")
	for n, name := range lite {
		if _, ok := pg[n]; !ok {
			t.Errorf("SQLite migration %s has no PostgreSQL counterpart in postgres/migrations", name)
		}
	}
	for n, name := range pg {
		if _, ok := lite[n]; !ok {
			t.Errorf("PostgreSQL migration %s has no SQLite counterpart in sqlite/migrations", name)
		}
	}
}

// schema describes what a migrated database holds, in terms both engines
// share.
type schema struct {
	version  int
	columns  map[string]string // "table.column" → "type, null" or "type, not null"
	indexes  []string          // named indexes, not those of primary keys
	triggers []string
}

// typeClass maps a column type of either engine to the kind of value it
// holds.
func typeClass(t *testing.T, typ string) string {
	switch strings.ToLower(typ) {
	case "integer", "bigint":
		return "integer"
	case "text":
		return "text"
	case "blob", "bytea":
		return "bytes"
	case "boolean":
		return "boolean"
	}
	t.Errorf("column type %q: which class?", typ)
	return typ
}

func column(t *testing.T, typ string, notNull bool) string {
	if notNull {
		return typeClass(t, typ) + ", not null"
	}
	return typeClass(t, typ) + ", null"
}

// closedVersion is the schema version of db, which an engine's Open has
// just returned (with err) and so migrated, and closes db. An error stops
// the test.
func closedVersion[DB interface {
	Version(context.Context) (int, error)
	Close() error
}](t *testing.T, db DB, err error) int {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	version, err := db.Version(t.Context())
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	return version
}

func sqliteSchema(t *testing.T) schema {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "portal.db")
	db, err := sqlite.Open(ctx, path)
	version := closedVersion(t, db, err)
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// schema_migrations is each engine's own bookkeeping; automatic
	// indexes have no statement.
	return readSchema(t, raw, version, catalogue{
		columns: `
			SELECT m.name, p.name, p.type, p."notnull" OR p.pk > 0
			FROM sqlite_schema AS m JOIN pragma_table_info(m.name) AS p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name <> 'schema_migrations'`,
		indexes:  `SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`,
		triggers: `SELECT name FROM sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL ORDER BY name`,
	})
}

func postgresSchema(t *testing.T) schema {
	ctx := t.Context()
	url := pgtest.NewDatabase(t).NewSchema(t)
	db, err := postgres.Open(ctx, url)
	version := closedVersion(t, db, err)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	raw := stdlib.OpenDB(*cfg)
	defer raw.Close()
	return readSchema(t, raw, version, catalogue{
		columns: `
			SELECT table_name, column_name, data_type, is_nullable = 'NO'
			FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'`,
		indexes: `
			SELECT i.relname FROM pg_index AS x
			JOIN pg_class AS i ON i.oid = x.indexrelid
			WHERE i.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary
			ORDER BY 1`,
		triggers: `
			SELECT tgname FROM pg_trigger
			WHERE NOT tgisinternal
				AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = current_schema()::regnamespace)
			ORDER BY 1`,
	})
}

// catalogue is how an engine is asked what its database holds: the
// columns as (table, column, type, not null), the names of the indexes
// and triggers that a migration created.
type catalogue struct{ columns, indexes, triggers string }

// readSchema asks db, at the version given, what it holds.
func readSchema(t *testing.T, db *sql.DB, version int, c catalogue) schema {
	t.Helper()
	s := schema{version: version, columns: map[string]string{}}
	rows, err := db.QueryContext(t.Context(), c.columns)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, col, typ string
		var notNull bool
		if err := rows.Scan(&table, &col, &typ, &notNull); err != nil {
			t.Fatal(err)
		}
		s.columns[table+"."+col] = column(t, typ, notNull)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	s.indexes = names(t, db, c.indexes)
	s.triggers = names(t, db, c.triggers)
	return s
}

// names is the one column of what query returns.
func names(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// TestSchemasMatch migrates a SQLite and a PostgreSQL database and compares
// what they hold: the same version, tables and columns (with the kind of
// value and whether NULL is allowed), indexes, and triggers (PostgreSQL has
// one more, for TRUNCATE, which SQLite does not have).
func TestSchemasMatch(t *testing.T) {
	pg := postgresSchema(t) // first: it skips when there is no server
	lite := sqliteSchema(t)

	if lite.version != pg.version {
		t.Errorf("Version after Open: SQLite %d, PostgreSQL %d", lite.version, pg.version)
	}
	for _, c := range slices.Sorted(maps.Keys(lite.columns)) {
		switch p, ok := pg.columns[c]; {
		case !ok:
			t.Errorf("column %s (%s) is missing in PostgreSQL", c, lite.columns[c])
		case p != lite.columns[c]:
			t.Errorf("column %s: SQLite %s, PostgreSQL %s", c, lite.columns[c], p)
		}
	}
	for _, c := range slices.Sorted(maps.Keys(pg.columns)) {
		if _, ok := lite.columns[c]; !ok {
			t.Errorf("column %s (%s) is missing in SQLite", c, pg.columns[c])
		}
	}
	if !slices.Equal(lite.indexes, pg.indexes) {
		t.Errorf("indexes differ:\nSQLite     %q\nPostgreSQL %q", lite.indexes, pg.indexes)
	}
	for _, trigger := range lite.triggers {
		if !slices.Contains(pg.triggers, trigger) {
			t.Errorf("trigger %s is missing in PostgreSQL (it has %q)", trigger, pg.triggers)
		}
	}
	if len(lite.columns) == 0 || len(lite.indexes) == 0 || len(lite.triggers) == 0 {
		t.Errorf("the SQLite schema looks empty: %+v", lite)
	}
}
