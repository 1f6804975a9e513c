package login

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store"
)

// Emailed links: "Forgot your password?" (valid 30 minutes) and the
// invitation of a new account (valid 72 hours). Both lead to the same
// page, where a new password is set; the link works once.

const (
	ResetLinkTTL  = 30 * time.Minute
	InviteLinkTTL = 72 * time.Hour

	// resetRequestsPerHour bounds reset emails to one address, so the
	// form cannot be used to flood a mailbox.
	resetRequestsPerHour = 3

	// resetWorkDelay is how long after its answer "Forgot your password?"
	// starts looking for the account; see PreparePasswordReset.
	resetWorkDelay = 20 * time.Millisecond
)

// RequestPasswordReset is "Forgot your password?": if email names an active
// account, a single-use link is emailed to it. The work happens in the
// background; see PreparePasswordReset for answering before it starts.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, c Client) {
	s.PreparePasswordReset(email, c)()
}

// PreparePasswordReset registers the work of RequestPasswordReset (Wait
// waits for it from now on) and returns the function that starts it. The
// page answers in between, the same whether or not the account exists,
// and only then starts the work, which differs: started any earlier, it
// would compete with the answer for the CPU and show in its timing.
func (s *Service) PreparePasswordReset(email string, c Client) (start func()) {
	email = NormalizeEmail(email)
	begin := make(chan struct{})
	s.background(func(ctx context.Context) {
		<-begin
		// A moment more: on a busy machine the work, begun the instant
		// the answer leaves, still slows the client's reading of it by a
		// tenth of a millisecond, a difference that shows at the median
		// (BenchmarkEnumerationTiming in cmd/portal: 0.52 ms for an
		// account against 0.41 ms for nobody without this pause).
		time.Sleep(resetWorkDelay)
		s.passwordReset(ctx, email, c)
	})
	return sync.OnceFunc(func() { close(begin) })
}

func (s *Service) passwordReset(ctx context.Context, email string, c Client) {
	now := s.Clock.Now()
	t, err := s.Store.AddThrottleFailure(ctx, "reset:"+email, now, now.Add(-time.Hour), nil)
	if err != nil {
		s.log().Error("count reset request", "err", err)
		return
	}
	if t.Failures > resetRequestsPerHour {
		s.Audit(ctx, "password.reset_requested", "limited", 0, 0, c, "")
		return
	}
	u, err := s.Store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Deactivated) {
		s.Audit(ctx, "password.reset_requested", "no active account", 0, 0, c, "")
		return
	}
	if err != nil {
		s.log().Error("password reset: look up user", "err", err)
		return
	}
	if err := s.SendResetLink(ctx, u, store.TokenPasswordReset, s.auditEvent("password.reset_requested", "success", u.ID, u.ID, c, "")); err != nil {
		s.log().Error("password reset: send link", "user", u.ID, "err", err)
		return
	}
}

// SendResetLink emails u a new single-use link to set a password: a reset
// (valid 30 minutes) or an invitation (valid 72 hours). A new link voids
// the previous one of the same kind. The link, the email carrying it and
// the audit events given are written in one transaction.
func (s *Service) SendResetLink(ctx context.Context, u *store.User, purpose store.TokenPurpose, audit ...*store.AuditEvent) error {
	token, err := s.randomID(32)
	if err != nil {
		return err
	}
	ttl := ResetLinkTTL
	if purpose == store.TokenInvite {
		ttl = InviteLinkTTL
	}
	now := s.Clock.Now()
	link := fmt.Sprintf("%s/reset-password?token=%s", s.BaseURL, token)
	if purpose == store.TokenInvite {
		link = fmt.Sprintf("%s/welcome?token=%s", s.BaseURL, token)
	}
	email, err := s.noticeEmail(u, s.resetEmail(u, link, purpose))
	if err != nil {
		return err
	}
	err = s.Commit(ctx, store.AccountChange{
		UserID: u.ID,
		Token:  &store.Token{Hash: HashToken(token), UserID: u.ID, Purpose: purpose, CreatedAt: now, ExpiresAt: now.Add(ttl)},
		Record: func(int) ([]*store.AuditEvent, []*store.Message, error) {
			return audit, []*store.Message{email}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("login: store link: %w", err)
	}
	return nil
}

var errLinkInvalid = &Error{Kind: KindSetupTokenInvalid,
	Message: "This link has expired or has already been used. Ask for a new one with \u201cForgot your password?\u201d on the login screen."}

// LinkAccount returns the account a password link is for, without using
// the link, so that the page behind it can greet the person.
func (s *Service) LinkAccount(ctx context.Context, token string, purpose store.TokenPurpose) (*store.User, error) {
	t, err := s.Store.TokenByHash(ctx, HashToken(token), purpose, s.Clock.Now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, errLinkInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("login: read link: %w", err)
	}
	u, err := s.Store.UserByID(ctx, t.UserID)
	if err != nil {
		return nil, fmt.Errorf("login: read link account: %w", err)
	}
	if u.Deactivated {
		return nil, errLinkInvalid
	}
	return u, nil
}

// SetPasswordWithLink sets a new password with an emailed link: the link is
// used up, every session of the account ends, and password lockouts are
// lifted. MFA stays as it was: the next login still asks for a code. A
// password the policy refuses does not use up the link.
func (s *Service) SetPasswordWithLink(ctx context.Context, token string, purpose store.TokenPurpose, pw string, c Client) error {
	u, err := s.LinkAccount(ctx, token, purpose)
	if err != nil {
		return err
	}
	if err := password.Check(pw, u.Email, u.Name); err != nil {
		var pe *password.PolicyError
		if errors.As(err, &pe) {
			return &Error{Kind: KindInvalidInput, Field: "password", Message: pe.Message}
		}
		return err
	}
	hash, err := s.Passwords.Hash(ctx, pw)
	if err != nil {
		return hashFailed(err, "hash password")
	}
	if _, err := s.Store.UseToken(ctx, HashToken(token), purpose, s.Clock.Now()); errors.Is(err, store.ErrNotFound) {
		return errLinkInvalid
	} else if err != nil {
		return fmt.Errorf("login: use link: %w", err)
	}
	if err := s.Store.SetPassword(ctx, u.ID, hash); err != nil {
		return fmt.Errorf("login: set password: %w", err)
	}
	// Every session ends, at the applications too, with the lockout
	// lifted and the record of it, in one transaction.
	err = s.Commit(ctx, store.AccountChange{
		UserID: u.ID, EndOthers: true, ClearThrottle: accountKey(u.Email),
		Record: func(ended int) ([]*store.AuditEvent, []*store.Message, error) {
			return []*store.AuditEvent{s.auditEvent("password.set", "success", u.ID, u.ID, c,
				fmt.Sprintf("by %s link; %d sessions ended", purpose, ended))}, nil, nil
		},
	})
	if err != nil {
		return fmt.Errorf("login: end sessions: %w", err)
	}
	if purpose == store.TokenPasswordReset {
		s.NotifyUser(ctx, u, "Your password was changed",
			fmt.Sprintf("The password of your %s account was changed on %s, and every device was logged out.", s.PortalName, s.Clock.Now().Format("2 January 2006 at 15:04 MST")),
			"If this was not you, contact your system administrator straight away.")
	}
	return nil
}
