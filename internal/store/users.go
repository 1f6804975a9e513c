package store

import (
	"context"
	"iter"
	"strings"
	"time"
)

// MFAOverride is a per-user exception to the portal-wide MFA policy.
type MFAOverride string

const (
	MFAFollowPolicy MFAOverride = ""         // what the portal-wide policy says
	MFARequired     MFAOverride = "required" // always, whatever the policy
	MFAExempt       MFAOverride = "exempt"   // never, whatever the policy
)

// User is an account of the portal.
type User struct {
	ID           int64
	Email        string // lower-cased; unique
	Name         string
	PasswordHash string // PHC string (argon2id)
	Admin        bool
	Phone        string // E.164; empty until registered

	MFA              MFAOverride
	MFADisabledUntil time.Time // zero unless an administrator disabled MFA for a while

	// CodeFailures counts wrong codes in a row (SMS and email together);
	// only a completed login resets it.
	CodeFailures    int
	CodeLockedUntil time.Time

	Deactivated bool
	CreatedAt   time.Time
	LastLoginAt time.Time // zero until the first completed login
}

// UserQuery selects a page of users for the administrators' list.
type UserQuery struct {
	// Search matches, case-insensitively, a part of the name or email, or
	// the digits of the phone number; empty matches everyone.
	Search string
	// After continues the list after this email (keyset paging in email
	// order); empty starts at the beginning.
	After string
	Limit int // at most this many; 0 means 50
}

// PhoneDigits is what a user search looks for in phone numbers: the
// search's digits, whatever separates them, without leading zeros, which
// stored numbers (E.164, "+447546123456") never have after the country
// code; so a number typed the national way ("07546 123456") or with the
// international prefix ("0044 7546 …") is found. Empty when fewer than
// three digits remain: too few to mean a phone number.
func (q UserQuery) PhoneDigits() string {
	digits := strings.TrimLeft(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, q.Search), "0")
	if len(digits) < 3 {
		return ""
	}
	return digits
}

// Users keeps accounts.
type Users interface {
	// CreateUser inserts u and sets u.ID; ErrEmailTaken if the email is used.
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id int64) (*User, error)
	// UserByEmail looks up by lower-cased email.
	UserByEmail(ctx context.Context, email string) (*User, error)
	CountUsers(ctx context.Context) (int, error)
	// SetPhone sets the account's MFA phone (E.164).
	SetPhone(ctx context.Context, userID int64, phone string) error
	// SetMFA sets the account's exception to the portal-wide MFA policy.
	SetMFA(ctx context.Context, userID int64, o MFAOverride) error
	// SetMFADisabledUntil sets (or, with the zero time, clears) a temporary
	// MFA exemption.
	SetMFADisabledUntil(ctx context.Context, userID int64, until time.Time) error
	// SetPassword replaces the password hash.
	SetPassword(ctx context.Context, userID int64, hash string) error
	// ClearCodeLock resets the code-failure count and code lock.
	ClearCodeLock(ctx context.Context, userID int64) error
	// SetAdmin gives or takes the administrator role. Taking it from the
	// last active (not deactivated) administrator fails with ErrLastAdmin,
	// atomically: of two concurrent demotions of the last two
	// administrators, one fails.
	SetAdmin(ctx context.Context, userID int64, admin bool) error
	// SetDeactivated deactivates or reactivates an account. Deactivating
	// the last active administrator fails with ErrLastAdmin, atomically.
	SetDeactivated(ctx context.Context, userID int64, deactivated bool) error
	// ListUsers returns a page of users in email order.
	ListUsers(ctx context.Context, q UserQuery) ([]User, error)
	// RecordLogin notes a completed login: sets LastLoginAt and resets the
	// code-failure count and code lock.
	RecordLogin(ctx context.Context, userID int64, at time.Time) error
	// CreateFirstAdmin creates u, which must be an administrator, if and
	// only if setupTokenHash matches the stored setup token and no user
	// exists yet; the token is deleted in the same transaction.
	// ErrNotFound when the token does not match or was used.
	CreateFirstAdmin(ctx context.Context, setupTokenHash []byte, u *User) error
	// SetSetupToken replaces the stored one-time setup token hash.
	SetSetupToken(ctx context.Context, tokenHash []byte) error
	// SetupTokenMatches reports whether tokenHash is the stored setup
	// token, without using it: the set-up form asks before it hashes a
	// password, so that a post without the link costs no hash.
	SetupTokenMatches(ctx context.Context, tokenHash []byte) (bool, error)
	// ImportUsers inserts every user of users in one transaction: all of
	// them, or none if any fails. It loads many accounts at once (`portal
	// bench` seeds a million), far faster than CreateUser one by one, and
	// does not set the users' IDs. ErrEmailTaken if an email is already
	// used, by a stored account or by another of users. It returns how
	// many users it inserted.
	ImportUsers(ctx context.Context, users iter.Seq[*User]) (int, error)
}
