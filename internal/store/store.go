// Package store defines the records the portal keeps and the storage
// interface the domain needs. Each method is atomic on its own, so that the
// rules that depend on it (single-use codes, attempt counters, session
// rotation) hold when several requests, or several instances sharing one
// database, race. Implementations live in sub-packages, one per engine
// (sqlite, and later postgres), and all pass the suite in storetest.
package store

import (
	"context"
	"errors"
)

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrLastAdmin is returned when a change would leave the portal without an
// active administrator.
var ErrLastAdmin = errors.New("store: the last active administrator")

// ErrConflict is returned by ChangeAccount when the account is no longer
// as the change expected (AccountChange.PhoneWas): a phone was registered
// or changed meanwhile. Nothing is written.
var ErrConflict = errors.New("store: the account changed meanwhile")

// ErrEmailTaken is returned when a user is created with an email address
// that another account already uses.
var ErrEmailTaken = errors.New("store: email already in use")

// Store is everything the portal keeps.
type Store interface {
	Users
	Sessions
	Challenges
	Throttles
	Audit
	Settings
	Tokens
	Messages
	Applications
	OIDC

	// ChangeAccount applies c in one transaction, with one commit: every
	// part of it, its audit rows and its queued messages are written, or
	// none is (see AccountChange for what is checked and in what order).
	// ErrNotFound when the code was used, voided or expired, the session
	// or the account is gone; ErrConflict when PhoneWas no longer holds;
	// ErrLastAdmin when it would leave no active administrator.
	ChangeAccount(ctx context.Context, c AccountChange) error

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	Close() error
}
