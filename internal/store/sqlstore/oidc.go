package sqlstore

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

func scanAuthRequest(row Row) (*store.AuthRequest, error) {
	var r store.AuthRequest
	var amr string
	err := row.Scan(&r.ID, &r.ClientID, &r.Params, ScanTime(&r.CreatedAt), ScanTime(&r.ExpiresAt), &r.UserID,
		ScanTime(&r.AuthTime), &amr, &r.CodeHash, ScanTime(&r.CodeExpiresAt), ScanTime(&r.CodeUsedAt))
	if err != nil {
		return nil, err
	}
	r.AMR = store.DecodeList(amr)
	return &r, nil
}

// CreateAuthRequest inserts r.
func (db *DB) CreateAuthRequest(ctx context.Context, r *store.AuthRequest) error {
	_, err := db.w.Exec(ctx, `
		INSERT INTO oidc_auth_requests (id, client_id, params, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`,
		r.ID, r.ClientID, r.Params, TimeValue(r.CreatedAt), TimeValue(r.ExpiresAt))
	if err != nil {
		return fmt.Errorf("%s: create auth request: %w", db.name, err)
	}
	return nil
}

// unexpiredRequest is the condition of an auth request still alive at $2:
// before its code, until ExpiresAt; with one, until the code expires.
const unexpiredRequest = `COALESCE(code_expires_at, expires_at) > $2`

// AuthRequest returns the request unless it expired at at.
func (db *DB) AuthRequest(ctx context.Context, id string, at time.Time) (*store.AuthRequest, error) {
	r, err := scanAuthRequest(db.r.QueryRow(ctx, `
		SELECT `+authRequestColumns+` FROM oidc_auth_requests WHERE id = $1 AND `+unexpiredRequest,
		id, at.UnixMilli()))
	if err != nil {
		return nil, fmt.Errorf("%s: auth request: %w", db.name, notFound(err))
	}
	return r, nil
}

// AuthRequestByCode returns the request whose code has the hash unless it
// expired at at.
func (db *DB) AuthRequestByCode(ctx context.Context, codeHash []byte, at time.Time) (*store.AuthRequest, error) {
	r, err := scanAuthRequest(db.r.QueryRow(ctx, `
		SELECT `+authRequestColumns+` FROM oidc_auth_requests WHERE code_hash = $1 AND `+unexpiredRequest,
		codeHash, at.UnixMilli()))
	if err != nil {
		return nil, fmt.Errorf("%s: auth request by code: %w", db.name, notFound(err))
	}
	return r, nil
}

// CompleteAuthRequest records the login, once, before the request expires.
func (db *DB) CompleteAuthRequest(ctx context.Context, id string, userID int64, authTime time.Time, amr []string, at time.Time) error {
	n, err := db.w.Exec(ctx, `
		UPDATE oidc_auth_requests SET user_id = $3, auth_time = $4, amr = $5
		WHERE id = $1 AND expires_at > $2 AND user_id IS NULL`,
		id, at.UnixMilli(), userID, TimeValue(authTime), store.EncodeList(amr))
	if err == nil {
		err = changedOne(n)
	}
	if err != nil {
		return fmt.Errorf("%s: complete auth request: %w", db.name, err)
	}
	return nil
}

// SetAuthCode stores the code's hash of a complete request without one.
func (db *DB) SetAuthCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) error {
	n, err := db.w.Exec(ctx, `
		UPDATE oidc_auth_requests SET code_hash = $2, code_expires_at = $3
		WHERE id = $1 AND user_id IS NOT NULL AND code_hash IS NULL`,
		id, codeHash, TimeValue(expiresAt))
	if err == nil {
		err = changedOne(n)
	}
	if err != nil {
		return fmt.Errorf("%s: set auth code: %w", db.name, err)
	}
	return nil
}

// IssueTokens redeems the code or rotates the refresh token and inserts
// the tokens, in one transaction. A code or refresh token used before
// revokes its family, and that is committed.
func (db *DB) IssueTokens(ctx context.Context, ti store.TokenIssue) error {
	reused := false
	err := db.inTx(ctx, func(tx Querier) error {
		at := ti.At.UnixMilli()
		if err := db.lockRedeemed(ctx, tx, ti); err != nil {
			return err
		}
		var err error
		if ti.AuthRequestID != "" {
			if reused, err = redeemCode(ctx, tx, ti, at); err != nil || reused {
				return err
			}
		}
		if ti.Rotate != nil {
			if reused, err = rotateRefresh(ctx, tx, ti.Rotate, at); err != nil || reused {
				return err
			}
		}
		return insertTokens(ctx, tx, ti.Tokens)
	})
	if err == nil && reused {
		err = store.ErrTokenReused
	}
	if err != nil {
		return fmt.Errorf("%s: issue tokens: %w", db.name, err)
	}
	return nil
}

// redeemCode marks the code of ti's request used at at. A code used before
// revokes the request's family (reused); one unknown, or expired, is
// store.ErrNotFound.
func redeemCode(ctx context.Context, tx Querier, ti store.TokenIssue, at int64) (reused bool, err error) {
	n, err := tx.Exec(ctx, `
		UPDATE oidc_auth_requests SET code_used_at = $3
		WHERE id = $1 AND code_hash = $2 AND code_used_at IS NULL AND code_expires_at > $3`,
		ti.AuthRequestID, ti.CodeHash, at)
	if err == nil {
		err = changedOne(n)
	}
	if errors.Is(err, store.ErrNotFound) {
		var used *int64
		err := tx.QueryRow(ctx, `SELECT code_used_at FROM oidc_auth_requests WHERE id = $1 AND code_hash = $2`,
			ti.AuthRequestID, ti.CodeHash).Scan(&used)
		if err != nil || used == nil {
			return false, store.ErrNotFound
		}
		return true, revokeFamily(ctx, tx, ti.AuthRequestID, at)
	}
	return false, err
}

// rotateRefresh marks the refresh token of hash used at at. One used
// before revokes its family (reused); one unknown, revoked or expired is
// store.ErrNotFound.
func rotateRefresh(ctx context.Context, tx Querier, hash []byte, at int64) (reused bool, err error) {
	var family string
	err = tx.QueryRow(ctx, `
		UPDATE oidc_tokens SET used_at = $2
		WHERE hash = $1 AND kind = 'refresh' AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
		RETURNING family`, hash, at).Scan(&family)
	if errors.Is(err, sql.ErrNoRows) {
		err := tx.QueryRow(ctx, `
			SELECT family FROM oidc_tokens WHERE hash = $1 AND kind = 'refresh' AND used_at IS NOT NULL`,
			hash).Scan(&family)
		if err != nil {
			return false, store.ErrNotFound
		}
		return true, revokeFamily(ctx, tx, family, at)
	}
	return false, err
}

// insertTokens inserts the tokens issued.
func insertTokens(ctx context.Context, tx Querier, tokens []*store.OIDCToken) error {
	for _, t := range tokens {
		_, err := tx.Exec(ctx, `
			INSERT INTO oidc_tokens (hash, kind, family, client_id, user_id, scopes, audience, auth_time, amr,
				created_at, expires_at, used_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			t.Hash, string(t.Kind), t.Family, t.ClientID, t.UserID, store.EncodeList(t.Scopes),
			store.EncodeList(t.Audience), TimeValue(t.AuthTime), store.EncodeList(t.AMR),
			TimeValue(t.CreatedAt), TimeValue(t.ExpiresAt), TimeValue(t.UsedAt), TimeValue(t.RevokedAt))
		if err != nil {
			return err
		}
	}
	return nil
}

// lockRedeemed locks the row of what ti redeems, the code's request or
// the refresh token, until the transaction ends. Concurrent redemptions of
// one code or token then take turns from their first statement: the first
// issues, each later one finds it used and revokes the family, holding no
// row that another is waiting for (on PostgreSQL they deadlocked when each
// revoked the family while others still queued for the redeemed row).
// Nothing on SQLite, whose one writer is alone already.
func (db *DB) lockRedeemed(ctx context.Context, tx Querier, ti store.TokenIssue) error {
	forUpdate := db.d.ForUpdate()
	if forUpdate == "" {
		return nil
	}
	var q string
	var arg any
	switch {
	case ti.AuthRequestID != "":
		q, arg = `SELECT 1 FROM oidc_auth_requests WHERE id = $1`+forUpdate, ti.AuthRequestID
	case ti.Rotate != nil:
		q, arg = `SELECT 1 FROM oidc_tokens WHERE hash = $1`+forUpdate, ti.Rotate
	default:
		return nil
	}
	var one int
	if err := tx.QueryRow(ctx, q, arg).Scan(&one); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}

func revokeFamily(ctx context.Context, q Querier, family string, at int64) error {
	_, err := q.Exec(ctx,
		`UPDATE oidc_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL`, family, at)
	return err
}

// oidcTokenColumns is the column list scanOIDCToken reads, in its order.
const oidcTokenColumns = `hash, kind, family, client_id, user_id, scopes, audience, auth_time, amr,
	created_at, expires_at, used_at, revoked_at` // #nosec G101 -- column names, no secret

func scanOIDCToken(row Row) (*store.OIDCToken, error) {
	var t store.OIDCToken
	var scopes, audience, amr string
	err := row.Scan(&t.Hash, &t.Kind, &t.Family, &t.ClientID, &t.UserID, &scopes, &audience,
		ScanTime(&t.AuthTime), &amr, ScanTime(&t.CreatedAt), ScanTime(&t.ExpiresAt), ScanTime(&t.UsedAt), ScanTime(&t.RevokedAt))
	if err != nil {
		return nil, err
	}
	t.Scopes, t.Audience, t.AMR = store.DecodeList(scopes), store.DecodeList(audience), store.DecodeList(amr)
	return &t, nil
}

// OIDCToken returns the token with this hash, whatever its state.
func (db *DB) OIDCToken(ctx context.Context, hash []byte) (*store.OIDCToken, error) {
	t, err := scanOIDCToken(db.r.QueryRow(ctx,
		`SELECT `+oidcTokenColumns+` FROM oidc_tokens WHERE hash = $1`, hash))
	if err != nil {
		return nil, fmt.Errorf("%s: oidc token: %w", db.name, notFound(err))
	}
	return t, nil
}

// RevokeOIDCToken revokes the token, and a refresh token's family.
func (db *DB) RevokeOIDCToken(ctx context.Context, hash []byte, at time.Time) error {
	err := db.inTx(ctx, func(tx Querier) error {
		var kind, family string
		err := tx.QueryRow(ctx, `
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
		return fmt.Errorf("%s: revoke oidc token: %w", db.name, err)
	}
	return nil
}

// RevokeUserTokens revokes the user's active tokens, of one application or
// all, and returns the applications they were issued to.
func (db *DB) RevokeUserTokens(ctx context.Context, userID int64, clientID string, at time.Time) ([]string, error) {
	rows, err := db.w.Query(ctx, `
		UPDATE oidc_tokens SET revoked_at = $3
		WHERE user_id = $1 AND (CAST($2 AS TEXT) = '' OR client_id = $2) AND revoked_at IS NULL AND expires_at > $3
		RETURNING client_id`, userID, clientID, at.UnixMilli())
	ids, err := clientIDs(rows, err)
	return ids, db.annotate("revoke user tokens", err)
}

// clientIDs reads the client_id of each row: each application once, in
// order.
func clientIDs(rows Rows, err error) ([]string, error) {
	ids, err := collect(rows, err, func(row Row) (id string, err error) {
		return id, row.Scan(&id)
	})
	slices.Sort(ids)
	return slices.Compact(ids), err
}

// SigningKeys returns the keys still published at at, oldest first.
func (db *DB) SigningKeys(ctx context.Context, at time.Time) ([]store.SigningKey, error) {
	rows, err := db.r.Query(ctx, `
		SELECT id, algorithm, sealed, created_at, use_from, expires_at FROM oidc_keys
		WHERE expires_at > $1 ORDER BY created_at, id`, at.UnixMilli())
	keys, err := collect(rows, err, func(row Row) (k store.SigningKey, err error) {
		return k, row.Scan(&k.ID, &k.Algorithm, &k.Sealed, ScanTime(&k.CreatedAt), ScanTime(&k.UseFrom), ScanTime(&k.ExpiresAt))
	})
	return keys, db.annotate("signing keys", err)
}

// AddSigningKey inserts k.
func (db *DB) AddSigningKey(ctx context.Context, k *store.SigningKey) error {
	_, err := db.w.Exec(ctx, `
		INSERT INTO oidc_keys (id, algorithm, sealed, created_at, use_from, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.Algorithm, k.Sealed, TimeValue(k.CreatedAt), TimeValue(k.UseFrom), TimeValue(k.ExpiresAt))
	if err != nil {
		return fmt.Errorf("%s: add signing key: %w", db.name, err)
	}
	return nil
}

// DeleteExpiredOIDC deletes what expired before before.
func (db *DB) DeleteExpiredOIDC(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx Querier) error {
		for _, q := range []string{
			`DELETE FROM oidc_auth_requests WHERE COALESCE(code_expires_at, expires_at) <= $1`,
			`DELETE FROM oidc_tokens WHERE expires_at <= $1`,
			`DELETE FROM oidc_keys WHERE expires_at <= $1`,
		} {
			m, err := tx.Exec(ctx, q, before.UnixMilli())
			if err != nil {
				return err
			}
			n += int(m)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%s: delete expired oidc: %w", db.name, err)
	}
	return n, nil
}

// EndOIDCSessions revokes the user's active tokens and queues the
// back-channel logouts of their applications, in one transaction.
func (db *DB) EndOIDCSessions(ctx context.Context, userID int64, subject string, at time.Time) ([]string, error) {
	var queued []string
	err := db.inTx(ctx, func(tx Querier) error {
		var err error
		queued, err = db.endOIDCSessions(ctx, tx, userID, subject, at)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: end oidc sessions: %w", db.name, err)
	}
	return queued, nil
}

// endOIDCSessions is EndOIDCSessions in tx, also for an account change
// (changeTx).
func (db *DB) endOIDCSessions(ctx context.Context, tx Querier, userID int64, subject string, at time.Time) ([]string, error) {
	var queued []string
	rows, err := tx.Query(ctx, `
		UPDATE oidc_tokens SET revoked_at = $2
		WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
		RETURNING client_id`, userID, at.UnixMilli())
	ids, err := clientIDs(rows, err)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		n, err := tx.Exec(ctx, `
			INSERT INTO oidc_logouts (client_id, subject, attempts, next_attempt_at, created_at)
			SELECT client_id, $2, 0, $3, $3 FROM applications
			WHERE client_id = $1 AND backchannel_logout_uri <> '' AND disabled_at IS NULL`, id, subject, at.UnixMilli())
		if err != nil {
			return nil, err
		}
		if n > 0 {
			queued = append(queued, id)
		}
	}
	return queued, nil
}

// ClaimOIDCLogouts claims up to n due logouts until until, in one
// statement: SQLite's single writer makes it exclusive; on PostgreSQL the
// due rows are locked FOR UPDATE SKIP LOCKED (Dialect.SkipLocked), so
// concurrent claims skip each other's rows.
func (db *DB) ClaimOIDCLogouts(ctx context.Context, at, until time.Time, n int) ([]store.OIDCLogout, error) {
	rows, err := db.w.Query(ctx, db.q.claimOIDCLogouts, at.UnixMilli(), until.UnixMilli(), n)
	out, err := collect(rows, err, func(row Row) (l store.OIDCLogout, err error) {
		var next, created int64
		err = row.Scan(&l.ID, &l.ClientID, &l.Subject, &l.Attempts, &next, &created)
		l.NextAttemptAt, l.CreatedAt = fromMillis(next), fromMillis(created)
		return l, err
	})
	if err != nil {
		return nil, db.errorf("claim oidc logouts", err)
	}
	slices.SortFunc(out, func(a, b store.OIDCLogout) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// FinishOIDCLogout deletes the logout, or makes it due again at retryAt.
func (db *DB) FinishOIDCLogout(ctx context.Context, id int64, retryAt time.Time) error {
	var err error
	if retryAt.IsZero() {
		_, err = db.w.Exec(ctx, `DELETE FROM oidc_logouts WHERE id = $1`, id)
	} else {
		_, err = db.w.Exec(ctx, `UPDATE oidc_logouts SET next_attempt_at = $2 WHERE id = $1`, id, retryAt.UnixMilli())
	}
	if err != nil {
		return fmt.Errorf("%s: finish oidc logout: %w", db.name, err)
	}
	return nil
}
