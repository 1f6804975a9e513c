package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// authRequestColumns is the column list scanAuthRequest reads, in its order.
const authRequestColumns = `id, client_id, params, created_at, expires_at, COALESCE(user_id, 0), auth_time, amr,
	code_hash, code_expires_at, code_used_at`

func scanAuthRequest(row interface{ Scan(...any) error }) (*store.AuthRequest, error) {
	var r store.AuthRequest
	var amr string
	err := row.Scan(&r.ID, &r.ClientID, &r.Params, scanTime(&r.CreatedAt), scanTime(&r.ExpiresAt), &r.UserID,
		scanTime(&r.AuthTime), &amr, &r.CodeHash, scanTime(&r.CodeExpiresAt), scanTime(&r.CodeUsedAt))
	if err != nil {
		return nil, err
	}
	r.AMR = store.DecodeList(amr)
	return &r, nil
}

// CreateAuthRequest inserts r.
func (db *DB) CreateAuthRequest(ctx context.Context, r *store.AuthRequest) error {
	_, err := db.write.ExecContext(ctx, `
		INSERT INTO oidc_auth_requests (id, client_id, params, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`,
		r.ID, r.ClientID, r.Params, timeValue(r.CreatedAt), timeValue(r.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlite: create auth request: %w", err)
	}
	return nil
}

// unexpiredRequest is the condition of an auth request still alive at $2:
// before its code, until ExpiresAt; with one, until the code expires.
const unexpiredRequest = `COALESCE(code_expires_at, expires_at) > $2`

// AuthRequest returns the request unless it expired at at.
func (db *DB) AuthRequest(ctx context.Context, id string, at time.Time) (*store.AuthRequest, error) {
	r, err := scanAuthRequest(db.read.QueryRowContext(ctx, `
		SELECT `+authRequestColumns+` FROM oidc_auth_requests WHERE id = $1 AND `+unexpiredRequest,
		id, at.UnixMilli()))
	if err != nil {
		return nil, fmt.Errorf("sqlite: auth request: %w", notFound(err))
	}
	return r, nil
}

// AuthRequestByCode returns the request whose code has the hash unless it
// expired at at.
func (db *DB) AuthRequestByCode(ctx context.Context, codeHash []byte, at time.Time) (*store.AuthRequest, error) {
	r, err := scanAuthRequest(db.read.QueryRowContext(ctx, `
		SELECT `+authRequestColumns+` FROM oidc_auth_requests WHERE code_hash = $1 AND `+unexpiredRequest,
		codeHash, at.UnixMilli()))
	if err != nil {
		return nil, fmt.Errorf("sqlite: auth request by code: %w", notFound(err))
	}
	return r, nil
}

// CompleteAuthRequest records the login, once, before the request expires.
func (db *DB) CompleteAuthRequest(ctx context.Context, id string, userID int64, authTime time.Time, amr []string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, `
		UPDATE oidc_auth_requests SET user_id = $3, auth_time = $4, amr = $5
		WHERE id = $1 AND expires_at > $2 AND user_id IS NULL`,
		id, at.UnixMilli(), userID, timeValue(authTime), store.EncodeList(amr))
	if err == nil {
		err = changedOne(res)
	}
	if err != nil {
		return fmt.Errorf("sqlite: complete auth request: %w", err)
	}
	return nil
}

// SetAuthCode stores the code's hash of a complete request without one.
func (db *DB) SetAuthCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) error {
	res, err := db.write.ExecContext(ctx, `
		UPDATE oidc_auth_requests SET code_hash = $2, code_expires_at = $3
		WHERE id = $1 AND user_id IS NOT NULL AND code_hash IS NULL`,
		id, codeHash, timeValue(expiresAt))
	if err == nil {
		err = changedOne(res)
	}
	if err != nil {
		return fmt.Errorf("sqlite: set auth code: %w", err)
	}
	return nil
}

// IssueTokens redeems the code or rotates the refresh token and inserts
// the tokens, in one transaction. A code or refresh token used before
// revokes its family, and that is committed.
func (db *DB) IssueTokens(ctx context.Context, ti store.TokenIssue) error {
	reused := false
	err := db.inTx(ctx, func(tx *poolTx) error {
		at := ti.At.UnixMilli()
		if ti.AuthRequestID != "" {
			res, err := tx.ExecContext(ctx, `
				UPDATE oidc_auth_requests SET code_used_at = $3
				WHERE id = $1 AND code_hash = $2 AND code_used_at IS NULL AND code_expires_at > $3`,
				ti.AuthRequestID, ti.CodeHash, at)
			if err == nil {
				err = changedOne(res)
			}
			if errors.Is(err, store.ErrNotFound) {
				var used sql.NullInt64
				err := tx.QueryRowContext(ctx, `SELECT code_used_at FROM oidc_auth_requests WHERE id = $1 AND code_hash = $2`,
					ti.AuthRequestID, ti.CodeHash).Scan(&used)
				if err != nil || !used.Valid {
					return store.ErrNotFound
				}
				reused = true
				return revokeFamily(ctx, tx, ti.AuthRequestID, at)
			}
			if err != nil {
				return err
			}
		}
		if ti.Rotate != nil {
			var family string
			err := tx.QueryRowContext(ctx, `
				UPDATE oidc_tokens SET used_at = $2
				WHERE hash = $1 AND kind = 'refresh' AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
				RETURNING family`, ti.Rotate, at).Scan(&family)
			if errors.Is(err, sql.ErrNoRows) {
				err := tx.QueryRowContext(ctx, `
					SELECT family FROM oidc_tokens WHERE hash = $1 AND kind = 'refresh' AND used_at IS NOT NULL`,
					ti.Rotate).Scan(&family)
				if err != nil {
					return store.ErrNotFound
				}
				reused = true
				return revokeFamily(ctx, tx, family, at)
			}
			if err != nil {
				return err
			}
		}
		for _, t := range ti.Tokens {
			_, err := tx.ExecContext(ctx, `
				INSERT INTO oidc_tokens (hash, kind, family, client_id, user_id, scopes, audience, auth_time, amr,
					created_at, expires_at, used_at, revoked_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
				t.Hash, string(t.Kind), t.Family, t.ClientID, t.UserID, store.EncodeList(t.Scopes),
				store.EncodeList(t.Audience), timeValue(t.AuthTime), store.EncodeList(t.AMR),
				timeValue(t.CreatedAt), timeValue(t.ExpiresAt), timeValue(t.UsedAt), timeValue(t.RevokedAt))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && reused {
		err = store.ErrTokenReused
	}
	if err != nil {
		return fmt.Errorf("sqlite: issue tokens: %w", err)
	}
	return nil
}

func revokeFamily(ctx context.Context, q querier, family string, at int64) error {
	_, err := q.ExecContext(ctx,
		`UPDATE oidc_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL`, family, at)
	return err
}

// oidcTokenColumns is the column list scanOIDCToken reads, in its order.
const oidcTokenColumns = `hash, kind, family, client_id, user_id, scopes, audience, auth_time, amr,
	created_at, expires_at, used_at, revoked_at` // #nosec G101 -- column names, no secret

func scanOIDCToken(row interface{ Scan(...any) error }) (*store.OIDCToken, error) {
	var t store.OIDCToken
	var scopes, audience, amr string
	err := row.Scan(&t.Hash, &t.Kind, &t.Family, &t.ClientID, &t.UserID, &scopes, &audience,
		scanTime(&t.AuthTime), &amr, scanTime(&t.CreatedAt), scanTime(&t.ExpiresAt), scanTime(&t.UsedAt), scanTime(&t.RevokedAt))
	if err != nil {
		return nil, err
	}
	t.Scopes, t.Audience, t.AMR = store.DecodeList(scopes), store.DecodeList(audience), store.DecodeList(amr)
	return &t, nil
}

// OIDCToken returns the token with this hash, whatever its state.
func (db *DB) OIDCToken(ctx context.Context, hash []byte) (*store.OIDCToken, error) {
	t, err := scanOIDCToken(db.read.QueryRowContext(ctx,
		`SELECT `+oidcTokenColumns+` FROM oidc_tokens WHERE hash = $1`, hash))
	if err != nil {
		return nil, fmt.Errorf("sqlite: oidc token: %w", notFound(err))
	}
	return t, nil
}

// RevokeOIDCToken revokes the token, and a refresh token's family.
func (db *DB) RevokeOIDCToken(ctx context.Context, hash []byte, at time.Time) error {
	err := db.inTx(ctx, func(tx *poolTx) error {
		var kind, family string
		err := tx.QueryRowContext(ctx, `
			UPDATE oidc_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE hash = $1 RETURNING kind, family`,
			hash, at.UnixMilli()).Scan(&kind, &family)
		if err != nil {
			return notFound(err)
		}
		if store.TokenKind(kind) == store.TokenRefresh {
			return revokeFamily(ctx, tx, family, at.UnixMilli())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: revoke oidc token: %w", err)
	}
	return nil
}

// RevokeUserTokens revokes the user's active tokens, of one application or
// all, and returns the applications they were issued to.
func (db *DB) RevokeUserTokens(ctx context.Context, userID int64, clientID string, at time.Time) ([]string, error) {
	rows, err := db.write.QueryContext(ctx, `
		UPDATE oidc_tokens SET revoked_at = $3
		WHERE user_id = $1 AND ($2 = '' OR client_id = $2) AND revoked_at IS NULL AND expires_at > $3
		RETURNING client_id`, userID, clientID, at.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("sqlite: revoke user tokens: %w", err)
	}
	return distinctClientIDs(rows)
}

func distinctClientIDs(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	seen := map[string]bool{}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: revoke user tokens: %w", err)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: revoke user tokens: %w", err)
	}
	return ids, nil
}

// SigningKeys returns the keys still published at at, oldest first.
func (db *DB) SigningKeys(ctx context.Context, at time.Time) ([]store.SigningKey, error) {
	rows, err := db.read.QueryContext(ctx, `
		SELECT id, algorithm, sealed, created_at, use_from, expires_at FROM oidc_keys
		WHERE expires_at > $1 ORDER BY created_at, id`, at.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("sqlite: signing keys: %w", err)
	}
	defer rows.Close()
	var keys []store.SigningKey
	for rows.Next() {
		var k store.SigningKey
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.Sealed, scanTime(&k.CreatedAt), scanTime(&k.UseFrom), scanTime(&k.ExpiresAt)); err != nil {
			return nil, fmt.Errorf("sqlite: signing keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: signing keys: %w", err)
	}
	return keys, nil
}

// AddSigningKey inserts k.
func (db *DB) AddSigningKey(ctx context.Context, k *store.SigningKey) error {
	_, err := db.write.ExecContext(ctx, `
		INSERT INTO oidc_keys (id, algorithm, sealed, created_at, use_from, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.Algorithm, k.Sealed, timeValue(k.CreatedAt), timeValue(k.UseFrom), timeValue(k.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlite: add signing key: %w", err)
	}
	return nil
}

// DeleteExpiredOIDC deletes what expired before before.
func (db *DB) DeleteExpiredOIDC(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *poolTx) error {
		for _, q := range []string{
			`DELETE FROM oidc_auth_requests WHERE COALESCE(code_expires_at, expires_at) <= $1`,
			`DELETE FROM oidc_tokens WHERE expires_at <= $1`,
			`DELETE FROM oidc_keys WHERE expires_at <= $1`,
		} {
			res, err := tx.ExecContext(ctx, q, before.UnixMilli())
			if err != nil {
				return err
			}
			m, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(m)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired oidc: %w", err)
	}
	return n, nil
}

// EndOIDCSessions revokes the user's active tokens and queues the
// back-channel logouts of their applications, in one transaction.
func (db *DB) EndOIDCSessions(ctx context.Context, userID int64, subject string, at time.Time) ([]string, error) {
	var queued []string
	err := db.inTx(ctx, func(tx *poolTx) error {
		var err error
		queued, err = endOIDCSessions(ctx, tx, userID, subject, at)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: end oidc sessions: %w", err)
	}
	return queued, nil
}

// endOIDCSessions is EndOIDCSessions in tx, also for an account change
// (changeTx).
func endOIDCSessions(ctx context.Context, tx *poolTx, userID int64, subject string, at time.Time) ([]string, error) {
	var queued []string
	rows, err := tx.QueryContext(ctx, `
		UPDATE oidc_tokens SET revoked_at = $2
		WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
		RETURNING client_id`, userID, at.UnixMilli())
	if err != nil {
		return nil, err
	}
	ids, err := distinctClientIDs(rows)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO oidc_logouts (client_id, subject, attempts, next_attempt_at, created_at)
			SELECT client_id, $2, 0, $3, $3 FROM applications
			WHERE client_id = $1 AND backchannel_logout_uri <> '' AND disabled_at IS NULL`, id, subject, at.UnixMilli())
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n > 0 {
			queued = append(queued, id)
		}
	}
	return queued, nil
}

// ClaimOIDCLogouts claims up to n due logouts until until.
func (db *DB) ClaimOIDCLogouts(ctx context.Context, at, until time.Time, n int) ([]store.OIDCLogout, error) {
	rows, err := db.write.QueryContext(ctx, `
		UPDATE oidc_logouts SET attempts = attempts + 1, next_attempt_at = $2
		WHERE id IN (SELECT id FROM oidc_logouts WHERE next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $3)
		RETURNING id, client_id, subject, attempts, next_attempt_at, created_at`, at.UnixMilli(), until.UnixMilli(), n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim oidc logouts: %w", err)
	}
	defer rows.Close()
	var out []store.OIDCLogout
	for rows.Next() {
		var l store.OIDCLogout
		var next, created int64
		if err := rows.Scan(&l.ID, &l.ClientID, &l.Subject, &l.Attempts, &next, &created); err != nil {
			return nil, fmt.Errorf("sqlite: claim oidc logouts: %w", err)
		}
		l.NextAttemptAt, l.CreatedAt = fromMillis(next), fromMillis(created)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: claim oidc logouts: %w", err)
	}
	slices.SortFunc(out, func(a, b store.OIDCLogout) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// FinishOIDCLogout deletes the logout, or makes it due again at retryAt.
func (db *DB) FinishOIDCLogout(ctx context.Context, id int64, retryAt time.Time) error {
	var err error
	if retryAt.IsZero() {
		_, err = db.write.ExecContext(ctx, `DELETE FROM oidc_logouts WHERE id = $1`, id)
	} else {
		_, err = db.write.ExecContext(ctx, `UPDATE oidc_logouts SET next_attempt_at = $2 WHERE id = $1`, id, retryAt.UnixMilli())
	}
	if err != nil {
		return fmt.Errorf("sqlite: finish oidc logout: %w", err)
	}
	return nil
}
