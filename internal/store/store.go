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
	"iter"
	"strings"
	"time"
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
	IP              string
	UserAgent       string
}

// Purpose says what a one-time code is for.
type Purpose string

const (
	PurposeLogin         Purpose = "login"
	PurposeRegisterPhone Purpose = "register_phone"
	PurposeChangePhone   Purpose = "change_phone"
	PurposeStepUp        Purpose = "step_up" // an administrator proving a fresh login
)

// Channel is how a code is delivered.
type Channel string

const (
	ChannelSMS   Channel = "sms"
	ChannelEmail Channel = "email"
)

// Challenge is one issued one-time code. The code itself is never stored,
// only a keyed hash bound to user, purpose, destination and attempt.
type Challenge struct {
	ID          int64
	UserID      int64
	AttemptID   string
	Purpose     Purpose
	Channel     Channel
	Destination string // E.164 number or email address
	CodeHash    []byte
	Failures    int // wrong tries so far, carried over from voided predecessors
	CreatedAt   time.Time
	ExpiresAt   time.Time
	ConsumedAt  time.Time // zero until used
	VoidedAt    time.Time // zero unless replaced or tried too often
	// UndeliveredAt is set when the provider refused or failed to take the
	// message. The code still works if it arrives after all, but it does
	// not count as sent: no resend cooldown runs from it.
	UndeliveredAt time.Time
	IP            string
}

// Active reports whether the challenge can still be used at now.
func (c *Challenge) Active(now time.Time) bool {
	return c.ConsumedAt.IsZero() && c.VoidedAt.IsZero() && now.Before(c.ExpiresAt)
}

// Throttle is a failure counter for a key such as "password:user:42" or
// "password:ip:192.0.2.1".
type Throttle struct {
	Key         string
	Failures    int
	WindowStart time.Time // first failure of the current window
	LockedUntil time.Time
}

// AuditEvent is one entry of the append-only audit log.
type AuditEvent struct {
	ID        int64
	Time      time.Time // UTC
	Event     string    // e.g. "login.password", "code.sent", "phone.changed"
	Outcome   string    // "success", "failure", or a short reason
	ActorID   int64     // 0 when unknown (e.g. a failed login for no such email)
	SubjectID int64     // the account the event is about; 0 when unknown
	IP        string
	UserAgent string
	Detail    string // masked destination, channel, reason; never a code or password
}

// TokenPurpose says what an emailed link is for.
type TokenPurpose string

const (
	TokenPasswordReset TokenPurpose = "password_reset" // "Forgot your password?", or sent by an administrator
	TokenInvite        TokenPurpose = "invite"         // a new account sets its first password
)

// Token is a single-use link sent by email. Only the SHA-256 of its secret
// is kept.
type Token struct {
	Hash      []byte
	UserID    int64
	Purpose   TokenPurpose
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
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

// AccountChange is one change to an account (or, with UserID 0, to the
// portal's settings) as ChangeAccount writes it: the fields, the sessions
// it ends, its audit rows and the notices it queues, so that none stands
// without the others (a phone changed with no record, no notice, and the
// other sessions alive). Each field is written by the statement its own
// method (SetPhone, SetMFA, …) runs.
type AccountChange struct {
	UserID int64

	// ChallengeID, if set, is the code that proves the change: consumed at
	// At as ConsumeChallenge does it.
	ChallengeID int64
	At          time.Time

	// Session, if set, is the session making the change; it must still
	// exist. It is written back as UpdateSession writes it, or ended if
	// EndSession.
	Session    *Session
	EndSession bool

	// Phone, if set, becomes the account's phone; with PhoneWas set too,
	// only while the phone is still *PhoneWas (ErrConflict otherwise): a
	// registration (PhoneWas "") never replaces a phone registered since.
	Phone, PhoneWas  *string
	MFA              *MFAOverride
	MFADisabledUntil *time.Time // the zero time clears it
	Admin            *bool      // as SetAdmin: the last active administrator keeps it
	Deactivated      *bool      // as SetDeactivated
	ClearCodeLock    bool       // as ClearCodeLock
	ClearThrottle    string     // a throttle key to clear, as ClearThrottle; empty: none
	Setting          *Setting   // a portal-wide setting, as SetSetting
	Token            *Token     // an emailed link, as CreateToken

	// EndOthers ends the account's other sessions: all but Session, or
	// but Keep when Session is nil (an administrator acting on their own
	// account keeps the session they act from).
	EndOthers bool
	Keep      []byte

	// OIDCSubject, if set, ends the account's sessions at the
	// applications too, in the same transaction: its OpenID Connect
	// tokens are revoked and a back-channel logout of this subject is
	// queued, due at At, for each application among them with a
	// back-channel logout URI (as EndOIDCSessions), so that no crash
	// between the two leaves the applications untold.
	OIDCSubject string

	// Record, called in the transaction once the sessions are ended with
	// how many EndOthers ended, gives the audit events to append (their
	// IDs are set) and the messages to queue, sealed, as EnqueueMessage
	// does. It must not use the store. Nil: neither.
	Record func(ended int) ([]*AuditEvent, []*Message, error)
}

// Setting is one portal-wide setting.
type Setting struct{ Key, Value string }

// WrongCode is a wrong code entered for a challenge, as CountWrongCode
// counts it.
type WrongCode struct {
	ChallengeID int64
	MaxTries    int // the challenge is void once it has this many wrong tries
	At          time.Time
	// Lock gives the account's CodeLockedUntil for its new count of wrong
	// codes in a row (zero time: no lock); nil leaves the lock as it is.
	// It must not use the store.
	Lock func(inARow int) time.Time
}

// WrongCodeCount is what CountWrongCode found and did.
type WrongCodeCount struct {
	// Counted is false when the challenge was used, voided or expired at
	// At: then nothing changed, and Used and Voided say which.
	Counted  bool
	Failures int  // the challenge's wrong tries, after
	Voided   bool // the challenge is void, after
	Used     bool
	// InARow and LockedUntil are the account's count of wrong codes in a
	// row and its code lock, after; zero unless Counted.
	InARow      int
	LockedUntil time.Time
}

// ChallengeTakeOver is what TakeOverChallenge writes.
type ChallengeTakeOver struct {
	ChallengeID int64
	Session     []byte // token hash of the session that takes the code over
	At          time.Time
	Audit       []*AuditEvent
}

// LoginCompletion is what CompleteLogin writes.
type LoginCompletion struct {
	ChallengeID int64
	At          time.Time
	OldSession  []byte   // token hash of the session at the code step
	Session     *Session // the new, fully logged-in one
	Audit       []*AuditEvent
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

// AuditQuery selects events of the audit log, newest first.
type AuditQuery struct {
	UserID int64     // events whose subject or actor is this user; 0: all
	Event  string    // exact event name, or a prefix ending in "." ("login."); empty: all
	Since  time.Time // inclusive; zero: no bound
	Until  time.Time // exclusive; zero: no bound
	// BeforeID continues the list below this event id (keyset paging);
	// 0 starts at the newest.
	BeforeID int64
	Limit    int // at most this many; 0 means 50
}

// MessageStatus is where a message is on its way out.
type MessageStatus string

const (
	MessageQueued    MessageStatus = "queued"    // waiting for a dispatcher: first try, or a retry at NextAttemptAt
	MessageSending   MessageStatus = "sending"   // claimed by a dispatcher until LeaseUntil
	MessageSent      MessageStatus = "sent"      // a provider accepted it
	MessageDelivered MessageStatus = "delivered" // the provider reported it delivered
	MessageFailed    MessageStatus = "failed"    // refused for good, or out of tries, or reported undelivered
	MessageExpired   MessageStatus = "expired"   // its code expired before it could go out
)

// Final reports whether the message will not be sent (again).
func (s MessageStatus) Final() bool {
	return s != MessageQueued && s != MessageSending
}

// ReceiptMovesFrom lists the statuses a provider's delivery report of
// status moves a message from (Messages.RecordReceipt), or nil if status
// is not a report. Reports come late, out of order and again, so they only
// move a message forward: to sent from queued or sending, to delivered or
// failed from those and sent. Delivered, failed and expired are never left.
func ReceiptMovesFrom(status MessageStatus) []MessageStatus {
	switch status {
	case MessageSent:
		return []MessageStatus{MessageQueued, MessageSending}
	case MessageDelivered, MessageFailed:
		return []MessageStatus{MessageQueued, MessageSending, MessageSent}
	}
	return nil
}

// Message is an SMS or email in the durable outbox. It is written in the
// same transaction as the code it carries, so a crash between the two
// loses nothing; a dispatcher inside `portal serve` sends it. Its content
// is sealed (encrypted with the portal's key) and erased once the message
// is final, so the database never holds a readable code.
type Message struct {
	ID            int64
	UserID        int64
	ChallengeID   int64 // the code it carries; 0 for notices
	Channel       Channel
	To            string // E.164 number or email address
	Sealed        []byte // the encrypted content; nil once final
	Status        MessageStatus
	Attempts      int       // provider calls so far
	NextAttemptAt time.Time // when a queued message may be tried (again)
	LeaseUntil    time.Time // while sending: when another dispatcher may take it over
	ExpiresAt     time.Time // not worth sending after this (its code's expiry); zero: no limit
	IP            string    // the client address that caused it, for budgets
	Provider      string    // the provider that took it
	ProviderRef   string    // the provider's id of it, for delivery receipts
	LastError     string    // short, for operators; never content
	CreatedAt     time.Time
	// UpdatedAt is the time of the last change: CreatedAt, then the now of
	// a claim, the At of an outcome, the at of a receipt.
	UpdatedAt time.Time
}

// MessageUpdate is the outcome of one try to send a claimed message.
type MessageUpdate struct {
	Status        MessageStatus // MessageQueued to retry at NextAttemptAt, or a final status
	NextAttemptAt time.Time     // for MessageQueued; zero: at once (At)
	Provider      string
	ProviderRef   string
	LastError     string
	At            time.Time
	// Lease is the LeaseUntil of the claim this outcome belongs to; if
	// set, the outcome is refused (ErrNotFound) once another dispatcher
	// has taken the message over after the lease ran out.
	Lease time.Time
}

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

// Challenges keeps one-time codes.
type Challenges interface {
	// IssueChallenge, in one transaction, voids (VoidedAt = c.CreatedAt)
	// every still-unused challenge of the same user, attempt and purpose,
	// sets c.Failures to the highest Failures among the challenges of that
	// user, attempt and purpose (so a resend does not reset the count), and
	// inserts c, setting c.ID.
	IssueChallenge(ctx context.Context, c *Challenge) error
	// LatestChallenge returns the newest challenge of the user, attempt and
	// purpose, used or not; ErrNotFound if none.
	LatestChallenge(ctx context.Context, userID int64, attemptID string, purpose Purpose) (*Challenge, error)
	// ConsumeChallenge marks the challenge used if, and only if, it is
	// neither used nor voided and not expired at at. Exactly one of many
	// concurrent calls returns true.
	ConsumeChallenge(ctx context.Context, id int64, at time.Time) (bool, error)
	// CompleteLogin finishes a login by its code in one transaction, so
	// that it happens whole or not at all, with one commit: it consumes the
	// challenge (as ConsumeChallenge), replaces the session (as
	// ReplaceSession), records the login (as RecordLogin) and appends the
	// audit events, setting their IDs. ErrNotFound, and nothing changed,
	// when the challenge was used, voided or expired meanwhile or the old
	// session is gone: of many concurrent calls for one code or one
	// session, at most one succeeds.
	CompleteLogin(ctx context.Context, l LoginCompletion) error
	// CountWrongCode counts a wrong code entered for a challenge, in one
	// transaction: if, and only if, the challenge is neither used nor
	// voided and not expired at w.At, it adds one to its Failures (voiding
	// it at w.At when they reach w.MaxTries) and one to its account's
	// CodeFailures, storing w.Lock(the new count) as the account's
	// CodeLockedUntil if w.Lock is not nil. Otherwise nothing changes and
	// Counted is false: a guess at a code that no longer works is no
	// guess. So one challenge adds at most MaxTries to the account's count
	// however many tries arrive at once, also across instances.
	// ErrNotFound for unknown ids.
	CountWrongCode(ctx context.Context, w WrongCode) (WrongCodeCount, error)
	// MarkChallengeUndelivered records that sending the challenge failed.
	// ErrNotFound for unknown ids.
	MarkChallengeUndelivered(ctx context.Context, id int64, at time.Time) error
	// ChallengeTimesForUser returns when the user's newest challenges
	// were issued (CreatedAt), newest first: at most limit of those issued
	// at or after since, of any attempt and purpose.
	ChallengeTimesForUser(ctx context.Context, userID int64, since time.Time, limit int) ([]time.Time, error)
	// NewestChallenge returns the user's newest challenge for purpose, of
	// any attempt, used or not; ErrNotFound if none.
	NewestChallenge(ctx context.Context, userID int64, purpose Purpose) (*Challenge, error)
	// TakeOverChallenge moves a code to a newer login of its account, in
	// one transaction: if the challenge is neither used nor voided and not
	// expired at t.At, and the session t.Session belongs to the
	// challenge's user and is at StageCode, the session's AttemptID
	// becomes the challenge's, the user's other sessions at StageCode with
	// that AttemptID are deleted (a code is held by one login at a time)
	// and the audit events are appended. ErrNotFound, and nothing changed,
	// otherwise.
	TakeOverChallenge(ctx context.Context, t ChallengeTakeOver) error
	// CountChallengesForUserTo counts the challenges of the user sent to
	// dest since: the budget of codes to an account's own number or
	// address, which other accounts cannot spend.
	CountChallengesForUserTo(ctx context.Context, userID int64, dest string, since time.Time) (int, error)
	// CountChallengesToDestination counts the challenges of one of
	// purposes sent to dest since, whichever account they were for (none
	// when purposes is empty).
	CountChallengesToDestination(ctx context.Context, dest string, purposes []Purpose, since time.Time) (int, error)
}

// Throttles keeps failure counters used to slow down guessing.
type Throttles interface {
	// Throttle returns the counter for key; a zero Throttle (with Key set)
	// if there is none.
	Throttle(ctx context.Context, key string) (Throttle, error)
	// AddThrottleFailure adds a failure to key at at, atomically. A window
	// that started before windowStart is reset first (count from 1). If
	// lock is not nil, lock(newFailures) is stored as LockedUntil.
	AddThrottleFailure(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time) (Throttle, error)
	// AddThrottleFailureUnlessLocked is AddThrottleFailure unless key is
	// locked at at (LockedUntil after at): then it changes nothing and
	// returns the counter as it is with ok false. The check and the count
	// are one atomic step, so a caller can count a try before knowing its
	// outcome: of many concurrent tries, those after the one whose failure
	// sets a lock find it locked, as they would one after the other.
	AddThrottleFailureUnlessLocked(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time) (t Throttle, ok bool, err error)
	// ClearThrottle removes the counter for key.
	ClearThrottle(ctx context.Context, key string) error
}

// Audit is the append-only audit log.
type Audit interface {
	AppendAudit(ctx context.Context, e *AuditEvent) error
	// AuditForUser returns the newest events whose subject or actor is the
	// user, newest first.
	AuditForUser(ctx context.Context, userID int64, limit int) ([]AuditEvent, error)
	// ListAudit returns events matching q, newest (highest id) first. It
	// stays fast on millions of rows: every filter is served by an index.
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
}

// Messages is the durable outbox. "Oldest" and "newest" go by ID, that
// is by the order in which messages were stored, not by CreatedAt.
type Messages interface {
	// IssueChallengeWithMessage is IssueChallenge and EnqueueMessage in one
	// transaction, with one commit: the message's ChallengeID is set to
	// the challenge's ID, and both get their IDs; the audit event, if
	// given, is appended with them and gets its ID. If an insert fails
	// (say the message names no user), nothing is written and no
	// predecessor of the challenge is voided.
	//
	// Budgets, if given, are checked in the same transaction, serialised
	// with every other budgeted issue (across instances too): if any
	// budget already counts Limit messages, nothing is written and the
	// error is a *BudgetError naming it.
	IssueChallengeWithMessage(ctx context.Context, ci CodeIssue) error
	// EnqueueMessage stores m as MessageQueued, whatever m.Status said,
	// and sets m.ID and m.Status. A zero NextAttemptAt (due at once) and a
	// zero UpdatedAt are set to CreatedAt. A notice has ChallengeID 0.
	EnqueueMessage(ctx context.Context, m *Message) error
	// ClaimMessages takes up to limit messages that are due at now —
	// queued with NextAttemptAt <= now, or sending with LeaseUntil <= now
	// (their dispatcher died) — oldest first, and marks them sending until
	// now+lease with one more attempt (UpdatedAt now); it returns them so
	// marked, oldest first. Each message goes to exactly one of several
	// concurrent claimers, also across instances. A final message is never
	// claimed. ExpiresAt is not looked at: the dispatcher completes a
	// message that is too late as MessageExpired. A limit below 1 claims
	// nothing.
	ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error)
	// CompleteMessage records the outcome of a try of a message this
	// dispatcher claimed (Status sending): it sets Status, Provider,
	// ProviderRef, LastError and UpdatedAt (u.At) as u says and clears
	// LeaseUntil. MessageQueued keeps Sealed and sets NextAttemptAt (u.At
	// if u's is zero); a final status erases Sealed and leaves
	// NextAttemptAt as it was. ErrNotFound if the message is unknown, no
	// longer sending, or (u.Lease set) claimed again since; an error, and no change, if u.Status is neither
	// MessageQueued nor a final one (sent, delivered, failed, expired).
	CompleteMessage(ctx context.Context, id int64, u MessageUpdate) error
	// MessageForChallenge returns the newest message carrying the code;
	// ErrNotFound if none does (notices carry none: challengeID 0 finds
	// nothing).
	MessageForChallenge(ctx context.Context, challengeID int64) (*Message, error)
	// RecordReceipt applies a provider's delivery report to the message it
	// names, only forward: sent may become delivered or failed; nothing
	// moves backwards, and a delivered, failed or expired message stays
	// as it is, however late or often a report comes. Precisely: a report
	// of MessageSent moves a queued or sending message (one whose earlier
	// try got a reference) to sent; a report of MessageDelivered or
	// MessageFailed moves a queued, sending or sent message to that
	// status. A move sets UpdatedAt to at, LastError to lastError unless
	// that is empty, erases Sealed and clears LeaseUntil. It returns the
	// message as updated and moved true, or as it is and moved false when
	// the report would not move it (backwards, or again), so that a
	// replayed report has no effect. ErrNotFound if no message of that
	// provider has that reference (an empty ref names none); an error if
	// status is not one of the three.
	RecordReceipt(ctx context.Context, provider, ref string, status MessageStatus, lastError string, at time.Time) (m *Message, moved bool, err error)
	// CountMessages counts messages matching q, for the budgets against
	// SMS pumping.
	CountMessages(ctx context.Context, q MessageCount) (int, error)
}

// CodeIssue is a code and the message carrying it, as
// IssueChallengeWithMessage writes them.
type CodeIssue struct {
	Challenge *Challenge
	Message   *Message
	Budgets   []Budget    // limits the message must fit in
	Audit     *AuditEvent // the record of it, if any
}

// Budget is a limit a new message must fit in: fewer than Limit messages
// match Count before it is written.
type Budget struct {
	Name  string
	Limit int
	Count MessageCount
}

// FirstFull returns the first of budgets whose count (counts[i], of
// budgets[i]) has reached its Limit, or nil: the budget a new message does
// not fit in.
func FirstFull(budgets []Budget, counts []int) *Budget {
	for i := range budgets {
		if counts[i] >= budgets[i].Limit {
			return &budgets[i]
		}
	}
	return nil
}

// BudgetError says which budget a message did not fit in.
type BudgetError struct{ Budget string }

func (e *BudgetError) Error() string { return "store: message budget exhausted: " + e.Budget }

// MessageCount selects messages to count, whatever their status: those on
// Channel created at or after Since, narrowed by each non-empty field. To,
// Prefix and IP compare exactly: case matters, and Prefix has no wildcards.
type MessageCount struct {
	Channel Channel
	Since   time.Time
	To      string // one destination
	Prefix  string // destinations starting with this, e.g. a country calling code "+44"
	IP      string // requested from this client address
}

// Tokens keeps single-use emailed links.
type Tokens interface {
	// CreateToken stores t, first deleting the user's unused tokens of the
	// same purpose (a new link voids the old one); ErrNotFound if the user
	// does not exist.
	CreateToken(ctx context.Context, t *Token) error
	// UseToken marks the token with this hash and purpose used at at and
	// returns it, if and only if it exists, is unused and has not expired
	// (ExpiresAt > at). Exactly one of concurrent calls succeeds; the rest,
	// and every other case, get ErrNotFound.
	UseToken(ctx context.Context, hash []byte, purpose TokenPurpose, at time.Time) (*Token, error)
	// TokenByHash returns an unused, unexpired token without using it (to
	// show the form behind a link); ErrNotFound otherwise.
	TokenByHash(ctx context.Context, hash []byte, purpose TokenPurpose, at time.Time) (*Token, error)
}

// Settings keeps portal-wide settings as strings.
type Settings interface {
	// Setting returns the value and whether it is set.
	Setting(ctx context.Context, key string) (string, bool, error)
	SetSetting(ctx context.Context, key, value string) error
}
