package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/providerportal/portal/internal/store"
)

// userColumns is the column list scanUser reads, in its order.
const userColumns = `id, email, name, password_hash, admin, phone, mfa, mfa_disabled_until,
	code_failures, code_locked_until, deactivated, created_at, last_login_at`

func scanUser(row pgx.Row) (*store.User, error) {
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
	err := q.QueryRow(ctx, `
		INSERT INTO users (email, name, password_hash, admin, phone, mfa, mfa_disabled_until,
			code_failures, code_locked_until, deactivated, created_at, last_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING id`,
		u.Email, u.Name, u.PasswordHash, u.Admin, u.Phone, string(u.MFA), timeValue(u.MFADisabledUntil),
		u.CodeFailures, timeValue(u.CodeLockedUntil), u.Deactivated, timeValue(u.CreatedAt), timeValue(u.LastLoginAt),
	).Scan(&u.ID)
	if isViolation(err, uniqueViolation, "users_email_key") {
		return store.ErrEmailTaken
	}
	return err
}

// CreateUser inserts u and sets u.ID; store.ErrEmailTaken if another
// account has the email, whatever its case.
func (db *DB) CreateUser(ctx context.Context, u *store.User) error {
	if err := insertUser(ctx, db.pool, u); err != nil {
		return fmt.Errorf("postgres: create user: %w", err)
	}
	return nil
}

// UserByID returns the user with the id; store.ErrNotFound if none.
func (db *DB) UserByID(ctx context.Context, id int64) (*store.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("postgres: user %d: %w", id, notFound(err))
	}
	return u, nil
}

// UserByEmail returns the user with the email, compared without regard to
// (ASCII) case; store.ErrNotFound if none.
func (db *DB) UserByEmail(ctx context.Context, email string) (*store.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx,
		`SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1::text COLLATE "C")`, email))
	if err != nil {
		return nil, fmt.Errorf("postgres: user by email: %w", notFound(err))
	}
	return u, nil
}

// CountUsers returns the number of accounts.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count users: %w", err)
	}
	return n, nil
}

// update runs a one-row UPDATE; store.ErrNotFound if it changed no row.
func (db *DB) update(ctx context.Context, what, query string, args ...any) error {
	if err := updateOne(ctx, db.pool, query, args...); err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	return nil
}

// updateOne runs a one-row UPDATE on q; store.ErrNotFound if it changed
// no row.
func updateOne(ctx context.Context, q querier, query string, args ...any) error {
	tag, err := q.Exec(ctx, query, args...)
	if err != nil {
		return err
	}
	return changedOne(tag)
}

// SetPhone sets the account's MFA phone; store.ErrNotFound if no such user.
func (db *DB) SetPhone(ctx context.Context, userID int64, phone string) error {
	if err := setPhone(ctx, db.pool, userID, phone); err != nil {
		return fmt.Errorf("postgres: set phone: %w", err)
	}
	return nil
}

func setPhone(ctx context.Context, q querier, userID int64, phone string) error {
	return updateOne(ctx, q, `UPDATE users SET phone = $2 WHERE id = $1`, userID, phone)
}

// setPhoneIf sets the phone only while it is still was: one conditional
// write, settled by the row lock it takes, so that of a registration and a
// change racing, the second finds the phone no longer as it expected.
// store.ErrConflict otherwise.
func setPhoneIf(ctx context.Context, q querier, userID int64, phone, was string) error {
	err := updateOne(ctx, q, `UPDATE users SET phone = $2 WHERE id = $1 AND phone = $3`, userID, phone, was)
	if errors.Is(err, store.ErrNotFound) {
		return store.ErrConflict
	}
	return err
}

// SetMFA sets the per-user MFA override; store.ErrNotFound if no such user.
func (db *DB) SetMFA(ctx context.Context, userID int64, o store.MFAOverride) error {
	if err := setMFA(ctx, db.pool, userID, o); err != nil {
		return fmt.Errorf("postgres: set MFA override: %w", err)
	}
	return nil
}

func setMFA(ctx context.Context, q querier, userID int64, o store.MFAOverride) error {
	return updateOne(ctx, q, `UPDATE users SET mfa = $2 WHERE id = $1`, userID, string(o))
}

// RecordLogin sets LastLoginAt and clears the code-failure count and code
// lock; store.ErrNotFound if no such user.
func (db *DB) RecordLogin(ctx context.Context, userID int64, at time.Time) error {
	if err := recordLogin(ctx, db.pool, userID, at); err != nil {
		return fmt.Errorf("postgres: record login: %w", err)
	}
	return nil
}

// recordLogin is the body of RecordLogin, on q.
func recordLogin(ctx context.Context, q querier, userID int64, at time.Time) error {
	tag, err := q.Exec(ctx, `
		UPDATE users SET last_login_at = $2, code_failures = 0, code_locked_until = NULL
		WHERE id = $1`,
		userID, timeValue(at))
	if err != nil {
		return err
	}
	return changedOne(tag)
}

// errNotAdmin is returned by CreateFirstAdmin for a user who is not an
// administrator; the setup token is left alone.
var errNotAdmin = errors.New("the first user must be an administrator")

// CreateFirstAdmin creates u, in one transaction, if and only if
// setupTokenHash is the stored setup token and no user exists yet, and
// deletes the token. store.ErrNotFound, with nothing changed, when the token
// does not match, was used, or a user already exists.
//
// Deleting the token locks its row, so concurrent calls go one at a time;
// the table lock keeps CreateUser from adding a user between the count and
// the insert. (SHARE ROW EXCLUSIVE lets readers through and conflicts with
// itself and with every writer of users.)
func (db *DB) CreateFirstAdmin(ctx context.Context, setupTokenHash []byte, u *store.User) error {
	if !u.Admin {
		return fmt.Errorf("postgres: create first admin: %w", errNotAdmin)
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// Deleting the matching token is the check that it matches; the
		// rollback puts it back if anything below fails.
		tag, err := tx.Exec(ctx,
			`DELETE FROM setup_token WHERE token_hash = $1`, setupTokenHash)
		if err != nil {
			return err
		}
		if err := changedOne(tag); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var users bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&users); err != nil {
			return err
		}
		if users {
			return store.ErrNotFound
		}
		return insertUser(ctx, tx, u)
	})
	if err != nil {
		return fmt.Errorf("postgres: create first admin: %w", err)
	}
	return nil
}

// SetSetupToken replaces the stored setup token hash; an empty hash removes it.
func (db *DB) SetSetupToken(ctx context.Context, tokenHash []byte) error {
	var err error
	if len(tokenHash) == 0 {
		_, err = db.pool.Exec(ctx, `DELETE FROM setup_token`)
	} else {
		_, err = db.pool.Exec(ctx, `
			INSERT INTO setup_token (id, token_hash) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash`,
			tokenHash)
	}
	if err != nil {
		return fmt.Errorf("postgres: set setup token: %w", err)
	}
	return nil
}

// SetupTokenMatches reports whether tokenHash is the stored setup token.
func (db *DB) SetupTokenMatches(ctx context.Context, tokenHash []byte) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM setup_token WHERE token_hash = $1)`, tokenHash).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("postgres: read setup token: %w", err)
	}
	return ok, nil
}

// SetMFADisabledUntil sets the temporary MFA exemption; the zero time clears
// it. store.ErrNotFound if no such user.
func (db *DB) SetMFADisabledUntil(ctx context.Context, userID int64, until time.Time) error {
	if err := setMFADisabledUntil(ctx, db.pool, userID, until); err != nil {
		return fmt.Errorf("postgres: set MFA disabled until: %w", err)
	}
	return nil
}

func setMFADisabledUntil(ctx context.Context, q querier, userID int64, until time.Time) error {
	return updateOne(ctx, q, `UPDATE users SET mfa_disabled_until = $2 WHERE id = $1`, userID, timeValue(until))
}

// SetPassword replaces the password hash; store.ErrNotFound if no such user.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	return db.update(ctx, "set password",
		`UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash)
}

// ClearCodeLock resets the code-failure count and code lock;
// store.ErrNotFound if no such user.
func (db *DB) ClearCodeLock(ctx context.Context, userID int64) error {
	if err := clearCodeLock(ctx, db.pool, userID); err != nil {
		return fmt.Errorf("postgres: clear code lock: %w", err)
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
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockAdminsTx(ctx, tx); err != nil {
			return err
		}
		return setAdmin(ctx, tx, userID, admin)
	})
	if err != nil {
		return fmt.Errorf("postgres: set admin: %w", err)
	}
	return nil
}

// setAdmin is the body of SetAdmin, in a transaction holding lockAdminsTx.
func setAdmin(ctx context.Context, tx pgx.Tx, userID int64, admin bool) error {
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
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockAdminsTx(ctx, tx); err != nil {
			return err
		}
		return setDeactivated(ctx, tx, userID, deactivated)
	})
	if err != nil {
		return fmt.Errorf("postgres: set deactivated: %w", err)
	}
	return nil
}

// setDeactivated is the body of SetDeactivated, in a transaction holding
// lockAdminsTx.
func setDeactivated(ctx context.Context, tx pgx.Tx, userID int64, deactivated bool) error {
	if deactivated {
		if err := checkNotLastAdmin(ctx, tx, userID); err != nil {
			return err
		}
	}
	return updateOne(ctx, tx, `UPDATE users SET deactivated = $2 WHERE id = $1`, userID, deactivated)
}

// lockAdminsTx takes, for the rest of tx, the advisory lock on who is an
// active administrator. Every change of the role or of deactivation takes
// it first, so they happen one at a time, across instances: the check in
// checkNotLastAdmin, a statement begun after the lock was granted, sees
// every earlier change committed, and no other change can come between the
// check and the UPDATE. (At READ COMMITTED, without the lock, two demotions
// of the last two administrators would each see the other still active.)
func lockAdminsTx(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, lockAdmins)
	return err
}

// checkNotLastAdmin returns store.ErrLastAdmin if the user is an active
// administrator and no other one exists, store.ErrNotFound if there is no
// such user. It runs in a transaction holding lockAdminsTx.
func checkNotLastAdmin(ctx context.Context, tx pgx.Tx, userID int64) error {
	var active bool
	err := tx.QueryRow(ctx,
		`SELECT admin AND NOT deactivated FROM users WHERE id = $1`, userID).Scan(&active)
	if err != nil || !active {
		return notFound(err)
	}
	var others bool
	err = tx.QueryRow(ctx, `
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

// ListUsers returns a page of users in email order, without regard to
// (ASCII) case, after q.After. A search matches a part of the name or email
// (ILIKE, with LIKE's wildcards escaped), or, when it holds at least three
// digits, those digits in the phone number, whatever separates them in the
// search: "7546 123" finds +447546123456.
//
// The email column's collation is "C" (see migration 0001): the order is
// SQLite's, byte by byte, and lower() changes ASCII letters only, as in
// SQLite. Names are matched in the database's locale, which also folds
// the case of letters beyond ASCII.
func (db *DB) ListUsers(ctx context.Context, q store.UserQuery) ([]store.User, error) {
	query, args := listUsersQuery(q)
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.User, error) {
		u, err := scanUser(row)
		if err != nil {
			return store.User{}, err
		}
		return *u, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", err)
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
		where = append(where, `lower(email) > lower(`+p.add(q.After)+`::text COLLATE "C")`)
	}
	if q.Search != "" {
		part := p.add("%" + escapeLike(q.Search) + "%")
		match := []string{
			`name ILIKE ` + part + ` ESCAPE '\'`,
			`email ILIKE ` + part + ` ESCAPE '\'`,
		}
		if digits := q.PhoneDigits(); digits != "" {
			match = append(match, `phone LIKE `+p.add("%"+digits+"%"))
		}
		where = append(where, `(`+strings.Join(match, ` OR `)+`)`)
	}
	query := `SELECT ` + userColumns + ` FROM users`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	return query + ` ORDER BY lower(email) LIMIT ` + p.add(pageSize(q.Limit)), p
}

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
