package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// maxStatements bounds each pool's statement cache. The portal's queries
// are a fixed set of texts (values are always parameters), a few dozen of
// them plus the combinations of the users list's and audit log's filters;
// the bound only keeps a text-building mistake from growing the cache
// without end. Past it, statements run unprepared, as they would without
// the cache.
const maxStatements = 256

// pool is a database/sql pool whose queries run through statements
// prepared once (on each connection, as database/sql does) and kept. The
// driver otherwise compiles the SQL at every call, which costs several
// times a lookup by primary key: about 80 of the 110 µs of a UserByID, and
// a third of the portal's own work in a login. Everything else (Begin,
// Ping, Close, Stats) is the embedded *sql.DB's.
type pool struct {
	*sql.DB
	stmts sync.Map // query text → *sql.Stmt
	n     atomic.Int32
}

// stmt returns the kept statement for query, preparing it the first time;
// nil when it cannot be prepared or the cache is full, in which case the
// caller runs the query plainly (which reports any error in the SQL).
func (p *pool) stmt(ctx context.Context, query string) *sql.Stmt {
	if s, ok := p.stmts.Load(query); ok {
		return s.(*sql.Stmt)
	}
	if p.n.Load() >= maxStatements {
		return nil
	}
	s, err := p.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if prev, loaded := p.stmts.LoadOrStore(query, s); loaded {
		s.Close() // #nosec G104 -- a duplicate that lost the race and was never used; the kept statement is unaffected
		return prev.(*sql.Stmt)
	}
	p.n.Add(1)
	return s
}

func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.DB.ExecContext(ctx, query, args...)
}

func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

// BeginTx starts a transaction whose queries use the pool's statements.
func (p *pool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*poolTx, error) {
	t, err := p.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &poolTx{Tx: t, p: p, ctx: ctx}, nil
}

// poolTx is a transaction on a pool: its queries run through the pool's kept
// statements, bound to the transaction's connection (Tx.StmtContext finds
// the one already prepared there). PrepareContext is the embedded
// *sql.Tx's.
//
// A statement the pool does not have yet cannot be prepared on the pool
// while the transaction holds a connection (the write pool has only one):
// the transaction runs it plainly and notes it, and Commit or Rollback,
// once the connection is back in the pool, prepare it for next time.
type poolTx struct {
	*sql.Tx
	p      *pool
	ctx    context.Context // the transaction's, for preparing what it missed
	missed []string
}

func (t *poolTx) Commit() error {
	err := t.Tx.Commit()
	t.keepMissed()
	return err
}

func (t *poolTx) Rollback() error {
	err := t.Tx.Rollback()
	t.keepMissed()
	return err
}

func (t *poolTx) keepMissed() {
	for _, q := range t.missed {
		t.p.stmt(t.ctx, q)
	}
	t.missed = nil
}

func (t *poolTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if s, ok := t.p.stmts.Load(query); ok {
		return t.StmtContext(ctx, s.(*sql.Stmt))
	}
	t.missed = append(t.missed, query)
	return nil
}

func (t *poolTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t *poolTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t *poolTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}
