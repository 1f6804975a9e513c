package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/change"
)

// ChangeAccount applies c in one write transaction (see
// store.AccountChange and package change). On SQLite the write lock, taken
// at BEGIN IMMEDIATE, keeps every other change out until the commit, so the
// conditions checked in it still hold when it happens. On PostgreSQL its
// conditional writes (the code, the session, the phone) are settled by the
// row locks they take; a change of the role or of deactivation takes the
// administrators' lock first, as SetAdmin does.
func (db *DB) ChangeAccount(ctx context.Context, c store.AccountChange) error {
	err := db.inTx(ctx, func(tx Querier) error { return change.Apply(changeTx{db, ctx, tx}, c) })
	if err != nil {
		return fmt.Errorf("%s: change account: %w", db.name, err)
	}
	return nil
}

// changeTx gives package change the statements of this store, in tx.
type changeTx struct {
	db  *DB
	ctx context.Context
	tx  Querier
}

var _ change.Tx = changeTx{}

func (t changeTx) LockAdmins() error { return t.db.d.Lock(t.ctx, t.tx, LockAdmins) }

func (t changeTx) ConsumeChallenge(id int64, at time.Time) (bool, error) {
	return consumeChallenge(t.ctx, t.tx, id, at)
}
func (t changeTx) UpdateSession(s *store.Session) error { return updateSession(t.ctx, t.tx, s) }
func (t changeTx) DeleteSession(hash []byte) error      { return deleteSession(t.ctx, t.tx, hash) }
func (t changeTx) SetPhone(userID int64, phone string) error {
	return setPhone(t.ctx, t.tx, userID, phone)
}
func (t changeTx) SetPhoneIf(userID int64, phone, was string) error {
	return setPhoneIf(t.ctx, t.tx, userID, phone, was)
}
func (t changeTx) SetMFA(userID int64, o store.MFAOverride) error {
	return setMFA(t.ctx, t.tx, userID, o)
}
func (t changeTx) SetMFADisabledUntil(userID int64, until time.Time) error {
	return setMFADisabledUntil(t.ctx, t.tx, userID, until)
}
func (t changeTx) SetAdmin(userID int64, admin bool) error {
	return setAdmin(t.ctx, t.tx, userID, admin)
}
func (t changeTx) SetDeactivated(userID int64, deactivated bool) error {
	return setDeactivated(t.ctx, t.tx, userID, deactivated)
}
func (t changeTx) ClearCodeLock(userID int64) error { return clearCodeLock(t.ctx, t.tx, userID) }
func (t changeTx) ClearThrottle(key string) error   { return clearThrottle(t.ctx, t.tx, key) }
func (t changeTx) SetSetting(key, value string) error {
	return setSetting(t.ctx, t.tx, key, value)
}
func (t changeTx) CreateToken(tok *store.Token) error { return t.db.createToken(t.ctx, t.tx, tok) }
func (t changeTx) DeleteUserSessions(userID int64, except []byte) (int, error) {
	return deleteUserSessions(t.ctx, t.tx, userID, except)
}
func (t changeTx) AppendAudit(e *store.AuditEvent) error { return appendAudit(t.ctx, t.tx, e) }
func (t changeTx) Enqueue(m *store.Message) error        { return enqueue(t.ctx, t.tx, m) }
func (t changeTx) EndOIDCSessions(userID int64, subject string, at time.Time) ([]string, error) {
	return t.db.endOIDCSessions(t.ctx, t.tx, userID, subject, at)
}
