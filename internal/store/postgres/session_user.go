package postgres

import (
	"context"
	"fmt"

	"github.com/providerportal/portal/internal/store"
)

// SessionWithUser returns the session and its account in one query, one
// round trip; store.ErrNotFound for unknown hashes.
func (db *DB) SessionWithUser(ctx context.Context, tokenHash []byte) (*store.Session, *store.User, error) {
	var s store.Session
	var u store.User
	err := db.pool.QueryRow(ctx, `
		SELECT s.token_hash, s.user_id, s.stage, s.attempt_id, s.pending_phone,
			s.created_at, s.last_seen_at, s.authenticated_at, s.ip, s.user_agent, s.mfa,
			u.id, u.email, u.name, u.password_hash, u.admin, u.phone, u.mfa, u.mfa_disabled_until,
			u.code_failures, u.code_locked_until, u.deactivated, u.created_at, u.last_login_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1`,
		tokenHash,
	).Scan(&s.TokenHash, &s.UserID, &s.Stage, &s.AttemptID, &s.PendingPhone,
		scanTime(&s.CreatedAt), scanTime(&s.LastSeenAt), scanTime(&s.AuthenticatedAt), &s.IP, &s.UserAgent, &s.MFA,
		&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.Admin, &u.Phone, &u.MFA, scanTime(&u.MFADisabledUntil),
		&u.CodeFailures, scanTime(&u.CodeLockedUntil), &u.Deactivated, scanTime(&u.CreatedAt), scanTime(&u.LastLoginAt))
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: session with user: %w", notFound(err))
	}
	return &s, &u, nil
}
