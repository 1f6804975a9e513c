package store

import (
	"context"
	"time"
)

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
