// Package change applies a store.AccountChange, in the order and with the
// checks both stores share: what is checked first, what each part writes,
// and when the audit rows and messages are made. Each engine gives the
// statements (a Tx, on its open transaction); the rules are written once,
// here.
package change

import (
	"time"

	"github.com/providerportal/portal/internal/store"
)

// Tx is an engine's statements, on the transaction a change runs in. Each
// is the statement of the store method of the same name; the ones that
// must change a row return store.ErrNotFound when they change none.
type Tx interface {
	// LockAdmins serialises the change with every other change of who is
	// an active administrator (a no-op where the transaction already
	// holds the only write lock).
	LockAdmins() error
	ConsumeChallenge(id int64, at time.Time) (bool, error)
	UpdateSession(s *store.Session) error
	DeleteSession(tokenHash []byte) error // store.ErrNotFound if there was none
	SetPhone(userID int64, phone string) error
	// SetPhoneIf sets the phone only while it is was; store.ErrConflict
	// otherwise.
	SetPhoneIf(userID int64, phone, was string) error
	SetMFA(userID int64, o store.MFAOverride) error
	SetMFADisabledUntil(userID int64, until time.Time) error
	SetAdmin(userID int64, admin bool) error
	SetDeactivated(userID int64, deactivated bool) error
	ClearCodeLock(userID int64) error
	ClearThrottle(key string) error
	SetSetting(key, value string) error
	CreateToken(t *store.Token) error
	DeleteUserSessions(userID int64, except []byte) (int, error)
	AppendAudit(e *store.AuditEvent) error
	Enqueue(m *store.Message) error
	EndOIDCSessions(userID int64, subject string, at time.Time) ([]string, error)
}

// Apply writes c through tx. It returns the first error, after which the
// caller rolls tx back: nothing of c stays.
func Apply(tx Tx, c store.AccountChange) error {
	if c.Admin != nil || c.Deactivated != nil {
		if err := tx.LockAdmins(); err != nil {
			return err
		}
	}
	if err := consumeChallenge(tx, c); err != nil {
		return err
	}
	ended, err := sessions(tx, c)
	if err != nil {
		return err
	}
	// The account's row after its sessions, as a login by code takes them
	// (store.CompleteLogin): two changes of one account never wait for
	// each other's locks in a circle.
	if err := user(tx, c); err != nil {
		return err
	}
	if err := alongside(tx, c); err != nil {
		return err
	}
	// The tokens after the account's row, as the sessions: the token
	// issue (store.IssueTokens) takes no account row, so no circle.
	if c.OIDCSubject != "" && c.UserID != 0 {
		if _, err := tx.EndOIDCSessions(c.UserID, c.OIDCSubject, c.At); err != nil {
			return err
		}
	}
	return record(tx, c, ended)
}

// consumeChallenge consumes the code the change follows from, if any:
// store.ErrNotFound when it was consumed meanwhile.
func consumeChallenge(tx Tx, c store.AccountChange) error {
	if c.ChallengeID == 0 {
		return nil
	}
	ok, err := tx.ConsumeChallenge(c.ChallengeID, c.At)
	if err != nil {
		return err
	}
	if !ok {
		return store.ErrNotFound
	}
	return nil
}

// sessions updates or ends the change's own session and ends the
// account's others when c says so, returning how many of those ended.
func sessions(tx Tx, c store.AccountChange) (ended int, err error) {
	keep := c.Keep
	if c.Session != nil {
		keep = c.Session.TokenHash
		if c.EndSession {
			err = tx.DeleteSession(c.Session.TokenHash)
		} else {
			err = tx.UpdateSession(c.Session)
		}
		if err != nil {
			return 0, err
		}
	}
	if !c.EndOthers {
		return 0, nil
	}
	return tx.DeleteUserSessions(c.UserID, keep)
}

// user writes the account's fields that c sets.
func user(tx Tx, c store.AccountChange) error {
	var err error
	switch {
	case c.Phone != nil && c.PhoneWas != nil:
		err = tx.SetPhoneIf(c.UserID, *c.Phone, *c.PhoneWas)
	case c.Phone != nil:
		err = tx.SetPhone(c.UserID, *c.Phone)
	}
	if err == nil && c.MFA != nil {
		err = tx.SetMFA(c.UserID, *c.MFA)
	}
	if err == nil && c.MFADisabledUntil != nil {
		err = tx.SetMFADisabledUntil(c.UserID, *c.MFADisabledUntil)
	}
	if err == nil && c.Admin != nil {
		err = tx.SetAdmin(c.UserID, *c.Admin)
	}
	if err == nil && c.Deactivated != nil {
		err = tx.SetDeactivated(c.UserID, *c.Deactivated)
	}
	if err == nil && c.ClearCodeLock {
		err = tx.ClearCodeLock(c.UserID)
	}
	return err
}

// alongside writes what c changes beside the account's row: a throttle
// cleared, a setting, a token.
func alongside(tx Tx, c store.AccountChange) error {
	if c.ClearThrottle != "" {
		if err := tx.ClearThrottle(c.ClearThrottle); err != nil {
			return err
		}
	}
	if c.Setting != nil {
		if err := tx.SetSetting(c.Setting.Key, c.Setting.Value); err != nil {
			return err
		}
	}
	if c.Token != nil {
		return tx.CreateToken(c.Token)
	}
	return nil
}

// record writes the audit rows and queues the messages that c.Record
// makes, told how many other sessions ended.
func record(tx Tx, c store.AccountChange, ended int) error {
	if c.Record == nil {
		return nil
	}
	events, messages, err := c.Record(ended)
	if err != nil {
		return err
	}
	for _, e := range events {
		if err := tx.AppendAudit(e); err != nil {
			return err
		}
	}
	for _, m := range messages {
		if err := tx.Enqueue(m); err != nil {
			return err
		}
	}
	return nil
}
