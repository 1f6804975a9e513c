// Package login holds the rules of getting into the portal: the password
// step, the one-time code step by SMS or email, first-time phone
// registration, changing the MFA phone, sessions, and the first
// administrator's set-up. It is plain Go: storage, message delivery, the
// clock and randomness are injected, and nothing here knows about HTTP or
// SQL, so every rule is tested directly.
package login

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/providerportal/portal/internal/clock"
	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/metrics"
	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store"
)

// Service runs the login. All fields but Log, Rand and Clock are required.
type Service struct {
	Store Store
	// Dispatch queues every SMS and email durably, with the code it
	// carries, and sends them (a *dispatch.Dispatcher).
	Dispatch Dispatcher
	// Passwords hashes and checks passwords, a bounded number at a time
	// (its Slots and Wait): every argon2id hash of the service goes
	// through it, and errBusy is the answer when no slot comes free.
	Passwords *password.Hasher
	// CodeKey keys the hashes of one-time codes; at least 32 random bytes,
	// kept secret and stable across restarts and instances.
	CodeKey []byte
	Rules   Rules

	// PortalName appears in messages ("Your Provider Portal code is …").
	PortalName string
	// BaseURL is the portal's public URL, for links in email and the
	// WebOTP line of text messages.
	BaseURL string

	// Applications, if set, is the OpenID Connect provider. A change that
	// ends sessions of an account for good (logout, an end of all
	// sessions, deactivation, a phone or password change) ends them at
	// the applications too, in the change's own transaction
	// (store.AccountChange.OIDCSubject: the account's tokens revoked, the
	// back-channel logouts of its applications queued), so a crash loses
	// none; LogoutsQueued then starts them on their way.
	Applications Applications

	Metrics *metrics.Metrics // nil: not counted
	Log     *slog.Logger     // nil: discard
	Rand    io.Reader        // nil: crypto/rand
	Clock   clock.Clock      // nil: the wall clock

	pending sync.WaitGroup // work finished after the answer (see background)

	deviceOnce     sync.Once
	deviceKeyBytes []byte // signs device tokens (deviceMACKey)
}

// Store is what the login needs of the store, and nothing more: each
// method is the one of store.Store of the same name, where it is
// documented (*sqlite.DB and *postgres.DB have them all).
type Store interface {
	// Accounts.
	CreateFirstAdmin(ctx context.Context, setupTokenHash []byte, u *store.User) error
	CreateUser(ctx context.Context, u *store.User) error
	ListUsers(ctx context.Context, q store.UserQuery) ([]store.User, error)
	RecordLogin(ctx context.Context, userID int64, at time.Time) error
	SetPassword(ctx context.Context, userID int64, hash string) error
	SetSetupToken(ctx context.Context, tokenHash []byte) error
	SetupTokenMatches(ctx context.Context, tokenHash []byte) (bool, error)
	UserByEmail(ctx context.Context, email string) (*store.User, error)
	UserByID(ctx context.Context, id int64) (*store.User, error)

	// Sessions.
	DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int, error)
	DeleteSession(ctx context.Context, tokenHash []byte) error
	DeleteUserSessions(ctx context.Context, userID int64, except []byte) (int, error)
	ReplaceSession(ctx context.Context, oldHash []byte, s *store.Session) error
	SessionWithUser(ctx context.Context, tokenHash []byte) (*store.Session, *store.User, error)
	StartLogin(ctx context.Context, l store.LoginStart) error
	TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error
	UpdateSession(ctx context.Context, s *store.Session) error

	// One-time codes.
	ChallengeTimesForUser(ctx context.Context, userID int64, since time.Time, limit int) ([]time.Time, error)
	CompleteLogin(ctx context.Context, l store.LoginCompletion) error
	ConsumeChallenge(ctx context.Context, id int64, at time.Time) (bool, error)
	CountChallengesForUserTo(ctx context.Context, userID int64, dest string, since time.Time) (int, error)
	CountChallengesToDestination(ctx context.Context, dest string, purposes []store.Purpose, since time.Time) (int, error)
	CountWrongCode(ctx context.Context, w store.WrongCode) (store.WrongCodeCount, error)
	LatestChallenge(ctx context.Context, userID int64, attemptID string, purpose store.Purpose) (*store.Challenge, error)
	MarkChallengeUndelivered(ctx context.Context, id int64, at time.Time) error
	NewestChallenge(ctx context.Context, userID int64, purpose store.Purpose) (*store.Challenge, error)
	TakeOverChallenge(ctx context.Context, t store.ChallengeTakeOver) error

	// Messages.
	MessageForChallenge(ctx context.Context, challengeID int64) (*store.Message, error)

	// Counters of wrong tries.
	AddThrottleFailure(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time) (store.Throttle, error)
	AddThrottleFailureUnlessLocked(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time) (t store.Throttle, ok bool, err error)
	ClearThrottle(ctx context.Context, key string) error
	Throttle(ctx context.Context, key string) (store.Throttle, error)

	// Links (password resets, invitations).
	TokenByHash(ctx context.Context, hash []byte, purpose store.TokenPurpose, at time.Time) (*store.Token, error)
	UseToken(ctx context.Context, hash []byte, purpose store.TokenPurpose, at time.Time) (*store.Token, error)

	// The audit log.
	AppendAudit(ctx context.Context, e *store.AuditEvent) error

	// Settings.
	Setting(ctx context.Context, key string) (string, bool, error)

	// Changes of an account, each in one transaction.
	ChangeAccount(ctx context.Context, c store.AccountChange) error
}

// Applications is what the login needs of the OpenID Connect provider.
type Applications interface {
	Subject(userID int64) string // the account's sub claim
	LogoutsQueued()              // back-channel logouts may wait: send them now
}

// Dispatcher is what the login needs of the message dispatcher
// (dispatch.Dispatcher): messages sealed, queued (a code's with the code,
// in one transaction) and kicked on their way. What became of a message
// the login reads from its Store (MessageForChallenge).
type Dispatcher interface {
	Seal(m *store.Message, c dispatch.Content) error
	Queue(ctx context.Context, m *store.Message, c dispatch.Content) error
	QueueCode(ctx context.Context, ci store.CodeIssue, c dispatch.Content) error
	Kick(ctx context.Context)
	// SendsInline reports whether Kick sends before it returns, so that a
	// refusal is known at once (commands and tests).
	SendsInline() bool
}

// errBusy is the one answer to a request whose password hash found every
// hashing slot taken (Passwords bounds them), on every route that hashes.
var errBusy = &Error{Kind: KindBusy, RetryAfter: 2 * time.Second,
	Message: "The portal is very busy just now. Please try again in a moment."}

// hashFailed is what a failure to hash a password (what: "verify
// password") becomes: errBusy when no slot came free, else an internal
// error.
func hashFailed(err error, what string) error {
	if errors.Is(err, password.ErrBusy) {
		return errBusy
	}
	return fmt.Errorf("login: %s: %w", what, err)
}

// background runs f after the caller has answered, so that the answer's
// timing does not tell what f found. Wait waits for it.
func (s *Service) background(f func(ctx context.Context)) {
	s.pending.Add(1)
	go func() {
		defer s.pending.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		f(ctx)
	}()
}

// Wait waits for background work (tests, graceful shutdown).
func (s *Service) Wait() { s.pending.Wait() }

// Client is who is on the other end of a request, for throttling and the
// audit log.
type Client struct {
	IP        string
	UserAgent string
	// Device is the device token the browser presented (its device
	// cookie), if any: see device.go.
	Device string
}

// Session is a session with the account it belongs to.
type Session struct {
	Token string // only set when a new token was issued
	// Device is set when the login has just completed: a new device token
	// for the browser to keep (as its device cookie).
	Device string
	*store.Session
	User *store.User
}

func (s *Service) rand() io.Reader {
	if s.Rand != nil {
		return s.Rand
	}
	return rand.Reader
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// randomID returns n random bytes, base64url-encoded.
func (s *Service) randomID(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand(), b); err != nil {
		return "", fmt.Errorf("login: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken is the form in which a session token is stored.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// newSession makes a session with a fresh 256-bit token.
func (s *Service) newSession(u *store.User, stage store.Stage, c Client) (*Session, error) {
	token, err := s.randomID(32)
	if err != nil {
		return nil, err
	}
	attempt, err := s.randomID(16)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	return &Session{
		Token: token,
		Session: &store.Session{
			TokenHash:  HashToken(token),
			UserID:     u.ID,
			Stage:      stage,
			AttemptID:  attempt,
			CreatedAt:  now,
			LastSeenAt: now,
			IP:         c.IP,
			UserAgent:  c.UserAgent,
			// The account's last login as read before this one is
			// recorded; a step up of a logged-in session keeps its own
			// (nextSession).
			PreviousLoginAt: u.LastLoginAt,
		},
		User: u,
	}, nil
}

// NormalizeEmail is the form in which email addresses are compared.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// Audit appends to the audit log. A failure to write is logged, not
// returned: the person's request has already had its effect.
func (s *Service) Audit(ctx context.Context, event, outcome string, actor, subject int64, c Client, detail string) {
	s.appendAudit(ctx, s.auditEvent(event, outcome, actor, subject, c, detail))
}

// appendAudit appends e; a failure is logged, and the action it records
// stands.
func (s *Service) appendAudit(ctx context.Context, e *store.AuditEvent) {
	if err := s.Store.AppendAudit(ctx, e); err != nil {
		s.log().Error("audit append failed", "event", e.Event, "err", err)
	}
}

// auditEvent is an event as Audit appends it, for a store method that
// writes it in the transaction of the change it records.
func (s *Service) auditEvent(event, outcome string, actor, subject int64, c Client, detail string) *store.AuditEvent {
	return &store.AuditEvent{
		Time: s.Clock.Now(), Event: event, Outcome: outcome,
		ActorID: actor, SubjectID: subject,
		IP: c.IP, UserAgent: c.UserAgent, Detail: detail,
	}
}

// PortalRequiresMFA reads the portal-wide policy; MFA is required unless an
// administrator turned it off.
func (s *Service) PortalRequiresMFA(ctx context.Context) (bool, error) {
	v, ok, err := s.Store.Setting(ctx, SettingMFAPolicy)
	if err != nil {
		return true, fmt.Errorf("login: read MFA policy: %w", err)
	}
	return !ok || v != "optional", nil
}

// SettingMFAPolicy is the settings key of the portal-wide MFA policy:
// "required" (the default, also when unset) or "optional".
const SettingMFAPolicy = "mfa_policy"
