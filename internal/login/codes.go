package login

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/otp"
	"github.com/providerportal/portal/internal/phone"
	"github.com/providerportal/portal/internal/store"
)

// CodeStatus is what the code screen shows about the current code.
type CodeStatus struct {
	Sent        bool // a code is on its way or out (not: sending failed)
	Undelivered bool // the newest code could not be sent
	// Delivery is the message's progress: queued, sending, sent,
	// delivered, failed or expired.
	Delivery    store.MessageStatus
	Channel     store.Channel
	Destination string    // masked: "•••• 3456" or "j•••@example.org"
	SentAt      time.Time // when the code was issued
	ResendAt    time.Time // when "Send a new code" works again on this channel
	ExpiresAt   time.Time
	Remaining   int // tries left
}

// CodeStatus describes the newest code of the session for purpose.
func (s *Service) CodeStatus(ctx context.Context, sess *Session, purpose store.Purpose) (CodeStatus, error) {
	ch, err := s.Store.LatestChallenge(ctx, sess.UserID, sess.AttemptID, purpose)
	if errors.Is(err, store.ErrNotFound) {
		return CodeStatus{}, nil
	}
	if err != nil {
		return CodeStatus{}, fmt.Errorf("login: latest code: %w", err)
	}
	st := CodeStatus{
		Sent:        ch.UndeliveredAt.IsZero(),
		Undelivered: !ch.UndeliveredAt.IsZero(),
		Channel:     ch.Channel,
		Destination: maskDestination(ch.Channel, ch.Destination),
		SentAt:      ch.CreatedAt,
		ResendAt:    ch.CreatedAt.Add(s.Rules.ResendCooldown),
		ExpiresAt:   ch.ExpiresAt,
		Remaining:   max(0, s.Rules.MaxCodeTries-ch.Failures),
	}
	m, err := s.Store.MessageForChallenge(ctx, ch.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return CodeStatus{}, fmt.Errorf("login: code message: %w", err)
	default:
		st.Delivery = m.Status
		if m.Status == store.MessageFailed || m.Status == store.MessageExpired {
			st.Sent, st.Undelivered = false, true
		}
	}
	return st, nil
}

func maskDestination(ch store.Channel, dest string) string {
	if ch == store.ChannelEmail {
		return MaskEmail(dest)
	}
	return phone.Mask(dest)
}

// SendLoginCode sends a login code by SMS to the account's phone or, as the
// fallback, by email to the account's address.
func (s *Service) SendLoginCode(ctx context.Context, sess *Session, ch store.Channel, c Client) (*store.Challenge, error) {
	if sess.Stage != store.StageCode {
		return nil, fmt.Errorf("login: send login code in stage %q", sess.Stage)
	}
	dest := sess.User.Phone
	if ch == store.ChannelEmail {
		if !s.Rules.EmailFallback {
			return nil, &Error{Kind: KindNotAllowed, Message: "Codes by email are turned off for this portal. Contact your system administrator if you cannot receive text messages."}
		}
		dest = sess.User.Email
	}
	chal, err := s.issueCode(ctx, sess, store.PurposeLogin, ch, dest, c)
	if le := (*Error)(nil); errors.As(err, &le) && le.Kind == KindTooManyCodes {
		// No new code: the newest one the person received may still do.
		if carried, cerr := s.carryOverCode(ctx, sess, c); cerr != nil {
			return nil, cerr
		} else if carried != nil {
			return carried, err
		}
	}
	return chal, err
}

// carryOverCode lets a login that could not get a new code use the code
// that the account's previous login got, when that one still works. A
// person with poor signal who logs in again and again spends the budget of
// codes, and the codes arrive late: the newest of them must still let them
// in. The code stays bound to its attempt, account, purpose, destination,
// expiry and tries: the new login takes the attempt over, and the login it
// was sent for ends (TakeOverChallenge), so one login holds it at a time.
// It is nil when there is nothing to carry over: this login has a working
// code of its own, or the newest login code of the account is used, void,
// expired, undelivered, or went to a phone or address that is no longer
// the account's.
func (s *Service) carryOverCode(ctx context.Context, sess *Session, c Client) (*store.Challenge, error) {
	now := s.Clock.Now()
	switch own, err := s.Store.LatestChallenge(ctx, sess.UserID, sess.AttemptID, store.PurposeLogin); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("login: latest code: %w", err)
	case own.Active(now):
		return nil, nil
	}
	ch, err := s.Store.NewestChallenge(ctx, sess.UserID, store.PurposeLogin)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("login: newest code: %w", err)
	}
	dest := sess.User.Phone
	if ch.Channel == store.ChannelEmail {
		dest = sess.User.Email
		if !s.Rules.EmailFallback {
			return nil, nil
		}
	}
	if ch.AttemptID == sess.AttemptID || !ch.Active(now) || ch.Failures >= s.Rules.MaxCodeTries ||
		!ch.UndeliveredAt.IsZero() || ch.Destination != dest {
		return nil, nil
	}
	switch m, err := s.Store.MessageForChallenge(ctx, ch.ID); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("login: code message: %w", err)
	case m.Status == store.MessageFailed || m.Status == store.MessageExpired:
		return nil, nil
	}
	err = s.Store.TakeOverChallenge(ctx, store.ChallengeTakeOver{ChallengeID: ch.ID, Session: sess.TokenHash, At: now,
		Audit: []*store.AuditEvent{s.auditEvent("code.carried_over", "success", sess.UserID, sess.UserID, c,
			fmt.Sprintf("login %s to %s, sent %s", ch.Channel, maskDestination(ch.Channel, ch.Destination), ch.CreatedAt.Format(time.RFC3339)))}})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // used, voided or taken over meanwhile
	}
	if err != nil {
		return nil, fmt.Errorf("login: carry code over: %w", err)
	}
	sess.AttemptID = ch.AttemptID
	return ch, nil
}

// issueCode checks the sending rules, stores a new code (voiding the
// previous one of the same purpose) and sends it.
func (s *Service) issueCode(ctx context.Context, sess *Session, purpose store.Purpose, ch store.Channel, dest string, c Client) (*store.Challenge, error) {
	o := codeOrder{sess: sess, purpose: purpose, ch: ch, dest: dest, c: c, now: s.Clock.Now()}
	budgets, err := s.checkSendingRules(ctx, o)
	if err != nil {
		return nil, err
	}
	chal, err := s.queueCode(ctx, o, budgets)
	if err != nil {
		return nil, err
	}
	s.Metrics.CodeIssued(string(purpose), string(ch), country(ch, dest))
	s.Dispatch.Kick(ctx)

	// Where the message went out at once (a dispatcher that sends inline:
	// commands and tests), a refusal is known now. A background dispatcher
	// has not tried yet, so there is nothing to read.
	if !s.Dispatch.SendsInline() {
		return chal, nil
	}
	if sent, err := s.Store.MessageForChallenge(ctx, chal.ID); err == nil && sent.Status == store.MessageFailed {
		chal.UndeliveredAt = o.now
		return chal, s.deliveryFailed(ch, purpose, fmt.Errorf("%s: %w", sent.LastError, delivery.ErrPermanent))
	}
	return chal, nil
}

// codeOrder is one code to issue: the session it is for, its purpose, the
// channel and destination it goes to, who asked and when.
type codeOrder struct {
	sess    *Session
	purpose store.Purpose
	ch      store.Channel
	dest    string
	c       Client
	now     time.Time
}

// checkSendingRules refuses a code that the rules do not allow now: the
// code step locked, the attempt's code used up or resent too soon, the
// account's or the destination's budget spent, a number the rules refuse.
// It returns the SMS budgets the message is charged to.
func (s *Service) checkSendingRules(ctx context.Context, o codeOrder) ([]store.Budget, error) {
	u, now := o.sess.User, o.now
	if err := s.checkCodeLock(u, now); err != nil {
		return nil, err
	}

	prev, err := s.Store.LatestChallenge(ctx, u.ID, o.sess.AttemptID, o.purpose)
	switch {
	case errors.Is(err, store.ErrNotFound):
		prev = nil
	case err != nil:
		return nil, fmt.Errorf("login: latest code: %w", err)
	}
	if prev != nil {
		if prev.Failures >= s.Rules.MaxCodeTries {
			return nil, errCodeExhausted
		}
		if err := s.checkResendCooldown(prev, o.ch, o.dest, now); err != nil {
			return nil, err
		}
	}
	if err := s.checkAccountBudget(ctx, u, now, o.c); err != nil {
		return nil, err
	}
	if err := s.checkDestinationBudget(ctx, u, o.purpose, o.dest, now, o.c); err != nil {
		return nil, err
	}

	if o.ch != store.ChannelSMS {
		return nil, nil
	}
	// Checked again at each code: the rules may have changed since the
	// number was accepted.
	if err := s.Rules.AllowedDestination(o.dest); err != nil {
		s.destinationRefused(ctx, u.ID, o.c, err)
		return nil, err
	}
	return s.smsBudgets(o.dest, o.c), nil
}

// queueCode stores a new code and queues the message carrying it, charged
// to budgets; a spent budget refuses it.
func (s *Service) queueCode(ctx context.Context, o codeOrder, budgets []store.Budget) (*store.Challenge, error) {
	u, purpose, ch, dest, c, now := o.sess.User, o.purpose, o.ch, o.dest, o.c, o.now
	code, err := otp.Generate(s.rand())
	if err != nil {
		return nil, err
	}
	chal := &store.Challenge{
		UserID:      u.ID,
		AttemptID:   o.sess.AttemptID,
		Purpose:     purpose,
		Channel:     ch,
		Destination: dest,
		CodeHash:    otp.Hash(s.CodeKey, binding(u.ID, purpose, dest, o.sess.AttemptID), code),
		CreatedAt:   now,
		ExpiresAt:   now.Add(s.Rules.CodeTTL),
		IP:          c.IP,
	}
	content := s.codeSMS(code)
	if ch == store.ChannelEmail {
		content = s.codeEmail(code)
	}
	m := &store.Message{
		UserID: u.ID, Channel: ch, To: dest, IP: c.IP,
		CreatedAt: now, ExpiresAt: chal.ExpiresAt,
	}
	// The code, the message carrying it and their audit record are stored
	// together; the dispatcher sends it, so a slow provider never holds
	// this request.
	masked := maskDestination(ch, dest)
	sent := s.auditEvent("code.sent", "queued", u.ID, u.ID, c, fmt.Sprintf("%s %s to %s", purpose, ch, masked))
	var be *store.BudgetError
	if err := s.Dispatch.QueueCode(ctx, store.CodeIssue{Challenge: chal, Message: m, Budgets: budgets, Audit: sent}, content); errors.As(err, &be) {
		s.Metrics.BudgetRefused(be.Budget)
		s.Audit(ctx, "code.sent", "limited", u.ID, u.ID, c, "hourly SMS budget of the "+be.Budget)
		s.log().Warn("SMS budget exhausted", "budget", be.Budget)
		return nil, s.smsLimited()
	} else if err != nil {
		return nil, fmt.Errorf("login: store code: %w", err)
	}
	return chal, nil
}

// toNewNumber are the purposes whose codes go to a number the account has
// yet to prove (a phone registration or change), any number a person
// types; the others go to the account's own verified number or address.
var toNewNumber = []store.Purpose{store.PurposeRegisterPhone, store.PurposeChangePhone}

// MessageFinal is told by the dispatcher when a message will not be sent
// (again): a code that could not be delivered is marked so, which the code
// screen shows, and the outcome is audited.
func (s *Service) MessageFinal(ctx context.Context, m *store.Message) {
	s.Metrics.MessageFinal(string(m.Channel), string(m.Status), m.Provider)
	if m.ChallengeID == 0 {
		if m.Status == store.MessageFailed || m.Status == store.MessageExpired {
			s.log().Warn("notice not delivered", "message", m.ID, "status", m.Status, "err", m.LastError)
		}
		return
	}
	detail := fmt.Sprintf("%s to %s by %s", m.Channel, maskDestination(m.Channel, m.To), orNone(m.Provider))
	switch m.Status {
	case store.MessageFailed, store.MessageExpired:
		if err := s.Store.MarkChallengeUndelivered(ctx, m.ChallengeID, s.Clock.Now()); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log().Error("mark code undelivered", "challenge", m.ChallengeID, "err", err)
		}
		s.Audit(ctx, "code.delivery", string(m.Status), 0, m.UserID, Client{}, detail+": "+m.LastError)
	default:
		s.Audit(ctx, "code.delivery", string(m.Status), 0, m.UserID, Client{}, detail)
	}
}

// country is the metrics' country of a code's destination: the ISO region
// of a phone number, "none" for email.
func country(ch store.Channel, dest string) string {
	if ch == store.ChannelEmail {
		return "none"
	}
	return phone.Region(dest)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func binding(userID int64, p store.Purpose, dest, attempt string) otp.Binding {
	return otp.Binding{UserID: userID, Purpose: string(p), Destination: dest, AttemptID: attempt}
}

// deliveryFailed explains a failed send. It points to the email fallback
// only where the person can use it: on the login code screen, when the
// operator has not turned it off.
func (s *Service) deliveryFailed(ch store.Channel, purpose store.Purpose, err error) error {
	fallback := ""
	if purpose == store.PurposeLogin && s.Rules.EmailFallback {
		fallback = ", or use \u201cSend code to email\u201d"
	}
	switch {
	case ch == store.ChannelEmail:
		return &Error{Kind: KindDeliveryFailed, Err: err,
			Message: "We could not send the email just now. Try again in a moment."}
	case errors.Is(err, delivery.ErrPermanent):
		msg := "The code could not be sent: this phone number could not receive our text message. Check that it is a mobile number in international format" + fallback + "."
		if purpose == store.PurposeLogin {
			msg = "The code could not be sent: your phone number could not receive our text message" + fallback + ". If this keeps happening, ask your administrator to check your number."
		}
		return &Error{Kind: KindUndeliverable, Err: err, Message: msg}
	}
	return &Error{Kind: KindDeliveryFailed, Err: err,
		Message: "We could not send the text message just now. Try again in a moment" + fallback + "."}
}

var errCodeExhausted = &Error{
	Kind:    KindCodeExhausted,
	Message: "The code was entered wrongly too many times, so it no longer works. Log in again to get a new code.",
}

// verifyCode checks input against the newest code of the session for
// purpose and, if it is right, consumes it and audits that. Exactly one of
// several concurrent right submissions succeeds. complete, if not nil, does
// the consuming instead, with what follows from it, in one transaction: it
// gets the code, the time of the check and the audit event of its success,
// and must fail, with errCodeUsed, when the code was consumed meanwhile.
func (s *Service) verifyCode(ctx context.Context, sess *Session, purpose store.Purpose, input string, c Client,
	complete func(ch *store.Challenge, now time.Time, verified *store.AuditEvent) error) (*store.Challenge, error) {
	code, err := otp.Parse(input)
	if err != nil {
		// A typo in the format is not a guess; it costs no try.
		return nil, &Error{Kind: KindCodeFormat, Message: "Enter the 6-digit code from the message, digits only."}
	}
	now := s.Clock.Now()
	u := sess.User
	if err := s.checkCodeLock(u, now); err != nil {
		return nil, err
	}
	ch, err := s.Store.LatestChallenge(ctx, u.ID, sess.AttemptID, purpose)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: KindNoCode, Message: "No code has been sent yet. Ask for a code first."}
	}
	if err != nil {
		return nil, fmt.Errorf("login: latest code: %w", err)
	}
	switch {
	case !ch.ConsumedAt.IsZero():
		return nil, errCodeUsed
	case !ch.VoidedAt.IsZero() || ch.Failures >= s.Rules.MaxCodeTries:
		return nil, errCodeExhausted
	case !now.Before(ch.ExpiresAt):
		return nil, s.codeExpired(ctx, ch, c)
	}

	if !otp.Matches(s.CodeKey, binding(u.ID, purpose, ch.Destination, sess.AttemptID), code, ch.CodeHash) {
		return nil, s.wrongCode(ctx, u, purpose, ch, c, now)
	}
	verified := s.auditEvent("code.verify", "success", u.ID, u.ID, c, fmt.Sprintf("%s %s", purpose, ch.Channel))
	if complete == nil {
		complete = s.consumeCode(ctx)
	}
	if err := complete(ch, now, verified); err != nil {
		return nil, err
	}
	s.Metrics.LoginStep("code", "success")
	s.Metrics.CodeChecked(string(purpose), string(ch.Channel), country(ch.Channel, ch.Destination), "verified")
	return ch, nil
}

// consumeCode is verifyCode's completion when nothing else follows from a
// right code: the code consumed, its audit record written.
func (s *Service) consumeCode(ctx context.Context) func(ch *store.Challenge, now time.Time, verified *store.AuditEvent) error {
	return func(ch *store.Challenge, now time.Time, verified *store.AuditEvent) error {
		ok, err := s.Store.ConsumeChallenge(ctx, ch.ID, now)
		if err != nil {
			return fmt.Errorf("login: consume code: %w", err)
		}
		if !ok {
			return errCodeUsed
		}
		s.appendAudit(ctx, verified)
		return nil
	}
}

// wrongCode counts a wrong code for purpose against ch and the account u, locks the
// code step at the account's CodeLockAfter-th in a row, and says how many
// tries are left.
func (s *Service) wrongCode(ctx context.Context, u *store.User, purpose store.Purpose, ch *store.Challenge, c Client, now time.Time) error {
	// The code's try and the account's count are one step in the store: a
	// guess at a code that another request used, voided or saw expire
	// meanwhile is no guess, so one code adds at most its own tries to the
	// account's count however many guesses arrive at once.
	wrong, err := s.Store.CountWrongCode(ctx, store.WrongCode{
		ChallengeID: ch.ID, MaxTries: s.Rules.MaxCodeTries, At: now,
		Lock: func(n int) time.Time { return lockUntil(now, s.Rules.codeLock(n)) },
	})
	if err != nil {
		return fmt.Errorf("login: count wrong code: %w", err)
	}
	switch {
	case wrong.Counted:
	case wrong.Used:
		return errCodeUsed
	case wrong.Voided:
		return errCodeExhausted
	default:
		return s.codeExpired(ctx, ch, c)
	}
	inARow := wrong.InARow
	s.Metrics.LoginStep("code", "failure")
	s.Metrics.CodeChecked(string(purpose), string(ch.Channel), country(ch.Channel, ch.Destination), "wrong")
	s.Audit(ctx, "code.verify", "failure", u.ID, u.ID, c, fmt.Sprintf("%s %s, %d in a row", purpose, ch.Channel, inARow))
	if inARow >= s.Rules.CodeLockAfter {
		s.Metrics.LoginStep("code", "locked")
		s.Metrics.Lockout("code", "account")
		s.Audit(ctx, "account.locked", "codes", 0, u.ID, c, fmt.Sprintf("%d wrong codes in a row", inARow))
		u.CodeLockedUntil = wrong.LockedUntil
		return s.checkCodeLock(u, now)
	}
	if wrong.Voided {
		return errCodeExhausted
	}
	left := s.Rules.MaxCodeTries - wrong.Failures
	return &Error{Kind: KindWrongCode, Remaining: left,
		Message: fmt.Sprintf("That code is not right. Check the message and try again (%s left).", plural(left, "try"))}
}

// codeExpired audits a try at an expired code and says so.
func (s *Service) codeExpired(ctx context.Context, ch *store.Challenge, c Client) error {
	s.Metrics.CodeChecked(string(ch.Purpose), string(ch.Channel), country(ch.Channel, ch.Destination), "expired")
	s.Audit(ctx, "code.verify", "expired", ch.UserID, ch.UserID, c, string(ch.Channel))
	return &Error{Kind: KindCodeExpired, Message: "This code has expired. Send a new code and enter that one."}
}

var errCodeUsed = &Error{
	Kind:    KindCodeUsed,
	Message: "This code has already been used. Send a new code and enter that one.",
}

// VerifyLoginCode completes a login with the code sent for it. On success
// the session is replaced by a new, fully logged-in one.
func (s *Service) VerifyLoginCode(ctx context.Context, sess *Session, input string, c Client) (*Session, error) {
	if sess.Stage != store.StageCode {
		return nil, fmt.Errorf("login: verify login code in stage %q", sess.Stage)
	}
	var full *Session
	// The code, the new session, the login and their audit rows are
	// written in one transaction: a login happens whole or not at all, and
	// costs one commit.
	complete := func(ch *store.Challenge, now time.Time, verified *store.AuditEvent) error {
		next, err := s.nextSession(sess, store.StageFull, false, true, c)
		if err != nil {
			return err
		}
		if next.Device, err = s.newDeviceToken(sess.UserID); err != nil {
			return err
		}
		events := []*store.AuditEvent{verified,
			s.auditEvent("login", "success", sess.UserID, sess.UserID, c, "code by "+string(ch.Channel))}
		if ch.Channel == store.ChannelEmail {
			events = append(events, s.auditEvent("login.email_fallback", "success", sess.UserID, sess.UserID, c, MaskEmail(ch.Destination)))
		}
		err = s.Store.CompleteLogin(ctx, store.LoginCompletion{
			ChallengeID: ch.ID, At: now, OldSession: sess.TokenHash, Session: next.Session, Audit: events})
		if errors.Is(err, store.ErrNotFound) {
			return errCodeUsed
		}
		if err != nil {
			return fmt.Errorf("login: complete login: %w", err)
		}
		full = next
		return nil
	}
	if _, err := s.verifyCode(ctx, sess, store.PurposeLogin, input, c, complete); err != nil {
		return nil, err
	}
	return full, nil
}

// nextSession is the session that replaces sess at a step up (stepUp),
// not yet stored.
func (s *Service) nextSession(sess *Session, stage store.Stage, keepCreated, provedCode bool, c Client) (*Session, error) {
	next, err := s.newSession(sess.User, stage, c)
	if err != nil {
		return nil, err
	}
	next.AttemptID = sess.AttemptID
	next.PendingPhone = sess.PendingPhone
	if sess.Stage == store.StageFull {
		// Typing the password again or a step up is not a new login:
		// the login before this one stays the one shown.
		next.PreviousLoginAt = sess.PreviousLoginAt
	}
	next.MFA = sess.MFA || provedCode
	// Every step up proves the password; the code's time moves only when
	// a code was proven, so a password typed again never freshens it.
	now := s.Clock.Now()
	next.AuthenticatedAt, next.CodeAt = now, sess.CodeAt
	if provedCode {
		next.CodeAt = now
	}
	if keepCreated {
		next.CreatedAt = sess.CreatedAt
	}
	return next, nil
}

// stepUp replaces sess by a session with a new token at stage; the old token
// stops working at once. Of two concurrent step-ups of one session, one
// fails. keepCreated keeps the absolute timeout running from the original
// login (re-authentication) rather than from now (a completed login);
// provedCode says a one-time code was just proven, otherwise the session
// keeps what it had.
func (s *Service) stepUp(ctx context.Context, sess *Session, stage store.Stage, keepCreated, provedCode bool, c Client) (*Session, error) {
	next, err := s.nextSession(sess, stage, keepCreated, provedCode, c)
	if err != nil {
		return nil, err
	}
	if err := s.Store.ReplaceSession(ctx, sess.TokenHash, next.Session); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, errCodeUsed
		}
		return nil, fmt.Errorf("login: replace session: %w", err)
	}
	return next, nil
}
