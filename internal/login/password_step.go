package login

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store"
)

var errInvalidCredentials = &Error{
	Kind:    KindInvalidCredentials,
	Message: "The email or password is not right. Check both and try again.",
}

// Login checks email and password. On success it returns a new session
// whose Stage says what comes next: StageFull (MFA not required),
// StageRegisterPhone (MFA required, no phone yet) or StageCode, in which
// case a code has been sent by SMS; codeErr then says if sending failed,
// so the code screen can offer the alternatives.
//
// Unknown emails and wrong passwords get the same answer and cost the same
// time.
func (s *Service) Login(ctx context.Context, email, pw string, c Client) (sess *Session, codeErr error, err error) {
	email = NormalizeEmail(email)
	// A slot for the password hash first, so that a try turned away as
	// busy is not counted against the account.
	slot, err := s.passwordSlot(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer slot.Release()
	now := s.Clock.Now()

	try, err := s.countPasswordTry(ctx, email, c, now)
	var throttledErr *Error
	if errors.As(err, &throttledErr) {
		s.Metrics.LoginStep("password", "throttled")
		s.Audit(ctx, "login.password", "throttled", 0, 0, c, try.lockedBy)
	}
	if err != nil {
		return nil, nil, err
	}

	u, err := s.checkCredentials(ctx, slot, email, pw, c, try)
	if err != nil {
		return nil, nil, err
	}
	stage, err := s.stageAfterPassword(ctx, u, now)
	if err != nil {
		return nil, nil, err
	}
	sess, err = s.startLogin(ctx, u, stage, c, try, now)
	if err != nil {
		return nil, nil, err
	}
	s.Metrics.LoginStep("password", "success")

	if stage == store.StageCode {
		_, codeErr = s.SendLoginCode(ctx, sess, store.ChannelSMS, c)
		var pe *Error
		if codeErr != nil && !errors.As(codeErr, &pe) {
			return nil, nil, codeErr
		}
	}
	return sess, codeErr, nil
}

// checkCredentials returns the active account of email if pw is its
// password, errInvalidCredentials (the failure counted and audited) if
// either is wrong, and says so when the account is deactivated. slot is
// released once the password is hashed.
func (s *Service) checkCredentials(ctx context.Context, slot *password.Slot, email, pw string, c Client, try passwordTry) (*store.User, error) {
	u, err := s.Store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := slot.DummyVerify(pw); err != nil {
			return nil, fmt.Errorf("login: dummy password check: %w", err)
		}
		slot.Release() // as after a real check, below
		s.passwordFailed(ctx, nil, c, "unknown email", try)
		return nil, errInvalidCredentials
	case err != nil:
		return nil, fmt.Errorf("login: look up user: %w", err)
	}

	ok, err := s.checkPassword(ctx, slot, u, pw)
	// The slot bounds the hashing; the writes that follow wait on the
	// database (a commit each on PostgreSQL) and must not keep the next
	// login from hashing meanwhile.
	slot.Release()
	if err != nil {
		return nil, err
	}
	if !ok {
		s.passwordFailed(ctx, u, c, "wrong password", try)
		return nil, errInvalidCredentials
	}
	if u.Deactivated {
		// Only someone who knows the password learns the account is off.
		if err := s.Store.ClearThrottle(ctx, try.key); err != nil {
			return nil, fmt.Errorf("login: clear throttle: %w", err)
		}
		s.Audit(ctx, "login.password", "deactivated", u.ID, u.ID, c, "")
		return nil, &Error{Kind: KindNotAllowed, Message: "This account has been deactivated. Contact your system administrator."}
	}
	return u, nil
}

// stageAfterPassword is the step that follows u's right password: a code
// when MFA applies and the account has a phone, the phone's registration
// when it has none, else none (StageFull).
func (s *Service) stageAfterPassword(ctx context.Context, u *store.User, now time.Time) (store.Stage, error) {
	required, err := s.PortalRequiresMFA(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case !MFARequired(u, required, now):
		return store.StageFull, nil
	case u.Phone == "":
		return store.StageRegisterPhone, nil
	default:
		return store.StageCode, nil
	}
}

// startLogin writes the new session of u at stage, and with it the login
// itself when no code is needed (StageFull).
func (s *Service) startLogin(ctx context.Context, u *store.User, stage store.Stage, c Client, try passwordTry, now time.Time) (*Session, error) {
	sess, err := s.newSession(u, stage, c)
	if err != nil {
		return nil, err
	}
	// The throttle cleared (the one the try was counted under: a known
	// device's right password leaves the account's count to the others
	// who caused it), the session and the audit record are written
	// together, and with them the login when no code is needed.
	start := store.LoginStart{
		ClearThrottle: try.key,
		Session:       sess.Session,
		Audit:         []*store.AuditEvent{s.auditEvent("login.password", "success", u.ID, u.ID, c, string(stage)+try.detail())},
	}
	if stage == store.StageFull {
		if sess.Device, err = s.newDeviceToken(u.ID); err != nil {
			return nil, err
		}
		sess.AuthenticatedAt = now
		start.LoginAt = now
		start.Audit = append(start.Audit, s.auditEvent("login", "success", u.ID, u.ID, c, "MFA not required"))
	}
	if err := s.Store.StartLogin(ctx, start); err != nil {
		return nil, fmt.Errorf("login: start login: %w", err)
	}
	return sess, nil
}

// passwordSlot waits for a hashing slot for a password step (login,
// re-authentication); errBusy, counted, when none came free.
func (s *Service) passwordSlot(ctx context.Context) (*password.Slot, error) {
	slot, err := s.Passwords.Acquire(ctx)
	if errors.Is(err, password.ErrBusy) {
		s.Metrics.LoginStep("password", "busy")
	}
	if err != nil {
		return nil, hashFailed(err, "wait for a hashing slot")
	}
	return slot, nil
}

// checkPassword verifies pw against the account's hash, with slot. An
// account that has not set a password yet (invited) matches nothing, in
// the same time.
func (s *Service) checkPassword(ctx context.Context, slot *password.Slot, u *store.User, pw string) (bool, error) {
	if u.PasswordHash == "" {
		if err := slot.DummyVerify(pw); err != nil {
			return false, fmt.Errorf("login: dummy password check: %w", err)
		}
		return false, nil
	}
	ok, rehash, err := slot.Verify(pw, u.PasswordHash)
	if err != nil {
		// A hash that does not parse is a damaged row, not a wrong password.
		return false, fmt.Errorf("login: verify password of user %d: %w", u.ID, err)
	}
	if ok && rehash {
		// A hash made with weaker parameters than today's: replace it while
		// the password is at hand. A failure only postpones it.
		if hash, err := slot.Hash(pw); err != nil {
			s.log().Error("rehash password", "user", u.ID, "err", err)
		} else if err := s.Store.SetPassword(ctx, u.ID, hash); err != nil {
			s.log().Error("store rehashed password", "user", u.ID, "err", err)
		} else {
			u.PasswordHash = hash
			s.Audit(ctx, "password.rehashed", "success", u.ID, u.ID, Client{}, "stronger parameters")
		}
	}
	return ok, nil
}

// passwordTry is a try of a password, counted before the password is
// checked (countPasswordTry).
type passwordTry struct {
	key    string // the counter it was counted under, which a right password clears
	device bool   // the counter of the browser's device token, not the account's
	t      store.Throttle
	// lockedBy names the lock that refused the try ("client IP",
	// "account"), for the audit log; empty when it was counted.
	lockedBy string
}

// detail is what the audit log adds about the try.
func (p passwordTry) detail() string {
	if p.device {
		return " (known device)"
	}
	return ""
}

// countPasswordTry counts a try of the account's password as a failure
// before the password is checked, unless the account is locked. The check
// of the lock and the count are one step in the database, so that of many
// tries at once, on any number of instances, no more get through than one
// after the other would: the rest find the lock that the last one let
// through set. A right password then clears the count (ClearThrottle).
//
// A browser with a valid device token of the account (knownDevice) is
// counted against the token's own budget instead, in the same way, and is
// not held by the account's lock; once the budget is spent the token is
// void and the browser is counted against the account like any other.
//
// A browser without one is first held by its client address's lock
// (counted after the password: the counter is shared by everyone behind
// one address, so counting right passwords there first would need taking
// them back). A valid token is not held by that lock either: others on the
// owner's address (an office, a NAT, a proxy not listed as trusted) could
// otherwise keep the owner out in turns as well as the account's lock
// could, and the token's own budget bounds its tries.
func (s *Service) countPasswordTry(ctx context.Context, email string, c Client, now time.Time) (passwordTry, error) {
	device, err := s.knownDevice(ctx, c, email, now)
	if err != nil {
		return passwordTry{}, err
	}
	if device != "" {
		t, ok, err := s.Store.AddThrottleFailureUnlessLocked(ctx, deviceKey(device), now, now.Add(-s.Rules.DeviceTokenTTL), func(n int) time.Time {
			return lockUntil(now, s.Rules.deviceLock(n))
		})
		if err != nil {
			return passwordTry{}, fmt.Errorf("login: count password try: %w", err)
		}
		if ok {
			return passwordTry{key: deviceKey(device), device: true, t: t}, nil
		}
		// The token's budget is spent: it is void.
	}
	if err := s.checkThrottle(ctx, ipKey(c.IP), now); err != nil {
		return passwordTry{lockedBy: "client IP"}, err
	}
	key := accountKey(email)
	t, ok, err := s.Store.AddThrottleFailureUnlessLocked(ctx, key, now, now.Add(-s.Rules.PasswordWindow), func(n int) time.Time {
		return lockUntil(now, s.Rules.accountPasswordLock(n))
	})
	if err != nil {
		return passwordTry{}, fmt.Errorf("login: count password try: %w", err)
	}
	if !ok {
		return passwordTry{lockedBy: "account"}, throttled(t.LockedUntil.Sub(now))
	}
	return passwordTry{key: key, t: t}, nil
}

// passwordFailed records a wrong password, already counted as try
// (countPasswordTry): it counts it against the IP and audits it.
func (s *Service) passwordFailed(ctx context.Context, u *store.User, c Client, why string, try passwordTry) {
	t := try.t
	now := s.Clock.Now()
	windowStart := now.Add(-s.Rules.PasswordWindow)
	var subject int64
	if u != nil {
		subject = u.ID
	}
	ip, err := s.Store.AddThrottleFailure(ctx, ipKey(c.IP), now, windowStart, func(n int) time.Time {
		return lockUntil(now, s.Rules.ipPasswordLock(n))
	})
	if err != nil {
		s.log().Error("count password failure", "err", err)
	}
	s.Metrics.LoginStep("password", "failure")
	// A locked key refuses tries before they are counted, so each failure
	// that leaves a lock has just set it.
	scope := "account"
	if try.device {
		scope = "device"
	}
	if t.LockedUntil.After(now) {
		s.Metrics.Lockout("password", scope)
	}
	if ip.LockedUntil.After(now) {
		s.Metrics.Lockout("password", "ip")
	}
	s.Audit(ctx, "login.password", "failure", subject, subject, c, why+try.detail())
	switch {
	case try.device && t.Failures == s.Rules.DeviceTokenTries:
		s.Audit(ctx, "login.device_void", "password", 0, subject, c, fmt.Sprintf("%d wrong passwords from this browser: its device cookie no longer counts", t.Failures))
	case !try.device && t.Failures == s.Rules.PasswordLockAccount && u != nil:
		s.Audit(ctx, "account.locked", "password", 0, u.ID, c, fmt.Sprintf("%d wrong passwords", t.Failures))
	}
}
