package login

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// Sensitive steps need a fresh session: a phone change the password, and
// administration the password and a code, each proven no longer than
// Rules.ReauthAfter ago. A phone change asks for the password again
// (Reauthenticate); a stale administrator proves the password and a new
// code (StartStepUp, then VerifyStepUp).

// Proof is what a sensitive step needs a session to have proven recently.
type Proof int

const (
	// ProofPassword is the password alone: a phone change, whose code then
	// goes to the new number.
	ProofPassword Proof = iota + 1
	// ProofPasswordAndCode is the password and a one-time code:
	// administration.
	ProofPasswordAndCode
)

// Fresh reports whether sess is fully logged in and proved what need
// names no longer than Rules.ReauthAfter ago. The password and the code
// are timed apart (AuthenticatedAt, CodeAt): proving the password again
// never makes an old code fresh.
func (s *Service) Fresh(sess *Session, need Proof) bool {
	now := s.Clock.Now()
	recent := func(at time.Time) bool { return !at.IsZero() && now.Sub(at) <= s.Rules.ReauthAfter }
	if sess.Stage != store.StageFull || !recent(sess.AuthenticatedAt) {
		return false
	}
	return need == ProofPassword || recent(sess.CodeAt)
}

// StartStepUp checks the password of a logged-in person. When MFA applies
// to the account, it sends a code by SMS and returns needCode; otherwise
// the session is renewed at once and returned.
func (s *Service) StartStepUp(ctx context.Context, sess *Session, pw string, c Client) (next *Session, needCode bool, err error) {
	required, err := s.PortalRequiresMFA(ctx)
	if err != nil {
		return nil, false, err
	}
	if sess.User.Phone == "" && MFARequired(sess.User, required, s.Clock.Now()) {
		return nil, false, &Error{Kind: KindNotAllowed, Message: "Register a mobile number in My Details first: administrators confirm it is them with a code."}
	}
	if !MFARequired(sess.User, required, s.Clock.Now()) {
		next, err := s.Reauthenticate(ctx, sess, pw, c)
		return next, false, err
	}
	if sess.Stage != store.StageFull {
		return nil, false, fmt.Errorf("login: step up in stage %q", sess.Stage)
	}
	if err := s.verifySessionPassword(ctx, sess, pw, c); err != nil {
		return nil, false, err
	}
	// Each step up is an attempt of its own: holding an unused step-up
	// code of this attempt proves the password was just right (one is only
	// sent after it), and wrong codes of earlier step ups do not count
	// against it (the account-wide count still does).
	attempt, err := s.randomID(16)
	if err != nil {
		return nil, false, err
	}
	sess.AttemptID = attempt
	sess.LastSeenAt = s.Clock.Now()
	if err := s.Store.UpdateSession(ctx, sess.Session); err != nil {
		return nil, false, fmt.Errorf("login: start step up: %w", err)
	}
	_, err = s.issueCode(ctx, sess, store.PurposeStepUp, store.ChannelSMS, sess.User.Phone, c)
	return nil, true, err
}

// ResendStepUpCode sends a new step-up code (after the cooldown), for a
// step up whose password was checked recently and whose code is not used
// yet.
func (s *Service) ResendStepUpCode(ctx context.Context, sess *Session, c Client) error {
	ch, err := s.Store.LatestChallenge(ctx, sess.UserID, sess.AttemptID, store.PurposeStepUp)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("login: latest step-up code: %w", err)
	}
	// Only a step up whose password was entered recently, and whose code
	// is not used, may have its code sent again.
	if err != nil || !ch.ConsumedAt.IsZero() || s.Clock.Now().Sub(ch.CreatedAt) > s.Rules.ReauthAfter {
		return &Error{Kind: KindNoCode, Message: "Enter your password first."}
	}
	_, err = s.issueCode(ctx, sess, store.PurposeStepUp, store.ChannelSMS, sess.User.Phone, c)
	return err
}

// VerifyStepUp completes a step up with the code: the session gets a new
// token, and its password and code are fresh.
func (s *Service) VerifyStepUp(ctx context.Context, sess *Session, input string, c Client) (*Session, error) {
	if sess.Stage != store.StageFull {
		return nil, fmt.Errorf("login: step up in stage %q", sess.Stage)
	}
	if _, err := s.verifyCode(ctx, sess, store.PurposeStepUp, input, c, nil); err != nil {
		return nil, err
	}
	next, err := s.stepUp(ctx, sess, store.StageFull, true, true, c)
	if err != nil {
		return nil, err
	}
	if err := s.Store.RecordLogin(ctx, sess.UserID, s.Clock.Now()); err != nil {
		return nil, fmt.Errorf("login: record login: %w", err)
	}
	s.Audit(ctx, "login.step_up", "success", sess.UserID, sess.UserID, c, "")
	return next, nil
}
