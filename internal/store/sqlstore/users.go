package sqlstore

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

func scanUser(row Row) (*store.User, error) {
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
		ScanTime(&u.MFADisabledUntil), &u.CodeFailures, ScanTime(&u.CodeLockedUntil),
		&u.Deactivated, ScanTime(&u.CreatedAt), ScanTime(&u.LastLoginAt)}
}

// insertUser inserts u and sets u.ID.
func (db *DB) insertUser(ctx context.Context, q Querier, u *store.User) error {
	err := q.QueryRow(ctx, `
		INSERT INTO users (email, name, password_hash, admin, phone, mfa, mfa_disabled_until,
			code_failures, code_locked_until, deactivated, created_at, last_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING id`,
		u.Email, u.Name, u.PasswordHash, u.Admin, u.Phone, string(u.MFA), TimeValue(u.MFADisabledUntil),
		u.CodeFailures, TimeValue(u.CodeLockedUntil), u.Deactivated, TimeValue(u.CreatedAt), TimeValue(u.LastLoginAt),
	).Scan(&u.ID)
	if db.d.IsUnique(err, "users_email_key") {
		return store.ErrEmailTaken
	}
	return err
}

// CreateUser inserts u and sets u.ID; store.ErrEmailTaken if another
// account has the email, whatever its case.
func (db *DB) CreateUser(ctx context.Context, u *store.User) error {
	return db.annotate("create user", db.insertUser(ctx, db.w, u))
}

// UserByID returns the user with the id; store.ErrNotFound if none.
func (db *DB) UserByID(ctx context.Context, id int64) (*store.User, error) {
	u, err := scanUser(db.r.QueryRow(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("%s: user %d: %w", db.name, id, notFound(err))
	}
	return u, nil
}

// UserByEmail returns the user with the email, compared without regard to
// (ASCII) case; store.ErrNotFound if none.
func (db *DB) UserByEmail(ctx context.Context, email string) (*store.User, error) {
	u, err := scanUser(db.r.QueryRow(ctx, db.q.userByEmail, email))
	if err != nil {
		return nil, fmt.Errorf("%s: user by email: %w", db.name, notFound(err))
	}
	return u, nil
}

// CountUsers returns the number of accounts.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: count users: %w", db.name, err)
	}
	return n, nil
}

// update runs a one-row UPDATE; store.ErrNotFound if it changed no row.
func (db *DB) update(ctx context.Context, what, query string, args ...any) error {
	return db.annotate(what, updateOne(ctx, db.w, query, args...))
}

// updateOne runs a one-row UPDATE on q; store.ErrNotFound if it changed
// no row.
func updateOne(ctx context.Context, q Querier, query string, args ...any) error {
	n, err := q.Exec(ctx, query, args...)
	if err != nil {
		return err
	}
	return changedOne(n)
}

// SetPhone sets the account's MFA phone; store.ErrNotFound if no such user.
func (db *DB) SetPhone(ctx context.Context, userID int64, phone string) error {
	return db.annotate("set phone", setPhone(ctx, db.w, userID, phone))
}

func setPhone(ctx context.Context, q Querier, userID int64, phone string) error {
	return updateOne(ctx, q, `UPDATE users SET phone = $2 WHERE id = $1`, userID, phone)
}

// setPhoneIf sets the phone only while it is still was: one conditional
// write, settled by the row lock it takes, so that of a registration and a
// change racing, the second finds the phone no longer as it expected.
// store.ErrConflict otherwise.
func setPhoneIf(ctx context.Context, q Querier, userID int64, phone, was string) error {
	err := updateOne(ctx, q, `UPDATE users SET phone = $2 WHERE id = $1 AND phone = $3`, userID, phone, was)
	if errors.Is(err, store.ErrNotFound) {
		return store.ErrConflict
	}
	return err
}

// SetMFA sets the per-user MFA override; store.ErrNotFound if no such user.
func (db *DB) SetMFA(ctx context.Context, userID int64, o store.MFAOverride) error {
	return db.annotate("set MFA override", setMFA(ctx, db.w, userID, o))
}

func setMFA(ctx context.Context, q Querier, userID int64, o store.MFAOverride) error {
	return updateOne(ctx, q, `UPDATE users SET mfa = $2 WHERE id = $1`, userID, string(o))
}

// RecordLogin sets LastLoginAt and clears the code-failure count and code
// lock; store.ErrNotFound if no such user.
func (db *DB) RecordLogin(ctx context.Context, userID int64, at time.Time) error {
	return db.annotate("record login", recordLogin(ctx, db.w, userID, at))
}

// recordLogin is the body of RecordLogin, on q.
func recordLogin(ctx context.Context, q Querier, userID int64, at time.Time) error {
	n, err := q.Exec(ctx, `
		UPDATE users SET last_login_at = $2, code_failures = 0, code_locked_until = NULL
		WHERE id = $1`,
		userID, TimeValue(at))
	if err != nil {
		return err
	}
	return changedOne(n)
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
		return fmt.Errorf("%s: create first admin: %w", db.name, errNotAdmin)
	}
	err := db.inTx(ctx, func(tx Querier) error {
		// Deleting the matching token is the check that it matches; the
		// rollback puts it back if anything below fails.
		n, err := tx.Exec(ctx,
			`DELETE FROM setup_token WHERE token_hash = $1`, setupTokenHash)
		if err != nil {
			return err
		}
		if err := changedOne(n); err != nil {
			return err
		}
		if err := db.d.LockUsers(ctx, tx); err != nil {
			return err
		}
		var users bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&users); err != nil {
			return err
		}
		if users {
			return store.ErrNotFound
		}
		return db.insertUser(ctx, tx, u)
	})
	if err != nil {
		return fmt.Errorf("%s: create first admin: %w", db.name, err)
	}
	return nil
}

// SetSetupToken replaces the stored setup token hash; an empty hash removes it.
func (db *DB) SetSetupToken(ctx context.Context, tokenHash []byte) error {
	var err error
	if len(tokenHash) == 0 {
		_, err = db.w.Exec(ctx, `DELETE FROM setup_token`)
	} else {
		_, err = db.w.Exec(ctx, `
			INSERT INTO setup_token (id, token_hash) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash`,
			tokenHash)
	}
	if err != nil {
		return fmt.Errorf("%s: set setup token: %w", db.name, err)
	}
	return nil
}

// SetupTokenMatches reports whether tokenHash is the stored setup token.
func (db *DB) SetupTokenMatches(ctx context.Context, tokenHash []byte) (bool, error) {
	var ok bool
	err := db.r.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM setup_token WHERE token_hash = $1)`, tokenHash).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("%s: read setup token: %w", db.name, err)
	}
	return ok, nil
}

// SetMFADisabledUntil sets the temporary MFA exemption; the zero time clears
// it. store.ErrNotFound if no such user.
func (db *DB) SetMFADisabledUntil(ctx context.Context, userID int64, until time.Time) error {
	return db.annotate("set MFA disabled until", setMFADisabledUntil(ctx, db.w, userID, until))
}

func setMFADisabledUntil(ctx context.Context, q Querier, userID int64, until time.Time) error {
	return updateOne(ctx, q, `UPDATE users SET mfa_disabled_until = $2 WHERE id = $1`, userID, TimeValue(until))
}

// SetPassword replaces the password hash; store.ErrNotFound if no such user.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	return db.update(ctx, "set password",
		`UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash)
}

// ClearCodeLock resets the code-failure count and code lock;
// store.ErrNotFound if no such user.
func (db *DB) ClearCodeLock(ctx context.Context, userID int64) error {
	return db.annotate("clear code lock", clearCodeLock(ctx, db.w, userID))
}

func clearCodeLock(ctx context.Context, q Querier, userID int64) error {
	return updateOne(ctx, q, `UPDATE users SET code_failures = 0, code_locked_until = NULL WHERE id = $1`, userID)
}

// SetAdmin gives or takes the administrator role; store.ErrNotFound if no
// such user. Taking it from the last active administrator fails with
// store.ErrLastAdmin.
func (db *DB) SetAdmin(ctx context.Context, userID int64, admin bool) error {
	return db.adminsChange(ctx, "set admin", func(tx Querier) error { return setAdmin(ctx, tx, userID, admin) })
}

// setAdmin is the body of SetAdmin, in a transaction holding the lock of
// LockAdmins.
func setAdmin(ctx context.Context, tx Querier, userID int64, admin bool) error {
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
	return db.adminsChange(ctx, "set deactivated", func(tx Querier) error {
		return setDeactivated(ctx, tx, userID, deactivated)
	})
}

// adminsChange runs fn, a change of who is an active administrator, in a
// transaction holding the lock of LockAdmins.
func (db *DB) adminsChange(ctx context.Context, what string, fn func(tx Querier) error) error {
	err := db.inTx(ctx, func(tx Querier) error {
		if err := db.d.Lock(ctx, tx, LockAdmins); err != nil {
			return err
		}
		return fn(tx)
	})
	if err != nil {
		return db.errorf(what, err)
	}
	return nil
}

// setDeactivated is the body of SetDeactivated, in a transaction holding
// the lock of LockAdmins.
func setDeactivated(ctx context.Context, tx Querier, userID int64, deactivated bool) error {
	if deactivated {
		if err := checkNotLastAdmin(ctx, tx, userID); err != nil {
			return err
		}
	}
	return updateOne(ctx, tx, `UPDATE users SET deactivated = $2 WHERE id = $1`, userID, deactivated)
}

// checkNotLastAdmin returns store.ErrLastAdmin if the user is an active
// administrator and no other one exists, store.ErrNotFound if there is no
// such user. It runs in the transaction that makes the change, after the
// lock of LockAdmins, which every change of the role or of deactivation
// takes first, so that they happen one at a time, across instances: on
// SQLite the write lock, taken at BEGIN IMMEDIATE, keeps a concurrent
// demotion from passing the same check before this one commits; on
// PostgreSQL the check, a statement begun after the advisory lock was
// granted, sees every earlier change committed, and no other change can
// come between the check and the UPDATE. (At READ COMMITTED, without the
// lock, two demotions of the last two administrators would each see the
// other still active.)
func checkNotLastAdmin(ctx context.Context, tx Querier, userID int64) error {
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
// (Dialect.Like, with LIKE's wildcards escaped: SQLite's LIKE ignores the
// case of ASCII letters only; PostgreSQL's ILIKE matches names in the
// database's locale, which also folds the case of letters beyond ASCII),
// or, when it holds at least three digits, those digits in the phone
// number, whatever separates them in the search: "7546 123" finds
// +447546123456.
//
// The email column's collation is "C" on PostgreSQL (see its migration
// 0001): the order is SQLite's, byte by byte, and lower() changes ASCII
// letters only, as in SQLite.
//
// The ids of the page come from the index users_list, in email order; it
// also holds what a search looks at, so that on SQLite a search reads only
// the index and stops when the page is full, though a search that matches
// few users reads the whole index. The page's rows are read last, by id.
func (db *DB) ListUsers(ctx context.Context, q store.UserQuery) ([]store.User, error) {
	query, args := db.listUsersQuery(q)
	rows, err := db.r.Query(ctx, query, args...)
	users, err := collect(rows, err, func(row Row) (store.User, error) {
		u, err := scanUser(row)
		if err != nil {
			return store.User{}, err
		}
		return *u, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: list users: %w", db.name, err)
	}
	return users, nil
}

// listUsersQuery builds the statement for ListUsers.
func (db *DB) listUsersQuery(q store.UserQuery) (string, []any) {
	var (
		p     Params
		where []string
	)
	if q.After != "" {
		where = append(where, `lower(email) > `+db.d.Fold(p.Add(q.After)))
	}
	if q.Search != "" {
		part := p.Add("%" + escapeLike(q.Search) + "%")
		like := db.d.Like()
		match := []string{
			`name ` + like + ` ` + part + ` ESCAPE '\'`,
			`email ` + like + ` ` + part + ` ESCAPE '\'`,
		}
		if digits := q.PhoneDigits(); digits != "" {
			match = append(match, `phone LIKE `+p.Add("%"+digits+"%"))
		}
		where = append(where, `(`+strings.Join(match, ` OR `)+`)`)
	}
	ids := `SELECT id FROM users`
	if len(where) > 0 {
		ids += ` WHERE ` + strings.Join(where, ` AND `)
	}
	ids += ` ORDER BY lower(email) LIMIT ` + p.Add(pageSize(q.Limit))
	return `SELECT ` + userColumns + ` FROM users WHERE id IN (` + ids + `) ORDER BY lower(email)`, p
}

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
