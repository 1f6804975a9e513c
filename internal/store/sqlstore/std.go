package sqlstore

import (
	"context"
	"database/sql"
)

// StdQuerier is what a database/sql pool and transaction have in common.
type StdQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Std adapts a database/sql pool or transaction to Querier.
func Std(q StdQuerier) Querier { return std{q} }

type std struct{ q StdQuerier }

func (s std) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s std) QueryRow(ctx context.Context, query string, args ...any) Row {
	return s.q.QueryRowContext(ctx, query, args...)
}

func (s std) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return stdRows{rows}, nil
}

// stdRows is *sql.Rows with pgx's Close, which reports nothing: Err does.
type stdRows struct{ *sql.Rows }

func (r stdRows) Close() { r.Rows.Close() } // #nosec G104 -- Err reports what went wrong
