package postgres

import (
	"context"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/sqlstore"
)

// ImportUsers streams users into the table with COPY and updates the
// planner's statistics of the table, whose size may have changed by orders
// of magnitude, all in one transaction. store.ErrEmailTaken, and nothing
// inserted, if an email is used already.
func (db *DB) ImportUsers(ctx context.Context, users iter.Seq[*store.User]) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		next, stop := iter.Pull(users)
		defer stop()
		var err error
		n, err = tx.CopyFrom(ctx, pgx.Identifier{"users"},
			[]string{"email", "name", "password_hash", "admin", "phone", "mfa", "mfa_disabled_until",
				"code_failures", "code_locked_until", "deactivated", "created_at", "last_login_at"},
			pgx.CopyFromFunc(func() ([]any, error) {
				u, ok := next()
				if !ok {
					return nil, nil
				}
				return []any{u.Email, u.Name, u.PasswordHash, u.Admin, u.Phone, string(u.MFA), sqlstore.TimeValue(u.MFADisabledUntil),
					u.CodeFailures, sqlstore.TimeValue(u.CodeLockedUntil), u.Deactivated, sqlstore.TimeValue(u.CreatedAt), sqlstore.TimeValue(u.LastLoginAt)}, nil
			}))
		if isViolation(err, uniqueViolation, "users_email_key") {
			return store.ErrEmailTaken
		}
		if err != nil || n == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `ANALYZE users`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: import users: %w", err)
	}
	return int(n), nil
}
