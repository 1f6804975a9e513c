package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// userColumns is the column list scanUser reads, in its order.
const userColumns = `id, email, name, password_hash, admin, phone, mfa, mfa_disabled_until,
	code_failures, code_locked_until, deactivated, created_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (*store.User, error) {
	var u store.User
	if err := row.Scan(userFields(&u)...); err != nil {
		return nil, err
	}
	return &u, nil
}

// userFields are the scan destinations of userColumns in u, for queries
// that read an account beside something else.
func userFields(u *store.User) []any {
	return []any{&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.Admin, &u.Phone, &u.MFA,
		scanTime(&u.MFADisabledUntil), &u.CodeFailures, scanTime(&u.CodeLockedUntil),
		&u.Deactivated, scanTime(&u.CreatedAt), scanTime(&u.LastLoginAt)}
}

// insertUser inserts u and sets u.ID.
func insertUser(ctx context.Context, q querier, u *store.User) error {
	err := q.QueryRowContext(ctx, `
		INSERT INTO users (email, name, password_hash, admin, phone, mfa, mfa_disabled_until,
			code_failures, code_locked_until, deactivated, created_at, last_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING id`,
		u.Email, u.Name, u.PasswordHash, u.Admin, u.Phone, string(u.MFA), timeValue(u.MFADisabledUntil),
		u.CodeFailures, timeValue(u.CodeLockedUntil), u.Deactivated, timeValue(u.CreatedAt), timeValue(u.LastLoginAt),
	).Scan(&u.ID)
	if isUniqueViolation(err) {
		return store.ErrEmailTaken
	}
	return err
}

// CreateUser inserts u and sets u.ID; store.ErrEmailTaken if another
// account has the email, whatever its case.
func (db *DB) CreateUser(ctx context.Context, u *store.User) error {
	if err := insertUser(ctx, db.write, u); err != nil {
		return fmt.Errorf("sqlite: create user: %w", err)
	}
	return nil
}

// UserByID returns the user with the id; store.ErrNotFound if none.
func (db *DB) UserByID(ctx context.Context, id int64) (*store.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: user %d: %w", id, notFound(err))
	}
	return u, nil
}

// UserByEmail returns the user with the email, compared without regard to
// case; store.ErrNotFound if none.
func (db *DB) UserByEmail(ctx context.Context, email string) (*store.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1)`, email))
	if err != nil {
		return nil, fmt.Errorf("sqlite: user by email: %w", notFound(err))
	}
	return u, nil
}

// CountUsers returns the number of accounts.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count users: %w", err)
	}
	return n, nil
}

// updateOne runs a one-row UPDATE on q; store.ErrNotFound if it changed
// no row.
func updateOne(ctx context.Context, q querier, query string, args ...any) error {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	return changedOne(res)
}

// SetPhone sets the account's MFA phone; store.ErrNotFound if no such user.
func (db *DB) SetPhone(ctx context.Context, userID int64, phone string) error {
	if err := setPhone(ctx, db.write, userID, phone); err != nil {
		return fmt.Errorf("sqlite: set phone: %w", err)
	}
	return nil
}

func setPhone(ctx context.Context, q querier, userID int64, phone string) error {
	return updateOne(ctx, q, `UPDATE users SET phone = $2 WHERE id = $1`, userID, phone)
}

// setPhoneIf sets the phone only while it is still was: one conditional
// write, so that of a registration and a change racing, one finds the
// phone no longer as it expected. store.ErrConflict otherwise.
func setPhoneIf(ctx context.Context, q querier, userID int64, phone, was string) error {
	err := updateOne(ctx, q, `UPDATE users SET phone = $2 WHERE id = $1 AND phone = $3`, userID, phone, was)
	if errors.Is(err, store.ErrNotFound) {
		return store.ErrConflict
	}
	return err
}

// SetMFA sets the per-user MFA override; store.ErrNotFound if no such user.
func (db *DB) SetMFA(ctx context.Context, userID int64, o store.MFAOverride) error {
	if err := setMFA(ctx, db.write, userID, o); err != nil {
		return fmt.Errorf("sqlite: set MFA override: %w", err)
	}
	return nil
}

func setMFA(ctx context.Context, q querier, userID int64, o store.MFAOverride) error {
	return updateOne(ctx, q, `UPDATE users SET mfa = $2 WHERE id = $1`, userID, string(o))
}

// RecordLogin sets LastLoginAt and clears the code-failure count and code
// lock; store.ErrNotFound if no such user.
func (db *DB) RecordLogin(ctx context.Context, userID int64, at time.Time) error {
	if err := recordLogin(ctx, db.write, userID, at); err != nil {
		return fmt.Errorf("sqlite: record login: %w", err)
	}
	return nil
}

// recordLogin is the body of RecordLogin, on q.
func recordLogin(ctx context.Context, q querier, userID int64, at time.Time) error {
	res, err := q.ExecContext(ctx, `
		UPDATE users SET last_login_at = $2, code_failures = 0, code_locked_until = NULL
		WHERE id = $1`,
		userID, timeValue(at))
	if err != nil {
		return err
	}
	return changedOne(res)
}

// errNotAdmin is returned by CreateFirstAdmin for a user who is not an
// administrator; the setup token is left alone.
var errNotAdmin = errors.New("the first user must be an administrator")

// CreateFirstAdmin creates u, in one transaction, if and only if
// setupTokenHash is the stored setup token and no user exists yet, and
// deletes the token. store.ErrNotFound, with nothing changed, when the token
// does not match, was used, or a user already exists.
func (db *DB) CreateFirstAdmin(ctx context.Context, setupTokenHash []byte, u *store.User) error {
	if !u.Admin {
		return fmt.Errorf("sqlite: create first admin: %w", errNotAdmin)
	}
	err := db.inTx(ctx, func(tx *poolTx) error {
		// Deleting the matching token is the check that it matches; the
		// rollback puts it back if anything below fails.
		res, err := tx.ExecContext(ctx,
			`DELETE FROM setup_token WHERE token_hash = $1`, setupTokenHash)
		if err != nil {
			return err
		}
		if err := changedOne(res); err != nil {
			return err
		}
		var users int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&users); err != nil {
			return err
		}
		if users > 0 {
			return store.ErrNotFound
		}
		return insertUser(ctx, tx, u)
	})
	if err != nil {
		return fmt.Errorf("sqlite: create first admin: %w", err)
	}
	return nil
}

// SetSetupToken replaces the stored setup token hash; an empty hash removes it.
func (db *DB) SetSetupToken(ctx context.Context, tokenHash []byte) error {
	var err error
	if len(tokenHash) == 0 {
		_, err = db.write.ExecContext(ctx, `DELETE FROM setup_token`)
	} else {
		_, err = db.write.ExecContext(ctx, `
			INSERT INTO setup_token (id, token_hash) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash`,
			tokenHash)
	}
	if err != nil {
		return fmt.Errorf("sqlite: set setup token: %w", err)
	}
	return nil
}

// SetupTokenMatches reports whether tokenHash is the stored setup token.
func (db *DB) SetupTokenMatches(ctx context.Context, tokenHash []byte) (bool, error) {
	var ok bool
	err := db.read.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM setup_token WHERE token_hash = $1)`, tokenHash).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("sqlite: read setup token: %w", err)
	}
	return ok, nil
}

// SetMFADisabledUntil sets the temporary MFA exemption; the zero time clears
// it. store.ErrNotFound if no such user.
func (db *DB) SetMFADisabledUntil(ctx context.Context, userID int64, until time.Time) error {
	if err := setMFADisabledUntil(ctx, db.write, userID, until); err != nil {
		return fmt.Errorf("sqlite: set MFA disabled until: %w", err)
	}
	return nil
}

func setMFADisabledUntil(ctx context.Context, q querier, userID int64, until time.Time) error {
	return updateOne(ctx, q, `UPDATE users SET mfa_disabled_until = $2 WHERE id = $1`, userID, timeValue(until))
}

// SetPassword replaces the password hash; store.ErrNotFound if no such user.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	res, err := db.write.ExecContext(ctx,
		`UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash)
	if err == nil {
		err = changedOne(res)
	}
	if err != nil {
		return fmt.Errorf("sqlite: set password: %w", err)
	}
	return nil
}

// ClearCodeLock resets the code-failure count and code lock;
// store.ErrNotFound if no such user.
func (db *DB) ClearCodeLock(ctx context.Context, userID int64) error {
	if err := clearCodeLock(ctx, db.write, userID); err != nil {
		return fmt.Errorf("sqlite: clear code lock: %w", err)
	}
	return nil
}

func clearCodeLock(ctx context.Context, q querier, userID int64) error {
	return updateOne(ctx, q, `UPDATE users SET code_failures = 0, code_locked_until = NULL WHERE id = $1`, userID)
}

// SetAdmin gives or takes the administrator role; store.ErrNotFound if no
// such user. Taking it from the last active administrator fails with
// store.ErrLastAdmin.
func (db *DB) SetAdmin(ctx context.Context, userID int64, admin bool) error {
	if err := db.inTx(ctx, func(tx *poolTx) error { return setAdmin(ctx, tx, userID, admin) }); err != nil {
		return fmt.Errorf("sqlite: set admin: %w", err)
	}
	return nil
}

// setAdmin is the body of SetAdmin, in tx.
func setAdmin(ctx context.Context, tx *poolTx, userID int64, admin bool) error {
	if !admin {
		if err := checkNotLastAdmin(ctx, tx, userID); err != nil {
			return err
		}
	}
	return updateOne(ctx, tx, `UPDATE users SET admin = $2 WHERE id = $1`, userID, admin)
}

// SetDeactivated deactivates or reactivates an account; store.ErrNotFound
// if no such user. Deactivating the last active administrator fails with
// store.ErrLastAdmin.
func (db *DB) SetDeactivated(ctx context.Context, userID int64, deactivated bool) error {
	if err := db.inTx(ctx, func(tx *poolTx) error { return setDeactivated(ctx, tx, userID, deactivated) }); err != nil {
		return fmt.Errorf("sqlite: set deactivated: %w", err)
	}
	return nil
}

// setDeactivated is the body of SetDeactivated, in tx.
func setDeactivated(ctx context.Context, tx *poolTx, userID int64, deactivated bool) error {
	if deactivated {
		if err := checkNotLastAdmin(ctx, tx, userID); err != nil {
			return err
		}
	}
	return updateOne(ctx, tx, `UPDATE users SET deactivated = $2 WHERE id = $1`, userID, deactivated)
}

// checkNotLastAdmin returns store.ErrLastAdmin if the user is an active
// administrator and no other one exists, store.ErrNotFound if there is no
// such user. It runs in the transaction that makes the change: the write
// lock, taken at BEGIN IMMEDIATE, keeps a concurrent demotion from passing
// the same check before this one commits.
func checkNotLastAdmin(ctx context.Context, tx *poolTx, userID int64) error {
	var active bool
	err := tx.QueryRowContext(ctx,
		`SELECT admin AND NOT deactivated FROM users WHERE id = $1`, userID).Scan(&active)
	if err != nil || !active {
		return notFound(err)
	}
	var others bool
	err = tx.QueryRowContext(ctx, `
		SELECT EXISTS (SELECT 1 FROM users WHERE admin AND NOT deactivated AND id <> $1)`,
		userID).Scan(&others)
	if err != nil {
		return err
	}
	if !others {
		return store.ErrLastAdmin
	}
	return nil
}

// ListUsers returns a page of users in email order, without regard to case,
// after q.After. A search matches a part of the name or email (LIKE, which
// in SQLite ignores the case of ASCII letters only), or, when it holds at
// least three digits, those digits in the phone number, whatever separates
// them in the search: "7546 123" finds +447546123456.
//
// The ids of the page come from the index users_list, in email order; it
// also holds what a search looks at, so that a search reads only the index
// and stops when the page is full, though a search that matches few users
// reads the whole index. The page's rows are read last, by id.
func (db *DB) ListUsers(ctx context.Context, q store.UserQuery) ([]store.User, error) {
	query, args := listUsersQuery(q)
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	defer rows.Close()
	var users []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list users: %w", err)
		}
		users = append(users, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	return users, nil
}

// listUsersQuery builds the statement for ListUsers.
func listUsersQuery(q store.UserQuery) (string, []any) {
	var (
		p     params
		where []string
	)
	if q.After != "" {
		where = append(where, `lower(email) > lower(`+p.add(q.After)+`)`)
	}
	if q.Search != "" {
		part := p.add("%" + escapeLike(q.Search) + "%")
		match := []string{
			`name LIKE ` + part + ` ESCAPE '\'`,
			`email LIKE ` + part + ` ESCAPE '\'`,
		}
		if digits := q.PhoneDigits(); digits != "" {
			match = append(match, `phone LIKE `+p.add("%"+digits+"%"))
		}
		where = append(where, `(`+strings.Join(match, ` OR `)+`)`)
	}
	ids := `SELECT id FROM users`
	if len(where) > 0 {
		ids += ` WHERE ` + strings.Join(where, ` AND `)
	}
	ids += ` ORDER BY lower(email) LIMIT ` + p.add(pageSize(q.Limit))
	return `SELECT ` + userColumns + ` FROM users WHERE id IN (` + ids + `) ORDER BY lower(email)`, p
}

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
