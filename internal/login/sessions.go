package login

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// ErrNoSession means the token names no live session: never issued,
// logged out, replaced at a step up, or timed out.
var ErrNoSession = errors.New("login: no session")

// touchEvery limits how often a session's last-seen time is written.
const touchEvery = time.Minute

// Authenticate finds the live session of token and its account. It ends
// sessions past the idle or absolute timeout, and those of deactivated
// accounts.
func (s *Service) Authenticate(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > 128 {
		return nil, ErrNoSession
	}
	hash := HashToken(token)
	// The session and its account in one lookup: every page asks.
	ss, u, err := s.Store.SessionWithUser(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("login: read session: %w", err)
	}
	now := s.Clock.Now()
	if now.Sub(ss.LastSeenAt) >= s.Rules.IdleTimeout || now.Sub(ss.CreatedAt) >= s.Rules.AbsoluteTimeout {
		if err := s.Store.DeleteSession(ctx, hash); err != nil {
			return nil, fmt.Errorf("login: end expired session: %w", err)
		}
		return nil, ErrNoSession
	}
	if u.Deactivated {
		if _, err := s.Store.DeleteUserSessions(ctx, u.ID, nil); err != nil {
			return nil, fmt.Errorf("login: end sessions: %w", err)
		}
		return nil, ErrNoSession
	}
	if ss.Stage == store.StageFull && !ss.MFA {
		// Logged in with the password alone, while MFA did not apply to
		// the account. Once it applies again (a temporary disable ran
		// out, an administrator required it), the session ends.
		required, err := s.PortalRequiresMFA(ctx)
		if err != nil {
			return nil, err
		}
		if MFARequired(u, required, now) {
			if err := s.Store.DeleteSession(ctx, hash); err != nil {
				return nil, fmt.Errorf("login: end session: %w", err)
			}
			return nil, ErrNoSession
		}
	}
	if now.Sub(ss.LastSeenAt) >= touchEvery {
		ss.LastSeenAt = now
		if err := s.Store.TouchSession(ctx, hash, now); err != nil {
			return nil, fmt.Errorf("login: touch session: %w", err)
		}
	}
	return &Session{Session: ss, User: u}, nil
}

// Reauthenticate checks the password of a logged-in person again before a
// sensitive change and renews the session's token. Only the password is
// fresh then, not a code (see Fresh). Wrong passwords count against the
// same throttles as at login.
func (s *Service) Reauthenticate(ctx context.Context, sess *Session, pw string, c Client) (*Session, error) {
	if sess.Stage != store.StageFull {
		return nil, fmt.Errorf("login: reauthenticate in stage %q", sess.Stage)
	}
	if err := s.verifySessionPassword(ctx, sess, pw, c); err != nil {
		return nil, err
	}
	next, err := s.stepUp(ctx, sess, store.StageFull, true, false, c)
	if err != nil {
		return nil, err
	}
	s.Audit(ctx, "login.reauthenticate", "success", sess.UserID, sess.UserID, c, "")
	return next, nil
}

// verifySessionPassword checks the password of a logged-in person, with
// the same throttles as at login.
func (s *Service) verifySessionPassword(ctx context.Context, sess *Session, pw string, c Client) error {
	slot, err := s.passwordSlot(ctx)
	if err != nil {
		return err
	}
	defer slot.Release()
	now := s.Clock.Now()
	try, err := s.countPasswordTry(ctx, sess.User.Email, c, now)
	if err != nil {
		return err
	}
	ok, err := s.checkPassword(ctx, slot, sess.User, pw)
	slot.Release() // the slot bounds the hashing, as at login
	if err != nil {
		return err
	}
	if !ok {
		s.passwordFailed(ctx, sess.User, c, "wrong password at re-authentication", try)
		return &Error{Kind: KindInvalidCredentials, Field: "password", Message: "That password is not right. Try again."}
	}
	if err := s.Store.ClearThrottle(ctx, try.key); err != nil {
		return fmt.Errorf("login: clear throttle: %w", err)
	}
	return nil
}

// Logout ends the session of token, if any.
func (s *Service) Logout(ctx context.Context, token string, c Client) error {
	sess, err := s.Authenticate(ctx, token)
	if errors.Is(err, ErrNoSession) {
		return nil
	}
	if err != nil {
		return err
	}
	err = s.Commit(ctx, store.AccountChange{
		UserID: sess.UserID, Session: sess.Session, EndSession: true,
		Record: func(int) ([]*store.AuditEvent, []*store.Message, error) {
			return []*store.AuditEvent{s.auditEvent("logout", "success", sess.UserID, sess.UserID, c, "")}, nil, nil
		},
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // ended meanwhile, by another logout
	}
	if err != nil {
		return fmt.Errorf("login: logout: %w", err)
	}
	return nil
}

// Abandon ends a half-finished login (e.g. "Cancel" on the code screen).
func (s *Service) Abandon(ctx context.Context, sess *Session) error {
	if err := s.Store.DeleteSession(ctx, sess.TokenHash); err != nil {
		return fmt.Errorf("login: abandon: %w", err)
	}
	return nil
}

// SweepSessions deletes sessions past their timeouts; run it now and then.
func (s *Service) SweepSessions(ctx context.Context) (int, error) {
	now := s.Clock.Now()
	return s.Store.DeleteExpiredSessions(ctx, now.Add(-s.Rules.IdleTimeout), now.Add(-s.Rules.AbsoluteTimeout))
}
