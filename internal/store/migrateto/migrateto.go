// Package migrateto copies a portal's SQLite database into an empty
// PostgreSQL database, for a practice that outgrows one instance (`portal
// migrate-to`): its users keep their passwords, phones and sessions, and
// the audit log its history. The two engines have the same tables and
// columns (the parity test in package store sees to it) and store values
// the same way, unix milliseconds in integer columns, bytes, text and
// booleans; only SQLite's booleans (integers) and the applied_at text of
// schema_migrations change form on the way.
package migrateto

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Tables are the tables copied, each after those its foreign keys name.
var Tables = []string{
	"users", "sessions", "challenges", "throttles", "audit_events",
	"settings", "setup_token", "tokens", "messages",
	"applications", "oidc_auth_requests", "oidc_tokens", "oidc_keys", "oidc_logouts",
	"overview_messages", "overview_codes", "overview_events", "schema_migrations",
}

// Count is how many rows of a table were copied.
type Count struct {
	Table string
	Rows  int
}

// NotEmptyError is returned when the PostgreSQL database already holds
// rows: Copy adds to nothing.
type NotEmptyError struct {
	Table string
	Rows  int
}

func (e *NotEmptyError) Error() string {
	if e.Table == "users" {
		return fmt.Sprintf("the PostgreSQL database already has %d users: migrate-to copies into an empty database only", e.Rows)
	}
	return fmt.Sprintf("the PostgreSQL database is not empty (%s has %d rows): migrate-to copies into an empty database only", e.Table, e.Rows)
}

// rowsPerInsert bounds one INSERT: PostgreSQL takes at most 65535
// parameters a statement.
const rowsPerInsert = 500

// Copy copies every row of every table of the SQLite database src into the
// PostgreSQL database dst, both migrated to the same schema version, and
// returns how many rows each table had, in the order of Tables.
//
// It reads src in one transaction, a consistent snapshot, and writes dst
// in one transaction: all of it arrives, or nothing. dst must be empty
// (*NotEmptyError otherwise); only the set-up token that a portal started
// on it stores is replaced. Rows keep their ids (OVERRIDING SYSTEM VALUE),
// and each id sequence then goes on above the highest id SQLite ever gave
// out, so that no id is used twice: audit events refer to users by id.
func Copy(ctx context.Context, src *sql.DB, dst *pgxpool.Pool) ([]Count, error) {
	from, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("migrate-to: read SQLite: %w", err)
	}
	defer from.Rollback()
	if err := knownTables(ctx, from); err != nil {
		return nil, err
	}
	sequences, err := sqliteSequences(ctx, from)
	if err != nil {
		return nil, err
	}

	var counts []Count
	err = pgx.BeginFunc(ctx, dst, func(to pgx.Tx) error {
		// No instance writes while the copy runs (one started on dst
		// would store a set-up token, for one).
		if _, err := to.Exec(ctx, `LOCK TABLE `+strings.Join(Tables, ", ")+` IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		if err := checkEmpty(ctx, to); err != nil {
			return err
		}
		if err := sameVersions(ctx, from, to); err != nil {
			return err
		}
		if _, err := to.Exec(ctx, `DELETE FROM setup_token`); err != nil {
			return err
		}
		// applied_at says when each migration was applied; SQLite's are
		// the ones that count.
		if _, err := to.Exec(ctx, `DELETE FROM schema_migrations`); err != nil {
			return err
		}
		for _, table := range Tables {
			n, err := copyTable(ctx, from, to, table, sequences[table])
			if err != nil {
				return fmt.Errorf("table %s: %w", table, err)
			}
			counts = append(counts, Count{table, n})
		}
		return nil
	})
	var ne *NotEmptyError
	if errors.As(err, &ne) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("migrate-to: %w", err)
	}
	return counts, nil
}

// knownTables fails if SQLite has a table that Copy does not know: a new
// migration's table must be added to Tables, in its place.
func knownTables(ctx context.Context, from *sql.Tx) error {
	names, err := queryStrings(ctx, from, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name`)
	if err != nil {
		return fmt.Errorf("migrate-to: list SQLite tables: %w", err)
	}
	for _, name := range names {
		if !slices.Contains(Tables, name) {
			return fmt.Errorf("migrate-to: SQLite table %s is not one migrate-to knows to copy", name)
		}
	}
	return nil
}

// sqliteSequences returns the highest id that AUTOINCREMENT gave out in
// each table; it may be above the highest id left in the table.
func sqliteSequences(ctx context.Context, from *sql.Tx) (map[string]int64, error) {
	rows, err := from.QueryContext(ctx, `SELECT name, seq FROM sqlite_sequence`)
	if err != nil {
		return nil, fmt.Errorf("migrate-to: read SQLite sequences: %w", err)
	}
	defer rows.Close()
	seqs := map[string]int64{}
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return nil, fmt.Errorf("migrate-to: read SQLite sequences: %w", err)
		}
		seqs[name] = seq
	}
	return seqs, rows.Err()
}

// checkEmpty returns a *NotEmptyError for the first table with rows, users
// first; schema_migrations (dst's own) and setup_token (replaced) do not
// count.
func checkEmpty(ctx context.Context, to pgx.Tx) error {
	for _, table := range Tables {
		if table == "schema_migrations" || table == "setup_token" {
			continue
		}
		var n int
		if err := to.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &NotEmptyError{Table: table, Rows: n}
		}
	}
	return nil
}

// sameVersions fails unless both databases have had the same migrations.
func sameVersions(ctx context.Context, from *sql.Tx, to pgx.Tx) error {
	lite, err := queryStrings(ctx, from, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return err
	}
	// In number order: the output column "version" is text, and would
	// sort 13 before 2.
	rows, err := to.Query(ctx, `SELECT version::text FROM schema_migrations ORDER BY schema_migrations.version`)
	if err != nil {
		return err
	}
	pg, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if !slices.Equal(lite, pg) {
		return fmt.Errorf("the schemas differ: SQLite has migrations %v, PostgreSQL %v", lite, pg)
	}
	return nil
}

// column is a column of a PostgreSQL table.
type column struct {
	name     string
	typ      string // information_schema's data_type
	identity bool
}

// copyTable copies one table's rows and, if it has an identity column,
// moves the column's sequence past the highest id (or seq, SQLite's
// highest given out). It returns the number of rows.
func copyTable(ctx context.Context, from *sql.Tx, to pgx.Tx, table string, seq int64) (int, error) {
	cols, err := sameColumns(ctx, from, to, table)
	if err != nil {
		return 0, err
	}
	n, err := copyRows(ctx, from, to, table, cols)
	if err != nil {
		return n, err
	}
	if err := checkCopied(ctx, to, table, n); err != nil {
		return n, err
	}
	if identity := identityColumn(cols); identity != "" {
		if err := moveSequence(ctx, to, table, identity, seq); err != nil {
			return n, fmt.Errorf("move the %s sequence: %w", identity, err)
		}
	}
	return n, nil
}

// sameColumns returns the columns of the PostgreSQL table, in their order,
// and fails unless the SQLite table has columns of the same names.
func sameColumns(ctx context.Context, from *sql.Tx, to pgx.Tx, table string) ([]column, error) {
	rows, err := to.Query(ctx, `
		SELECT column_name, data_type, is_identity = 'YES'
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1
		ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, err
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (column, error) {
		var c column
		return c, r.Scan(&c.name, &c.typ, &c.identity)
	})
	if err != nil {
		return nil, err
	}
	lite, err := queryStrings(ctx, from, `SELECT name FROM pragma_table_info($1) ORDER BY name`, table)
	if err != nil {
		return nil, err
	}
	names := columnNames(cols)
	if !slices.Equal(lite, slices.Sorted(slices.Values(names))) {
		return nil, fmt.Errorf("the columns differ: SQLite %v, PostgreSQL %v", lite, names)
	}
	return cols, nil
}

// columnNames are the names of cols, in their order.
func columnNames(cols []column) []string {
	var names []string
	for _, c := range cols {
		names = append(names, c.name)
	}
	return names
}

// identityColumn is the name of the identity column among cols, or "".
func identityColumn(cols []column) string {
	identity := ""
	for _, c := range cols {
		if c.identity {
			identity = c.name
		}
	}
	return identity
}

// copyRows reads the table's rows from SQLite in rowid order and inserts
// them into PostgreSQL, rowsPerInsert to a statement. It returns the
// number of rows read.
func copyRows(ctx context.Context, from *sql.Tx, to pgx.Tx, table string, cols []column) (int, error) {
	src, err := from.QueryContext(ctx, `SELECT `+strings.Join(columnNames(cols), ", ")+` FROM `+table+` ORDER BY rowid`) // #nosec G202 -- table is one of the fixed Tables, the columns PostgreSQL's own names for it, checked equal to SQLite's
	if err != nil {
		return 0, err
	}
	defer src.Close()
	out := newInserter(to, table, cols)
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	n := 0
	for src.Next() {
		if err := src.Scan(ptrs...); err != nil {
			return n, err
		}
		if err := out.add(values); err != nil {
			return n, err
		}
		n++
		if n%rowsPerInsert == 0 {
			if err := out.flush(ctx); err != nil {
				return n, err
			}
		}
	}
	if err := src.Err(); err != nil {
		return n, err
	}
	return n, out.flush(ctx)
}

// inserter gathers the rows of one PostgreSQL table and writes them in one
// INSERT; rows keep their ids.
type inserter struct {
	to     pgx.Tx
	insert string // the statement up to VALUES
	cols   []column
	batch  []any // the values of the rows gathered, row after row
}

func newInserter(to pgx.Tx, table string, cols []column) *inserter {
	insert := `INSERT INTO ` + table + ` (` + strings.Join(columnNames(cols), ", ") + `)`
	if identityColumn(cols) != "" {
		insert += ` OVERRIDING SYSTEM VALUE`
	}
	return &inserter{to: to, insert: insert, cols: cols}
}

// add gathers one row read from SQLite, its values converted for
// PostgreSQL's columns.
func (in *inserter) add(values []any) error {
	for i, c := range in.cols {
		v, err := convert(values[i], c.typ)
		if err != nil {
			return fmt.Errorf("column %s: %w", c.name, err)
		}
		in.batch = append(in.batch, v)
	}
	return nil
}

// flush writes the rows gathered, if any.
func (in *inserter) flush(ctx context.Context) error {
	if len(in.batch) == 0 {
		return nil
	}
	_, err := in.to.Exec(ctx, in.insert+` VALUES `+placeholders(len(in.batch)/len(in.cols), len(in.cols)), in.batch...)
	in.batch = in.batch[:0]
	return err
}

// checkCopied fails unless the PostgreSQL table holds the n rows read.
func checkCopied(ctx context.Context, to pgx.Tx, table string, n int) error {
	var copied int
	if err := to.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&copied); err != nil {
		return err
	}
	if copied != n {
		return fmt.Errorf("%d rows read, %d in PostgreSQL", n, copied)
	}
	return nil
}

// moveSequence moves the sequence of the identity column to the highest
// id in the table or seq, whichever is higher, so that no id is given out
// twice; an empty table that SQLite never gave an id keeps its sequence.
func moveSequence(ctx context.Context, to pgx.Tx, table, identity string, seq int64) error {
	_, err := to.Exec(ctx, `
		SELECT setval(pg_get_serial_sequence($1, $2), m)
		FROM (SELECT GREATEST(MAX(`+identity+`), $3) AS m FROM `+table+`) AS highest
		WHERE m > 0`, table, identity, seq)
	return err
}

// convert turns a value read from SQLite into the one a PostgreSQL column
// of type typ holds.
func convert(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "boolean":
		switch b := v.(type) {
		case bool:
			return b, nil
		case int64:
			return b != 0, nil
		}
	case "bigint", "integer":
		if i, ok := v.(int64); ok {
			return i, nil
		}
	case "text":
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		}
	case "bytea":
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	case "timestamp with time zone": // schema_migrations.applied_at
		switch t := v.(type) {
		case time.Time:
			return t, nil
		case string:
			return time.Parse(time.RFC3339Nano, t)
		}
	}
	return nil, fmt.Errorf("SQLite holds %T, which does not go into a PostgreSQL %s", v, typ)
}

// placeholders is "($1, $2), ($3, $4)" for rows of n columns.
func placeholders(rows, n int) string {
	var b strings.Builder
	p := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range n {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// queryStrings runs a query of one text column on SQLite.
func queryStrings(ctx context.Context, from *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := from.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
