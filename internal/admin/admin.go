// Package admin holds what administrators may do to other accounts: disable
// MFA for a while, update a phone number, require or exempt MFA, unlock,
// send a password reset, end sessions, deactivate and reactivate, change
// roles, create users, and set the portal-wide MFA policy. Every action is
// authorised here (administrator, fresh login, not against the rules of
// self-protection), takes a reason, is audited, tells the person by email,
// and ends their sessions where it lowers or changes their protection. The
// console (package web) and the operator's commands (cmd/portal) both call
// it, so the rules are the same everywhere.
package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/phone"
	"github.com/providerportal/portal/internal/store"
)

// Limits of a temporary MFA disable.
const (
	MinDisable     = time.Hour
	MaxDisable     = 7 * 24 * time.Hour
	DefaultDisable = 24 * time.Hour
	maxReason      = 500
)

// DisableChoices are the lengths of a temporary MFA disable that the
// console offers, from MinDisable to MaxDisable (DefaultDisable among
// them).
var DisableChoices = []time.Duration{
	time.Hour, 4 * time.Hour, 8 * time.Hour, 24 * time.Hour, 48 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour,
}

// Service carries out administrators' actions.
type Service struct {
	Store Store
	Login *login.Service // audit log, notices, links, MFA policy, clock
}

// Store is what the administration reads and writes of the store itself:
// accounts created and looked up, a lock looked at, the applications.
// Every change of an account goes through Login.Commit. Each method is
// the one of store.Store of the same name, where it is documented.
type Store interface {
	// Accounts.
	CreateUser(ctx context.Context, u *store.User) error
	UserByID(ctx context.Context, id int64) (*store.User, error)

	// Counters of wrong tries.
	Throttle(ctx context.Context, key string) (store.Throttle, error)

	// OpenID Connect applications.
	ApplicationByClientID(ctx context.Context, clientID string) (*store.Application, error)
	CreateApplication(ctx context.Context, a *store.Application) error
	DisableApplication(ctx context.Context, clientID string, at time.Time) error
	ListApplications(ctx context.Context) ([]store.Application, error)
	SetApplicationSecret(ctx context.Context, clientID string, hash []byte) error
}

// Actor is who acts: an administrator's web session, or the operator at
// the command line (who holds the database already).
type Actor struct {
	Session *login.Session // nil for the command line
	Client  login.Client
}

// Operator is the actor of `portal user …` commands.
func Operator() Actor {
	return Actor{Client: login.Client{UserAgent: "portal command line"}}
}

func (a Actor) id() int64 {
	if a.Session == nil {
		return 0
	}
	return a.Session.UserID
}

func (a Actor) name() string {
	if a.Session == nil {
		return "the system operator"
	}
	return fmt.Sprintf("%s (%s)", a.Session.User.Name, a.Session.User.Email)
}

// ErrForbidden: the actor is not an administrator. Pages answer 403.
var ErrForbidden = errors.New("admin: not an administrator")

// ErrStale: the administrator's login is older than allowed; they must
// prove it again with password and code.
var ErrStale = errors.New("admin: login too old for administration")

// Authorize checks that the actor may administer: a fully logged-in,
// active administrator whose login is fresh. The command line always may.
func (s *Service) Authorize(a Actor) error {
	if a.Session == nil {
		return nil
	}
	u := a.Session.User
	if a.Session.Stage != store.StageFull || !u.Admin || u.Deactivated {
		return ErrForbidden
	}
	// Administration needs the password and a code, both proven recently.
	if !s.Login.Fresh(a.Session, login.ProofPasswordAndCode) {
		return ErrStale
	}
	return nil
}

func invalid(field, msg string) error {
	return &login.Error{Kind: login.KindInvalidInput, Field: field, Message: msg}
}

// nothingToDo answers an action that would change nothing: no audit entry,
// no email to the person.
func nothingToDo(msg string) error {
	return &login.Error{Kind: login.KindInvalidInput, Message: msg}
}

func notAllowed(msg string) error {
	return &login.Error{Kind: login.KindNotAllowed, Message: msg}
}

// authorizedWith checks the actor, then tidies and checks the reason:
// what every action does first.
func (s *Service) authorizedWith(a Actor, reason string) (string, error) {
	if err := s.Authorize(a); err != nil {
		return "", err
	}
	return cleanReason(reason)
}

// cleanReason checks the reason every action takes.
func cleanReason(reason string) (string, error) {
	reason = strings.Join(strings.Fields(reason), " ")
	switch {
	case reason == "":
		return "", invalid("reason", "Give a reason: it is kept in the audit log.")
	case !utf8.ValidString(reason) || strings.ContainsFunc(reason, unicode.IsControl):
		// PostgreSQL refuses invalid UTF-8 and NUL; the others would reach
		// the console and terminals as invisible characters.
		return "", invalid("reason", "The reason contains characters that can't be used. Type it again.")
	case len([]rune(reason)) > maxReason:
		return "", invalid("reason", fmt.Sprintf("Keep the reason to at most %d characters.", maxReason))
	}
	return reason, nil
}

// target loads the account acted on and checks actor and reason.
func (s *Service) target(ctx context.Context, a Actor, userID int64, reason string) (*store.User, string, error) {
	reason, err := s.authorizedWith(a, reason)
	if err != nil {
		return nil, "", err
	}
	u, err := s.Store.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", &login.Error{Kind: login.KindInvalidInput, Message: "There is no such user."}
	}
	if err != nil {
		return nil, "", fmt.Errorf("admin: read user: %w", err)
	}
	return u, reason, nil
}

// act carries out an action on u in one transaction (store.AccountChange):
// the fields ch sets, u's sessions ended when endSessions is set (all but
// the acting administrator's own current one), the audit row and the email
// telling u, so that none of them stands without the others.
func (s *Service) act(ctx context.Context, a Actor, u *store.User, ch store.AccountChange, event, reason, detail, subject, change string, endSessions bool) error {
	ch.UserID = u.ID
	if endSessions {
		ch.EndOthers = true
		if a.Session != nil && a.Session.UserID == u.ID {
			ch.Keep = a.Session.TokenHash
		}
	}
	ch.Record = func(ended int) ([]*store.AuditEvent, []*store.Message, error) {
		d := detail
		if d != "" {
			d += "; "
		}
		d += "reason: " + reason
		if ended > 0 {
			d += fmt.Sprintf("; %d sessions ended", ended)
		}
		when := s.Login.Clock.Now().Format("2 January 2006 at 15:04 MST")
		paras := []string{fmt.Sprintf("%s %s on %s.", change, "by "+a.name(), when), "Reason given: " + reason}
		if ended > 0 {
			paras = append(paras, "For your security, you were logged out everywhere; log in again to continue.")
		}
		paras = append(paras, "If you did not expect this, contact your system administrator.")
		notice, err := s.Login.Notice(u, subject, paras...)
		if err != nil {
			return nil, nil, err
		}
		return []*store.AuditEvent{s.Login.AuditEvent(event, "success", a.id(), u.ID, a.Client, d)}, []*store.Message{notice}, nil
	}
	err := s.Login.Commit(ctx, ch)
	switch {
	case errors.Is(err, store.ErrLastAdmin):
		return notAllowed("This is the last active administrator. Make someone else an administrator first.")
	case errors.Is(err, store.ErrConflict):
		return nothingToDo("The account's phone number changed meanwhile. Check it, then try again.")
	case err != nil:
		return fmt.Errorf("admin: %s: %w", event, err)
	}
	return nil
}

// DisableMFA lets u log in with email and password alone for d (1 hour to
// 7 days); MFA comes back by itself at the end. An administrator cannot do
// this to their own account.
func (s *Service) DisableMFA(ctx context.Context, a Actor, userID int64, d time.Duration, reason string) error {
	u, reason, err := s.target(ctx, a, userID, reason)
	if err != nil {
		return err
	}
	if d < MinDisable || d > MaxDisable {
		return invalid("duration", "Choose a duration from 1 hour to 7 days.")
	}
	if a.id() == u.ID {
		return notAllowed("You cannot disable MFA for your own account. Ask another administrator.")
	}
	if u.Admin {
		return notAllowed("Administrators always log in with a code. If their phone is lost, update their phone number instead.")
	}
	until := s.Login.Clock.Now().Add(d)
	return s.act(ctx, a, u, store.AccountChange{MFADisabledUntil: &until}, "admin.mfa_disabled", reason, "until "+until.Format(time.RFC3339),
		"Login codes are turned off for your account for a while",
		fmt.Sprintf("Login codes were turned off for your account until %s", until.Format("2 January 2006 at 15:04 MST")), true)
}

// EndMFADisable ends a temporary disable early: codes are asked for again.
func (s *Service) EndMFADisable(ctx context.Context, a Actor, userID int64, reason string) error {
	u, reason, err := s.target(ctx, a, userID, reason)
	if err != nil {
		return err
	}
	if !s.Login.Clock.Now().Before(u.MFADisabledUntil) {
		return nothingToDo("MFA is not disabled for this account.")
	}
	return s.act(ctx, a, u, store.AccountChange{MFADisabledUntil: &time.Time{}}, "admin.mfa_enabled", reason, "",
		"Login codes are back on for your account", "Login codes were turned back on for your account", false)
}

// SetPhone sets u's MFA phone; the next login sends the code there. The
// number gets the same checks and guidance as when a person enters it
// (login.Rules.AcceptPhone), the allowed destinations included.
func (s *Service) SetPhone(ctx context.Context, a Actor, userID int64, raw, reason string) error {
	u, reason, err := s.target(ctx, a, userID, reason)
	if err != nil {
		return err
	}
	number, err := s.Login.Rules.AcceptPhone(raw)
	if err != nil {
		return err
	}
	if number == u.Phone {
		return nothingToDo("That is already the account's number.")
	}
	change := fmt.Sprintf("The phone number %s was registered for your login codes", phone.Mask(number))
	detail := "none to " + phone.Mask(number)
	if u.Phone != "" {
		change = fmt.Sprintf("The phone number for your login codes was changed from %s to %s", phone.Mask(u.Phone), phone.Mask(number))
		detail = phone.Mask(u.Phone) + " to " + phone.Mask(number)
	}
	// Written only while the phone is still the one shown: never over a
	// number the person registered or changed meanwhile.
	return s.act(ctx, a, u, store.AccountChange{Phone: &number, PhoneWas: &u.Phone}, "admin.phone_changed", reason, detail,
		"The phone number for your login codes was changed", change, true)
}

// SetMFAOverride requires MFA of u whatever the portal policy, exempts u
// from it, or returns u to the policy. Administrators cannot exempt
// themselves.
func (s *Service) SetMFAOverride(ctx context.Context, a Actor, userID int64, o store.MFAOverride, reason string) error {
	u, reason, err := s.target(ctx, a, userID, reason)
	if err != nil {
		return err
	}
	if o == store.MFAExempt && a.id() == u.ID {
		return notAllowed("You cannot exempt your own account from MFA. Ask another administrator.")
	}
	if o == store.MFAExempt && u.Admin {
		return notAllowed("Administrators always log in with a code, so they cannot be exempted.")
	}
	if o == u.MFA {
		return nothingToDo("The account is already set that way.")
	}
	change := map[store.MFAOverride]string{
		store.MFARequired:     "Login codes are now always required for your account",
		store.MFAExempt:       "Your account was exempted from login codes",
		store.MFAFollowPolicy: "Your account now follows the portal's policy for login codes",
	}[o]
	return s.act(ctx, a, u, store.AccountChange{MFA: &o}, "admin.mfa_override", reason, "set to "+overrideName(o), change, change, o == store.MFAExempt)
}

func overrideName(o store.MFAOverride) string {
	if o == store.MFAFollowPolicy {
		return "portal policy"
	}
	return string(o)
}

// Unlock lifts the locks that wrong passwords and wrong codes put on u.
func (s *Service) Unlock(ctx context.Context, a Actor, userID int64, reason string) error {
	u, reason, err := s.target(ctx, a, userID, reason)
	if err != nil {
		return err
	}
	t, err := s.Store.Throttle(ctx, login.AccountThrottleKey(u.Email))
	if err != nil {
		return fmt.Errorf("admin: read password lock: %w", err)
	}
	now := s.Login.Clock.Now()
	if !now.Before(u.CodeLockedUntil) && !now.Before(t.LockedUntil) && u.CodeFailures == 0 && t.Failures == 0 {
		return nothingToDo("This account is not locked.")
	}
	return s.act(ctx, a, u, store.AccountChange{ClearCodeLock: true, ClearThrottle: login.AccountThrottleKey(u.Email)}, "admin.unlocked", reason, "", "Your account was unlocked", "Your account was unlocked", false)
}

// SendPasswordReset emails u a link to set a new password (valid 30
// minutes). The current password keeps working until the link is used.
func (s *Service) SendPasswordReset(ctx context.Context, a Actor, userID int64, reason string) error {
	u, reason, err := s.target(ctx, a, userID, reason)
	if err != nil {
		return err
	}
	if u.Deactivated {
		return notAllowed("This account is deactivated. Reactivate it first.")
	}
	// The link, the email carrying it and the record are written together.
	sent := s.Login.AuditEvent("admin.password_reset_sent", "success", a.id(), u.ID, a.Client, "reason: "+reason)
	if err := s.Login.SendResetLink(ctx, u, store.TokenPasswordReset, sent); err != nil {
		s.Login.Audit(ctx, "admin.password_reset_sent", "failure", a.id(), u.ID, a.Client, "reason: "+reason)
		return &login.Error{Kind: login.KindDeliveryFailed, Err: err,
			Message: "The password reset email could not be sent. Check the mail settings and try again."}
	}
	return nil
}

// EndSessions logs u out everywhere.
func (s *Service) EndSessions(ctx context.Context, a Actor, userID int64, reason string) error {
	u, reason, err := s.target(ctx, a, userID, reason)
	if err != nil {
		return err
	}
	return s.act(ctx, a, u, store.AccountChange{}, "admin.sessions_ended", reason, "", "You were logged out everywhere",
		"All your sessions were ended", true)
}

// SetActive deactivates (active false) or reactivates u. Administrators
// cannot deactivate their own account, and the last active administrator
// cannot be deactivated.
func (s *Service) SetActive(ctx context.Context, a Actor, userID int64, active bool, reason string) error {
	u, reason, err := s.target(ctx, a, userID, reason)
	if err != nil {
		return err
	}
	if !active && a.id() == u.ID {
		return notAllowed("You cannot deactivate your own account. Ask another administrator.")
	}
	if u.Deactivated == !active {
		if active {
			return nothingToDo("This account is already active.")
		}
		return nothingToDo("This account is already deactivated.")
	}
	deactivated := !active
	ch := store.AccountChange{Deactivated: &deactivated}
	if active {
		return s.act(ctx, a, u, ch, "admin.reactivated", reason, "", "Your account was reactivated", "Your account was reactivated", false)
	}
	return s.act(ctx, a, u, ch, "admin.deactivated", reason, "", "Your account was deactivated", "Your account was deactivated", true)
}

// SetRole gives or takes the administrator role. Administrators cannot
// remove their own, and the last active administrator keeps it.
func (s *Service) SetRole(ctx context.Context, a Actor, userID int64, admin bool, reason string) error {
	u, reason, err := s.target(ctx, a, userID, reason)
	if err != nil {
		return err
	}
	if !admin && a.id() == u.ID {
		return notAllowed("You cannot remove your own administrator role. Ask another administrator.")
	}
	if u.Admin == admin {
		if admin {
			return nothingToDo("This account is already an administrator.")
		}
		return nothingToDo("This account is not an administrator.")
	}
	ch := store.AccountChange{Admin: &admin}
	if admin {
		return s.act(ctx, a, u, ch, "admin.role_granted", reason, "", "You are now an administrator", "You were made an administrator", false)
	}
	return s.act(ctx, a, u, ch, "admin.role_removed", reason, "", "You are no longer an administrator", "Your administrator role was removed", false)
}

// NewUser is an account an administrator creates.
type NewUser struct {
	Name  string
	Email string
	Admin bool
}

// CreateUser creates an account without a password and emails the person a
// single-use link (valid 72 hours) to set one; at their first login they
// register their phone.
func (s *Service) CreateUser(ctx context.Context, a Actor, nu NewUser) (*store.User, error) {
	if err := s.Authorize(a); err != nil {
		return nil, err
	}
	acct := login.NewAccount{Email: nu.Email, Name: nu.Name, Admin: nu.Admin}
	if err := acct.ValidateIdentity(); err != nil {
		return nil, err
	}
	u := &store.User{Email: acct.Email, Name: acct.Name, Admin: nu.Admin, CreatedAt: s.Login.Clock.Now()}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrEmailTaken) {
			return nil, invalid("email", "An account with this email address already exists.")
		}
		return nil, fmt.Errorf("admin: create user: %w", err)
	}
	role := "provider"
	if u.Admin {
		role = "administrator"
	}
	s.Login.Audit(ctx, "admin.user_created", "success", a.id(), u.ID, a.Client, role)
	if err := s.Login.SendResetLink(ctx, u, store.TokenInvite); err != nil {
		return u, &login.Error{Kind: login.KindDeliveryFailed, Err: err,
			Message: "The account was created, but the invitation email could not be sent. Use \u201cSend password reset\u201d to try again."}
	}
	return u, nil
}

// SetPortalMFA sets the portal-wide policy: MFA required for everyone (the
// default) or only for those individually required.
func (s *Service) SetPortalMFA(ctx context.Context, a Actor, required bool, reason string) error {
	reason, err := s.authorizedWith(a, reason)
	if err != nil {
		return err
	}
	v := "required"
	if !required {
		v = "optional"
	}
	// The setting and its record in one transaction.
	record := s.Login.AuditEvent("admin.mfa_policy", "success", a.id(), 0, a.Client, v+"; reason: "+reason)
	err = s.Login.Commit(ctx, store.AccountChange{
		Setting: &store.Setting{Key: login.SettingMFAPolicy, Value: v},
		Record: func(int) ([]*store.AuditEvent, []*store.Message, error) {
			return []*store.AuditEvent{record}, nil, nil
		},
	})
	if err != nil {
		return fmt.Errorf("admin: set MFA policy: %w", err)
	}
	return nil
}
