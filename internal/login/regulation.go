package login

// Throttling, gathered in one place as Authelia's regulation package
// gathers it: every counter of failures and every budget of codes the
// login keeps, the keys they are kept under, the locks they set (one
// backoff, delivery.Backoff, from the numbers in Rules) and the refusals
// they give. The counts themselves are kept in the store (store.Throttles
// for wrong passwords, the account's CodeLockedUntil for wrong codes, the
// codes themselves for the budgets of codes), where they hold across
// instances; the steps (password_step.go, codes.go) call what is here.
//
//   - wrong passwords: per account (backoff, then a lock an administrator
//     can lift), per client address (backoff), per device token (a budget
//     that voids the token): the keys, accountPasswordLock, ipPasswordLock,
//     deviceLock, checkThrottle, lockUntil;
//   - wrong codes: per account, a lock that grows (codeLock, checkCodeLock);
//   - codes sent: the resend cooldown per channel and destination
//     (checkResendCooldown), the account's budget (checkAccountBudget,
//     NextCodeAt), the destination's (checkDestinationBudget) and the
//     hourly SMS budgets against pumping (smsBudgets, smsLimited).

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/phone"
	"github.com/providerportal/portal/internal/store"
)

// Throttle keys. The account key is the normalised email, not the user ID,
// so that an address with no account is throttled exactly like one with an
// account and the answers cannot tell them apart.
func accountKey(email string) string { return "password:account:" + email }

// AccountThrottleKey is the key of an account's wrong-password counter, for
// an administrator who lifts a lock.
func AccountThrottleKey(email string) string { return accountKey(NormalizeEmail(email)) }

func ipKey(ip string) string { return "password:ip:" + ip }

// deviceKey is the throttle key of a device token's budget.
func deviceKey(device string) string { return "password:device:" + device }

// checkThrottle refuses while key is locked.
func (s *Service) checkThrottle(ctx context.Context, key string, now time.Time) error {
	t, err := s.Store.Throttle(ctx, key)
	if err != nil {
		return fmt.Errorf("login: read throttle: %w", err)
	}
	if wait := t.LockedUntil.Sub(now); wait > 0 {
		return throttled(wait)
	}
	return nil
}

func throttled(wait time.Duration) error {
	return &Error{
		Kind:       KindThrottled,
		Message:    fmt.Sprintf("Too many attempts. For your security, wait %s and try again, or use \u201cForgot your password?\u201d if you are unsure of it.", waitWords(wait)),
		RetryAfter: wait,
	}
}

func lockUntil(now time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return now.Add(d)
}

// backoff returns how long to wait after the n-th failure: nothing for the
// first free failures, then delivery.Backoff from base, capped at max.
func backoff(n, free int, base, max time.Duration) time.Duration {
	if n <= free {
		return 0
	}
	return delivery.Backoff(n-free, base, max)
}

// codeLock is how long the code step stays locked after the n-th wrong code
// in a row.
func (r Rules) codeLock(n int) time.Duration {
	return backoff(n, r.CodeLockAfter-1, r.CodeLockBase, r.CodeLockMax)
}

// accountPasswordLock is how long an account's password step waits after
// the n-th wrong password in the window: backoff, then a temporary lock
// that an administrator can lift.
func (r Rules) accountPasswordLock(n int) time.Duration {
	if n >= r.PasswordLockAccount {
		return r.PasswordLockDuration
	}
	return backoff(n, r.PasswordFreeAccount, r.PasswordBackoffBase, r.PasswordBackoffMax)
}

// deviceLock is how long a device token's budget stays locked after its
// n-th wrong password: once spent, for as long as any token could be valid,
// so the token is void.
func (r Rules) deviceLock(n int) time.Duration {
	if n >= r.DeviceTokenTries {
		return r.DeviceTokenTTL
	}
	return 0
}

func (r Rules) ipPasswordLock(n int) time.Duration {
	return backoff(n, r.PasswordFreeIP, r.PasswordBackoffBase, r.PasswordBackoffMax)
}

func (s *Service) checkCodeLock(u *store.User, now time.Time) error {
	if wait := u.CodeLockedUntil.Sub(now); wait > 0 {
		return &Error{Kind: KindCodeLocked, RetryAfter: wait,
			Message: fmt.Sprintf("Too many wrong codes have been entered for this account. For your security, try again in %s, or contact your system administrator.", waitWords(wait))}
	}
	return nil
}

// NextCodeAt is when the account's budget of codes lets another one be
// sent to the session's account, on any channel: the zero time if it does
// now. The code screens say it ("You can ask for a new code in 6
// minutes").
func (s *Service) NextCodeAt(ctx context.Context, sess *Session) (time.Time, error) {
	now := s.Clock.Now()
	next, err := s.nextCodeAt(ctx, sess.UserID, now)
	if err != nil || !next.After(now) {
		return time.Time{}, err
	}
	return next, nil
}

// nextCodeAt is when the account's budget (Rules.CodesPerAccount codes in
// any Rules.CodesPerAccountWindow, every channel and purpose together)
// lets another code go: when the oldest of the newest CodesPerAccount codes
// leaves the window. Before now if it lets one go now.
func (s *Service) nextCodeAt(ctx context.Context, userID int64, now time.Time) (time.Time, error) {
	limit, window := s.Rules.CodesPerAccount, s.Rules.CodesPerAccountWindow
	if limit <= 0 {
		return time.Time{}, nil // no budget
	}
	times, err := s.Store.ChallengeTimesForUser(ctx, userID, now.Add(-window), limit)
	if err != nil {
		return time.Time{}, fmt.Errorf("login: count codes: %w", err)
	}
	if len(times) < limit {
		return time.Time{}, nil
	}
	return times[limit-1].Add(window), nil
}

// checkDestinationBudget applies the hourly budget of codes to one
// destination. Codes to an account's own number or address are counted
// for that account and destination, so that other accounts cannot use up
// a person's codes by aiming theirs at the person's number; codes to a
// number not yet proved are counted for the number, whichever account
// asked, so that nobody can bomb a stranger's phone with registrations and
// changes. Neither budget spends the other.
func (s *Service) checkDestinationBudget(ctx context.Context, u *store.User, purpose store.Purpose, dest string, now time.Time, c Client) error {
	since := now.Add(-s.Rules.CodesPerDestinationWindow)
	budget := "destination budget"
	var n int
	var err error
	if slices.Contains(toNewNumber, purpose) {
		n, err = s.Store.CountChallengesToDestination(ctx, dest, toNewNumber, since)
	} else {
		budget = "own destination budget"
		n, err = s.Store.CountChallengesForUserTo(ctx, u.ID, dest, since)
	}
	if err != nil {
		return fmt.Errorf("login: count codes: %w", err)
	}
	if n >= s.Rules.CodesPerDestination {
		s.Audit(ctx, "code.sent", "limited", u.ID, u.ID, c, budget)
		return &Error{Kind: KindTooManyCodes, RetryAfter: s.Rules.CodesPerDestinationWindow,
			Message: "Several codes have been sent there in the last hour. Use the newest one you received, or try again later."}
	}
	return nil
}

// smsBudgets are the limits against SMS pumping (fraudsters making the
// portal text premium or foreign numbers they profit from): hourly budgets
// of text messages per client address, per country calling code and for
// the whole portal. The store checks them in the transaction that writes
// the message, so they hold exactly, across instances.
func (s *Service) smsBudgets(dest string, c Client) []store.Budget {
	since := s.Clock.Now().Add(-time.Hour)
	var budgets []store.Budget
	add := func(name string, limit int, q store.MessageCount) {
		if limit > 0 {
			q.Channel, q.Since = store.ChannelSMS, since
			budgets = append(budgets, store.Budget{Name: name, Limit: limit, Count: q})
		}
	}
	add("whole portal", s.Rules.SMSLimitPerHour, store.MessageCount{})
	if c.IP != "" {
		add("client address", s.Rules.SMSLimitPerIPHour, store.MessageCount{IP: c.IP})
	}
	if cc := phone.CallingCode(dest); cc != "" {
		add("country "+cc, s.Rules.SMSLimitPerCountryHour, store.MessageCount{Prefix: cc})
	}
	return budgets
}

func (s *Service) smsLimited() error {
	msg := "We cannot send more text messages just now. Please try again later."
	if s.Rules.EmailFallback {
		msg = "We cannot send more text messages just now. Use \u201cSend code to email\u201d, or try again later."
	}
	return &Error{Kind: KindTooManyCodes, RetryAfter: time.Hour, Message: msg}
}

// checkResendCooldown refuses a new code on the channel and destination of
// the login's previous code, delivered, until Rules.ResendCooldown has
// passed since it was sent.
func (s *Service) checkResendCooldown(prev *store.Challenge, ch store.Channel, dest string, now time.Time) error {
	if prev.Channel == ch && prev.Destination == dest && prev.UndeliveredAt.IsZero() {
		if wait := prev.CreatedAt.Add(s.Rules.ResendCooldown).Sub(now); wait > 0 {
			return &Error{Kind: KindCooldown, RetryAfter: wait,
				Message: fmt.Sprintf("A code was sent moments ago. You can ask for another in %s.", waitWords(wait))}
		}
	}
	return nil
}

// checkAccountBudget refuses a new code while the account's budget of
// codes (nextCodeAt) does not let one go, and audits the refusal.
func (s *Service) checkAccountBudget(ctx context.Context, u *store.User, now time.Time, c Client) error {
	next, err := s.nextCodeAt(ctx, u.ID, now)
	if err != nil {
		return err
	}
	if wait := next.Sub(now); wait > 0 {
		s.Audit(ctx, "code.sent", "limited", u.ID, u.ID, c, "account budget")
		return &Error{Kind: KindTooManyCodes, RetryAfter: wait,
			Message: fmt.Sprintf("No new code was sent: several codes have been sent in the last %s. You can ask for a new code in %s.",
				waitWords(s.Rules.CodesPerAccountWindow), waitWords(wait))}
	}
	return nil
}
