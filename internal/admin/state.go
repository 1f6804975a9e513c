package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// MFAState is how a login of an account goes now.
type MFAState int

const (
	MFAStateRequired      MFAState = iota + 1 // a code at every login
	MFAStateNotRegistered                     // required; the phone is registered at the next login
	MFAStateDisabled                          // turned off by an administrator until State.DisabledUntil
	MFAStateExempt                            // the account is exempt
	MFAStateOff                               // the portal policy does not require it
)

// State is an account's protection at a glance, as the console and the
// operator's commands show it.
type State struct {
	MFA           MFAState
	DisabledUntil time.Time // while MFA is MFAStateDisabled
	// PasswordsLockedUntil and CodesLockedUntil are set while wrong
	// passwords or wrong codes hold the account back.
	PasswordsLockedUntil time.Time
	CodesLockedUntil     time.Time
}

// LockedUntil is when the later of the two locks ends; zero if unlocked.
func (st State) LockedUntil() time.Time {
	if st.PasswordsLockedUntil.After(st.CodesLockedUntil) {
		return st.PasswordsLockedUntil
	}
	return st.CodesLockedUntil
}

// Policy is the portal-wide MFA policy at one moment, for describing many
// accounts with one read.
type Policy struct {
	Required bool
	Now      time.Time
}

// Policy reads the portal-wide MFA policy.
func (s *Service) Policy(ctx context.Context) (Policy, error) {
	required, err := s.Login.PortalRequiresMFA(ctx)
	if err != nil {
		return Policy{}, err
	}
	return Policy{Required: required, Now: s.Login.Clock.Now()}, nil
}

// State describes u under p.
func (s *Service) State(ctx context.Context, u *store.User, p Policy) (State, error) {
	var st State
	switch {
	case p.Now.Before(u.MFADisabledUntil):
		st.MFA, st.DisabledUntil = MFAStateDisabled, u.MFADisabledUntil
	case login.MFARequired(u, p.Required, p.Now) && u.Phone == "":
		st.MFA = MFAStateNotRegistered
	case login.MFARequired(u, p.Required, p.Now):
		st.MFA = MFAStateRequired
	case u.MFA == store.MFAExempt:
		st.MFA = MFAStateExempt
	default:
		st.MFA = MFAStateOff
	}
	if p.Now.Before(u.CodeLockedUntil) {
		st.CodesLockedUntil = u.CodeLockedUntil
	}
	t, err := s.Store.Throttle(ctx, login.AccountThrottleKey(u.Email))
	if err != nil {
		return st, fmt.Errorf("admin: read password lock: %w", err)
	}
	if p.Now.Before(t.LockedUntil) {
		st.PasswordsLockedUntil = t.LockedUntil
	}
	return st, nil
}
