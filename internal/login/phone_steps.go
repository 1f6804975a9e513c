package login

import (
	"context"
	"errors"
	"fmt"

	"github.com/providerportal/portal/internal/phone"
	"github.com/providerportal/portal/internal/store"
)

// normalizePhone turns a person's input into E.164 or a plain-words error.
func normalizePhone(raw string) (string, error) {
	n, err := phone.Normalize(raw)
	var pe *phone.Error
	if errors.As(err, &pe) {
		return "", &Error{Kind: KindInvalidInput, Field: "phone", Message: pe.Message}
	}
	if err != nil {
		return "", fmt.Errorf("login: normalise phone: %w", err)
	}
	return n, nil
}

// destinationRefused records a number that AllowedDestination refused, in
// the metrics and the audit log; other errors are not recorded.
func (s *Service) destinationRefused(ctx context.Context, userID int64, c Client, err error) {
	var d *DestinationRefusal
	if errors.As(err, &d) {
		s.Metrics.BudgetRefused(d.Reason)
		s.Audit(ctx, "code.sent", "limited", userID, userID, c, d.Detail)
	}
}

// StartPhoneRegistration is the "Send Verification Code" step of the first
// login with MFA: it remembers the number on the session (the account is
// not changed yet) and sends a code to it.
func (s *Service) StartPhoneRegistration(ctx context.Context, sess *Session, raw string, c Client) (*store.Challenge, error) {
	if sess.Stage != store.StageRegisterPhone {
		return nil, fmt.Errorf("login: register phone in stage %q", sess.Stage)
	}
	return s.startPhone(ctx, sess, store.PurposeRegisterPhone, raw, c)
}

// VerifyPhoneRegistration is "Verify Code" on the first login: the number
// becomes the account's MFA phone, the session ends, and the person logs in
// again, this time with a code to the new number.
func (s *Service) VerifyPhoneRegistration(ctx context.Context, sess *Session, input string, c Client) error {
	if sess.Stage != store.StageRegisterPhone || sess.PendingPhone == "" {
		return fmt.Errorf("login: verify phone registration in stage %q", sess.Stage)
	}
	if _, err := s.verifyCode(ctx, sess, store.PurposeRegisterPhone, input, c, nil); err != nil {
		return err
	}
	if err := s.Store.SetPhone(ctx, sess.UserID, sess.PendingPhone); err != nil {
		return fmt.Errorf("login: set phone: %w", err)
	}
	if err := s.Store.DeleteSession(ctx, sess.TokenHash); err != nil {
		return fmt.Errorf("login: end session: %w", err)
	}
	masked := phone.Mask(sess.PendingPhone)
	s.Audit(ctx, "phone.registered", "success", sess.UserID, sess.UserID, c, masked)
	s.notify(ctx, sess.User, s.phoneRegisteredEmail(sess.User, masked))
	return nil
}

// StartPhoneChange is "Update" in the Multi-factor Authentication section
// of My Details: a code goes to the NEW number; the old number stays in
// force until the code is entered.
func (s *Service) StartPhoneChange(ctx context.Context, sess *Session, raw string, c Client) (*store.Challenge, error) {
	if sess.Stage != store.StageFull {
		return nil, fmt.Errorf("login: change phone in stage %q", sess.Stage)
	}
	if s.NeedsReauth(sess) {
		return nil, errReauthRequired
	}
	return s.startPhone(ctx, sess, store.PurposeChangePhone, raw, c)
}

var errReauthRequired = &Error{Kind: KindReauthRequired, Message: "For your security, enter your password again before changing your phone number."}

func (s *Service) startPhone(ctx context.Context, sess *Session, purpose store.Purpose, raw string, c Client) (*store.Challenge, error) {
	number, err := s.Rules.AcceptPhone(raw)
	if err != nil {
		s.destinationRefused(ctx, sess.UserID, c, err)
		return nil, err
	}
	if number == sess.User.Phone {
		return nil, &Error{Kind: KindInvalidInput, Field: "phone", Message: "That is already your registered number. Enter the new number you want to use."}
	}
	if number != sess.PendingPhone {
		// A new number starts a new attempt: its codes, tries and cooldown
		// are its own. The account-wide count of wrong codes still runs.
		attempt, err := s.randomID(16)
		if err != nil {
			return nil, err
		}
		sess.AttemptID = attempt
	}
	sess.PendingPhone = number
	sess.LastSeenAt = s.now()
	if err := s.Store.UpdateSession(ctx, sess.Session); err != nil {
		return nil, fmt.Errorf("login: remember pending phone: %w", err)
	}
	return s.issueCode(ctx, sess, purpose, store.ChannelSMS, number, c)
}

// VerifyPhoneChange confirms the new number with the code sent to it: the
// number changes, the account's email is told, and every other session of
// the account ends.
func (s *Service) VerifyPhoneChange(ctx context.Context, sess *Session, input string, c Client) error {
	if sess.Stage != store.StageFull || sess.PendingPhone == "" {
		return fmt.Errorf("login: verify phone change without a pending number")
	}
	if s.NeedsReauth(sess) {
		return errReauthRequired
	}
	if _, err := s.verifyCode(ctx, sess, store.PurposeChangePhone, input, c, nil); err != nil {
		return err
	}
	old, next := sess.User.Phone, sess.PendingPhone
	if err := s.Store.SetPhone(ctx, sess.UserID, next); err != nil {
		return fmt.Errorf("login: set phone: %w", err)
	}
	sess.PendingPhone = ""
	if err := s.Store.UpdateSession(ctx, sess.Session); err != nil {
		return fmt.Errorf("login: clear pending phone: %w", err)
	}
	ended, err := s.Store.DeleteUserSessions(ctx, sess.UserID, sess.TokenHash)
	if err != nil {
		return fmt.Errorf("login: end other sessions: %w", err)
	}
	sess.User.Phone = next
	s.Audit(ctx, "phone.changed", "success", sess.UserID, sess.UserID, c,
		fmt.Sprintf("%s to %s; %d other sessions ended", phone.Mask(old), phone.Mask(next), ended))
	s.notify(ctx, sess.User, s.phoneChangedEmail(sess.User, phone.Mask(old), phone.Mask(next)))
	return nil
}

// CancelPhoneChange forgets a number that was never confirmed.
func (s *Service) CancelPhoneChange(ctx context.Context, sess *Session) error {
	if sess.PendingPhone == "" {
		return nil
	}
	sess.PendingPhone = ""
	if err := s.Store.UpdateSession(ctx, sess.Session); err != nil {
		return fmt.Errorf("login: cancel phone change: %w", err)
	}
	return nil
}
