package login

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	if err := s.registrationOpen(ctx, sess); err != nil {
		return nil, err
	}
	return s.startPhone(ctx, sess, store.PurposeRegisterPhone, raw, c)
}

// errRegisteredMeanwhile ends a registration whose account has a phone by
// now: the session was opened while it had none (a page held open, or
// someone else who knows the password), and only a login with a code to
// that phone may change it now.
var errRegisteredMeanwhile = &Error{Kind: KindChangedMeanwhile,
	Message: "A phone number has been registered for this account since this page was opened, so this login has ended. Log in again: the code will be sent to the registered number. If you did not register it, contact your system administrator."}

// registrationOpen ends a registration session whose account has a phone
// by now.
func (s *Service) registrationOpen(ctx context.Context, sess *Session) error {
	if sess.User.Phone == "" {
		return nil
	}
	return s.endRegistration(ctx, sess)
}

func (s *Service) endRegistration(ctx context.Context, sess *Session) error {
	if err := s.Store.DeleteSession(ctx, sess.TokenHash); err != nil {
		return fmt.Errorf("login: end registration: %w", err)
	}
	return errRegisteredMeanwhile
}

// VerifyPhoneRegistration is "Verify Code" on the first login: the number
// becomes the account's MFA phone, the session and every other session of
// the account end, and the person logs in again, this time with a code to
// the new number. The code, the phone, the sessions, the record and the
// email notice are written together, and the phone only while the account
// has none: a registration never replaces a phone registered since.
func (s *Service) VerifyPhoneRegistration(ctx context.Context, sess *Session, input string, c Client) error {
	if sess.Stage != store.StageRegisterPhone || sess.PendingPhone == "" {
		return fmt.Errorf("login: verify phone registration in stage %q", sess.Stage)
	}
	if err := s.registrationOpen(ctx, sess); err != nil {
		return err
	}
	number, masked := sess.PendingPhone, phone.Mask(sess.PendingPhone)
	none := ""
	complete := func(ch *store.Challenge, now time.Time, verified *store.AuditEvent) error {
		err := s.Commit(ctx, store.AccountChange{
			UserID: sess.UserID, ChallengeID: ch.ID, At: now,
			Session: sess.Session, EndSession: true, EndOthers: true,
			Phone: &number, PhoneWas: &none,
			Record: func(ended int) ([]*store.AuditEvent, []*store.Message, error) {
				notice, err := s.noticeEmail(sess.User, s.phoneRegisteredEmail(sess.User, masked))
				if err != nil {
					return nil, nil, err
				}
				return []*store.AuditEvent{verified, s.auditEvent("phone.registered", "success", sess.UserID, sess.UserID, c,
					fmt.Sprintf("%s; %d other sessions ended", masked, ended))}, []*store.Message{notice}, nil
			},
		})
		switch {
		case errors.Is(err, store.ErrConflict):
			return s.endRegistration(ctx, sess)
		case errors.Is(err, store.ErrNotFound):
			return errCodeUsed
		case err != nil:
			return fmt.Errorf("login: register phone: %w", err)
		}
		return nil
	}
	if _, err := s.verifyCode(ctx, sess, store.PurposeRegisterPhone, input, c, complete); err != nil {
		return err
	}
	return nil
}

// StartPhoneChange is "Update" in the Multi-factor Authentication section
// of My Details: a code goes to the NEW number; the old number stays in
// force until the code is entered.
func (s *Service) StartPhoneChange(ctx context.Context, sess *Session, raw string, c Client) (*store.Challenge, error) {
	if sess.Stage != store.StageFull {
		return nil, fmt.Errorf("login: change phone in stage %q", sess.Stage)
	}
	if !s.Fresh(sess, ProofPassword) {
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
	sess.LastSeenAt = s.Clock.Now()
	if err := s.Store.UpdateSession(ctx, sess.Session); err != nil {
		return nil, fmt.Errorf("login: remember pending phone: %w", err)
	}
	return s.issueCode(ctx, sess, purpose, store.ChannelSMS, number, c)
}

// VerifyPhoneChange confirms the new number with the code sent to it: the
// number changes, the account's email is told, and every other session of
// the account ends, all in one transaction with the code and the record.
// A session that proved no code at login (MFA disabled for a while, the
// recovery an administrator gives) tells the old number by text message
// too, and the record says so.
func (s *Service) VerifyPhoneChange(ctx context.Context, sess *Session, input string, c Client) error {
	if sess.Stage != store.StageFull || sess.PendingPhone == "" {
		return fmt.Errorf("login: verify phone change without a pending number")
	}
	if !s.Fresh(sess, ProofPassword) {
		return errReauthRequired
	}
	old, next := sess.User.Phone, sess.PendingPhone
	oldMasked, nextMasked := phone.Mask(old), phone.Mask(next)
	kept := *sess.Session
	kept.PendingPhone = ""
	complete := func(ch *store.Challenge, now time.Time, verified *store.AuditEvent) error {
		err := s.Commit(ctx, store.AccountChange{
			UserID: sess.UserID, ChallengeID: ch.ID, At: now,
			Session: &kept, EndOthers: true,
			Phone: &next, PhoneWas: &old,
			Record: func(ended int) ([]*store.AuditEvent, []*store.Message, error) {
				detail := oldMasked + " to " + nextMasked
				notice, err := s.noticeEmail(sess.User, s.phoneChangedEmail(sess.User, oldMasked, nextMasked))
				if err != nil {
					return nil, nil, err
				}
				messages := []*store.Message{notice}
				if !sess.MFA && old != "" {
					detail += " without a code"
					sms, err := s.noticeSMS(sess.User, old, s.phoneChangedSMS(oldMasked, nextMasked), c)
					if err != nil {
						return nil, nil, err
					}
					messages = append(messages, sms)
				}
				return []*store.AuditEvent{verified, s.auditEvent("phone.changed", "success", sess.UserID, sess.UserID, c,
					fmt.Sprintf("%s; %d other sessions ended", detail, ended))}, messages, nil
			},
		})
		switch {
		case errors.Is(err, store.ErrConflict):
			return errChangedMeanwhile
		case errors.Is(err, store.ErrNotFound):
			return errCodeUsed
		case err != nil:
			return fmt.Errorf("login: change phone: %w", err)
		}
		return nil
	}
	if _, err := s.verifyCode(ctx, sess, store.PurposeChangePhone, input, c, complete); err != nil {
		return err
	}
	sess.Session.PendingPhone = ""
	sess.User.Phone = next
	return nil
}

var errChangedMeanwhile = &Error{Kind: KindChangedMeanwhile,
	Message: "Your phone number was changed by someone else (perhaps an administrator) while you were confirming, so this change was not made. Check the number in My Details, and contact your system administrator if you did not expect it."}

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
