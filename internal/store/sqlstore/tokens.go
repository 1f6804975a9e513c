package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// tokenColumns is the column list scanToken reads, in its order.
const tokenColumns = `hash, user_id, purpose, created_at, expires_at, used_at` // #nosec G101 -- column names, no secret

func scanToken(row Row) (*store.Token, error) {
	var t store.Token
	err := row.Scan(&t.Hash, &t.UserID, &t.Purpose,
		ScanTime(&t.CreatedAt), ScanTime(&t.ExpiresAt), ScanTime(&t.UsedAt))
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateToken stores t after deleting the user's unused tokens of the same
// purpose, in one transaction; store.ErrNotFound if there is no such user.
func (db *DB) CreateToken(ctx context.Context, t *store.Token) error {
	return db.annotate("create token", db.inTx(ctx, func(tx Querier) error { return db.createToken(ctx, tx, t) }))
}

// createToken is the body of CreateToken, in tx.
func (db *DB) createToken(ctx context.Context, tx Querier, t *store.Token) error {
	_, err := tx.Exec(ctx,
		`DELETE FROM tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
		t.UserID, string(t.Purpose))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO tokens (`+tokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		t.Hash, t.UserID, string(t.Purpose),
		TimeValue(t.CreatedAt), TimeValue(t.ExpiresAt), TimeValue(t.UsedAt))
	if db.d.IsForeignKey(err) {
		return store.ErrNotFound
	}
	return err
}

// UseToken marks the token used at at and returns it, if it has the
// purpose, is unused and has not expired at at; store.ErrNotFound
// otherwise. It is one conditional UPDATE: of concurrent calls, exactly one
// changes the row (on PostgreSQL the first locks the row and the others,
// once it commits, find it used).
func (db *DB) UseToken(ctx context.Context, hash []byte, purpose store.TokenPurpose, at time.Time) (*store.Token, error) {
	t, err := scanToken(db.w.QueryRow(ctx, `
		UPDATE tokens SET used_at = $3
		WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
		RETURNING `+tokenColumns,
		hash, string(purpose), at.UnixMilli()))
	if err != nil {
		return nil, fmt.Errorf("%s: use token: %w", db.name, notFound(err))
	}
	return t, nil
}

// TokenByHash returns the token if it has the purpose, is unused and has not
// expired at at; store.ErrNotFound otherwise.
func (db *DB) TokenByHash(ctx context.Context, hash []byte, purpose store.TokenPurpose, at time.Time) (*store.Token, error) {
	t, err := scanToken(db.r.QueryRow(ctx, `
		SELECT `+tokenColumns+` FROM tokens
		WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`,
		hash, string(purpose), at.UnixMilli()))
	if err != nil {
		return nil, fmt.Errorf("%s: token: %w", db.name, notFound(err))
	}
	return t, nil
}
