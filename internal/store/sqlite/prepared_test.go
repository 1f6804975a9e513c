package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func kept(p *pool, query string) bool {
	_, ok := p.stmts.Load(query)
	return ok
}

// A statement first met inside a write transaction cannot be prepared on
// the pool then (the transaction holds its only connection): it runs
// plainly, and is kept once the transaction ends, for the next one.
func TestTransactionKeepsItsStatementsAfterwards(t *testing.T) {
	db := openInternal(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second) // a deadlock fails, not hangs
	defer cancel()
	const q = `INSERT INTO settings (key, value) VALUES ($1, $2)`
	for i, end := range []string{"commit", "rollback"} {
		t.Run(end, func(t *testing.T) {
			fail := end == "rollback"
			err := db.inTx(ctx, func(tx *poolTx) error {
				if _, err := tx.ExecContext(ctx, q, fmt.Sprint("k", i), "v"); err != nil {
					return err
				}
				if fail {
					return fmt.Errorf("roll back")
				}
				return nil
			})
			if (err != nil) != fail {
				t.Fatalf("inTx: %v", err)
			}
			if !kept(db.write, q) {
				t.Fatalf("after the %s the statement is not kept", end)
			}
		})
	}
	// Kept, it runs inside a transaction bound to its connection.
	err := db.inTx(ctx, func(tx *poolTx) error {
		_, err := tx.ExecContext(ctx, q, "k2", "v")
		if len(tx.missed) != 0 {
			t.Errorf("a kept statement was run plainly: %q", tx.missed)
		}
		return err
	})
	if err != nil {
		t.Fatalf("inTx with the kept statement: %v", err)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM settings WHERE key LIKE 'k%'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("settings k%%: %d rows, %v; want 2 (k0 committed, k1 rolled back, k2)", n, err)
	}
}

// The cache is bounded: past maxStatements texts, queries still run, plainly.
func TestStatementCacheIsBounded(t *testing.T) {
	db := openInternal(t)
	ctx := t.Context()
	for i := range maxStatements + 20 {
		var got int
		if err := db.read.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&got); err != nil || got != i {
			t.Fatalf("SELECT %d: %d, %v", i, got, err)
		}
	}
	if n := db.read.n.Load(); n != maxStatements {
		t.Errorf("%d statements kept, want the bound %d", n, maxStatements)
	}
	if kept(db.read, fmt.Sprintf(`SELECT %d`, maxStatements+1)) {
		t.Error("a statement past the bound was kept")
	}
}

// A statement that does not prepare is not kept and reports its error.
func TestBadStatementIsNotKept(t *testing.T) {
	db := openInternal(t)
	const q = `SELECT nothing FROM nowhere`
	if err := db.read.QueryRowContext(t.Context(), q).Scan(new(int)); err == nil {
		t.Fatal("a query on a missing table gave no error")
	}
	if kept(db.read, q) {
		t.Error("a statement that failed to prepare was kept")
	}
}
