package sqlite

import (
	"context"
	"fmt"
	"iter"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/sqlstore"
)

// ImportUsers inserts users in one write transaction through one prepared
// statement: a million rows take seconds, where a million CreateUser calls
// would each wait for a commit. store.ErrEmailTaken, and nothing inserted,
// if an email is used already.
func (db *DB) ImportUsers(ctx context.Context, users iter.Seq[*store.User]) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *poolTx) error {
		stmt, err := tx.PrepareContext(ctx, `
			INSERT INTO users (email, name, password_hash, admin, phone, mfa, mfa_disabled_until,
				code_failures, code_locked_until, deactivated, created_at, last_login_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for u := range users {
			_, err := stmt.ExecContext(ctx,
				u.Email, u.Name, u.PasswordHash, u.Admin, u.Phone, string(u.MFA), sqlstore.TimeValue(u.MFADisabledUntil),
				u.CodeFailures, sqlstore.TimeValue(u.CodeLockedUntil), u.Deactivated, sqlstore.TimeValue(u.CreatedAt), sqlstore.TimeValue(u.LastLoginAt))
			if isUniqueViolation(err) {
				return store.ErrEmailTaken
			}
			if err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: import users: %w", err)
	}
	return n, nil
}
