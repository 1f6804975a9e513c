package store

import (
	"context"
	"time"
)

// Stage is how far a session has got through the login.
type Stage string

const (
	// StageCode: the password was right, a code is still owed.
	StageCode Stage = "code"
	// StageRegisterPhone: the password was right, MFA is required and the
	// account has no phone yet; the session may only register one.
	StageRegisterPhone Stage = "register_phone"
	// StageFull: logged in.
	StageFull Stage = "full"
)

// Session is a server-side session. Only the SHA-256 of its token is kept.
type Session struct {
	TokenHash []byte
	UserID    int64
	Stage     Stage
	// AttemptID identifies the login attempt (or phone change) that codes
	// issued to this session are bound to. Random, never shown to anyone.
	AttemptID string
	// PendingPhone is a number awaiting confirmation by code (registration
	// or change); the account's phone is untouched until then.
	PendingPhone string

	// MFA reports whether the session proved a one-time code (at login or
	// a step up). Set when the session is created.
	MFA bool

	CreatedAt  time.Time // start of the login; the absolute timeout runs from here
	LastSeenAt time.Time // the idle timeout runs from here
	// AuthenticatedAt is the last time the password was proven, and CodeAt
	// the last time a one-time code was; each zero before. They are kept
	// apart so that typing the password again never makes an old code look
	// fresh (login.Service.Fresh reads them), and only a new token carries
	// new ones (CreateSession, ReplaceSession, CompleteLogin, StartLogin).
	AuthenticatedAt time.Time
	CodeAt          time.Time
	// PreviousLoginAt is when the account's login before this session's
	// own was completed, zero if there was none (or the session is not
	// logged in yet): the home page shows it, so that a login that was not
	// the person's can be noticed. Set when the session is created.
	PreviousLoginAt time.Time
	IP              string
	UserAgent       string
}

// LoginStart is what StartLogin writes once a password was right.
type LoginStart struct {
	// ClearThrottle is the key of the account's wrong-password counter,
	// cleared by the right password.
	ClearThrottle string
	Session       *Session
	// LoginAt, when set, completes the login at once (no code needed): it
	// is recorded as RecordLogin would.
	LoginAt time.Time
	Audit   []*AuditEvent
}

// Sessions keeps server-side sessions, keyed by the hash of their token.
type Sessions interface {
	CreateSession(ctx context.Context, s *Session) error
	// StartLogin writes what a right password leads to in one
	// transaction, so that it happens whole or not at all, with one
	// commit: it clears the throttle (as ClearThrottle), creates the
	// session (as CreateSession), records the login if LoginAt is set (as
	// RecordLogin) and appends the audit events, setting their IDs.
	StartLogin(ctx context.Context, l LoginStart) error
	// SessionByHash returns ErrNotFound for unknown hashes.
	SessionByHash(ctx context.Context, tokenHash []byte) (*Session, error)
	// SessionWithUser returns the session and the account it belongs to,
	// as SessionByHash and UserByID would, in one lookup: every page
	// behind the login asks. ErrNotFound for unknown hashes.
	SessionWithUser(ctx context.Context, tokenHash []byte) (*Session, *User, error)
	// ReplaceSession deletes the session oldHash and inserts s, atomically;
	// ErrNotFound (and no insert) if oldHash no longer exists, so that one
	// session cannot be stepped up twice.
	ReplaceSession(ctx context.Context, oldHash []byte, s *Session) error
	// UpdateSession writes Stage, AttemptID, PendingPhone and LastSeenAt
	// of the session s.TokenHash; ErrNotFound if gone. It never writes
	// AuthenticatedAt or CodeAt: what a session proved changes only with
	// its token (ReplaceSession).
	UpdateSession(ctx context.Context, s *Session) error
	// TouchSession sets LastSeenAt.
	TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error
	DeleteSession(ctx context.Context, tokenHash []byte) error
	// DeleteUserSessions deletes every session of the user except the one
	// whose hash is except (nil: all). It returns how many went.
	DeleteUserSessions(ctx context.Context, userID int64, except []byte) (int, error)
	// DeleteExpiredSessions deletes sessions last seen before idleBefore or
	// created before createdBefore; it returns how many went.
	DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int, error)
}
