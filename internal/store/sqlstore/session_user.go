package sqlstore

import (
	"context"
	"fmt"

	"github.com/providerportal/portal/internal/store"
)

// SessionWithUser returns the session and its account in one query (one
// round trip on PostgreSQL; on SQLite a statement prepared once, see the
// sqlite package's pool); store.ErrNotFound for unknown hashes.
func (db *DB) SessionWithUser(ctx context.Context, tokenHash []byte) (*store.Session, *store.User, error) {
	var s store.Session
	var u store.User
	err := db.r.QueryRow(ctx, `
		SELECT s.token_hash, s.user_id, s.stage, s.attempt_id, s.pending_phone,
			s.created_at, s.last_seen_at, s.authenticated_at, s.ip, s.user_agent, s.mfa, s.code_at, s.previous_login_at, u.*
		FROM sessions s JOIN (SELECT `+userColumns+` FROM users) u ON u.id = s.user_id
		WHERE s.token_hash = $1`,
		tokenHash,
	).Scan(append([]any{&s.TokenHash, &s.UserID, &s.Stage, &s.AttemptID, &s.PendingPhone,
		ScanTime(&s.CreatedAt), ScanTime(&s.LastSeenAt), ScanTime(&s.AuthenticatedAt), &s.IP, &s.UserAgent, &s.MFA, ScanTime(&s.CodeAt),
		ScanTime(&s.PreviousLoginAt)},
		userFields(&u)...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: session with user: %w", db.name, notFound(err))
	}
	return &s, &u, nil
}
