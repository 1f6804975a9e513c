package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/store"
)

func insertSession(ctx context.Context, q querier, s *store.Session) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO sessions (token_hash, user_id, stage, attempt_id, pending_phone,
			created_at, last_seen_at, authenticated_at, ip, user_agent, mfa, code_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		s.TokenHash, s.UserID, string(s.Stage), s.AttemptID, s.PendingPhone,
		timeValue(s.CreatedAt), timeValue(s.LastSeenAt), timeValue(s.AuthenticatedAt), s.IP, s.UserAgent, s.MFA, timeValue(s.CodeAt))
	return err
}

// CreateSession inserts s.
func (db *DB) CreateSession(ctx context.Context, s *store.Session) error {
	if err := insertSession(ctx, db.write, s); err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	return nil
}

// StartLogin clears the throttle, creates the session, records the login
// if it is complete and appends the audit events, in one transaction: one
// commit.
func (db *DB) StartLogin(ctx context.Context, l store.LoginStart) error {
	err := db.inTx(ctx, func(tx *poolTx) error {
		if err := clearThrottle(ctx, tx, l.ClearThrottle); err != nil {
			return err
		}
		if err := insertSession(ctx, tx, l.Session); err != nil {
			return err
		}
		if !l.LoginAt.IsZero() {
			if err := recordLogin(ctx, tx, l.Session.UserID, l.LoginAt); err != nil {
				return err
			}
		}
		return appendAudits(ctx, tx, l.Audit)
	})
	if err != nil {
		return fmt.Errorf("sqlite: start login: %w", err)
	}
	return nil
}

// SessionByHash returns the session; store.ErrNotFound for unknown hashes.
func (db *DB) SessionByHash(ctx context.Context, tokenHash []byte) (*store.Session, error) {
	var s store.Session
	err := db.read.QueryRowContext(ctx, `
		SELECT token_hash, user_id, stage, attempt_id, pending_phone,
			created_at, last_seen_at, authenticated_at, ip, user_agent, mfa, code_at
		FROM sessions WHERE token_hash = $1`,
		tokenHash,
	).Scan(&s.TokenHash, &s.UserID, &s.Stage, &s.AttemptID, &s.PendingPhone,
		scanTime(&s.CreatedAt), scanTime(&s.LastSeenAt), scanTime(&s.AuthenticatedAt), &s.IP, &s.UserAgent, &s.MFA, scanTime(&s.CodeAt))
	if err != nil {
		return nil, fmt.Errorf("sqlite: session: %w", notFound(err))
	}
	return &s, nil
}

// ReplaceSession deletes the session oldHash and inserts s in one
// transaction; store.ErrNotFound, inserting nothing, if oldHash is gone.
func (db *DB) ReplaceSession(ctx context.Context, oldHash []byte, s *store.Session) error {
	err := db.inTx(ctx, func(tx *poolTx) error { return replaceSession(ctx, tx, oldHash, s) })
	if err != nil {
		return fmt.Errorf("sqlite: replace session: %w", err)
	}
	return nil
}

// replaceSession is the body of ReplaceSession, in tx.
func replaceSession(ctx context.Context, tx *poolTx, oldHash []byte, s *store.Session) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, oldHash)
	if err != nil {
		return err
	}
	if err := changedOne(res); err != nil {
		return err
	}
	return insertSession(ctx, tx, s)
}

// UpdateSession writes Stage, AttemptID, PendingPhone and LastSeenAt of
// the session s.TokenHash (never what it proved, which changes only with
// its token); store.ErrNotFound if gone.
func (db *DB) UpdateSession(ctx context.Context, s *store.Session) error {
	if err := updateSession(ctx, db.write, s); err != nil {
		return fmt.Errorf("sqlite: update session: %w", err)
	}
	return nil
}

// updateSession is the body of UpdateSession, on q.
func updateSession(ctx context.Context, q querier, s *store.Session) error {
	return updateOne(ctx, q, `
		UPDATE sessions
		SET stage = $2, attempt_id = $3, pending_phone = $4, last_seen_at = $5
		WHERE token_hash = $1`,
		s.TokenHash, string(s.Stage), s.AttemptID, s.PendingPhone, timeValue(s.LastSeenAt))
}

// TouchSession sets LastSeenAt; store.ErrNotFound if the session is gone.
func (db *DB) TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error {
	res, err := db.write.ExecContext(ctx,
		`UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1`,
		tokenHash, timeValue(at))
	if err == nil {
		err = changedOne(res)
	}
	if err != nil {
		return fmt.Errorf("sqlite: touch session: %w", err)
	}
	return nil
}

// DeleteSession deletes the session, if it exists.
func (db *DB) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if err := deleteSession(ctx, db.write, tokenHash); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}

// deleteSession deletes the session; store.ErrNotFound if there was none.
func deleteSession(ctx context.Context, q querier, tokenHash []byte) error {
	res, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	if err != nil {
		return err
	}
	return changedOne(res)
}

// DeleteUserSessions deletes every session of the user except the one whose
// hash is except (nil: all) and returns how many went.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64, except []byte) (int, error) {
	n, err := deleteUserSessions(ctx, db.write, userID, except)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete user sessions: %w", err)
	}
	return n, nil
}

// deleteUserSessions is the body of DeleteUserSessions, on q.
func deleteUserSessions(ctx context.Context, q querier, userID int64, except []byte) (int, error) {
	var res sql.Result
	var err error
	if len(except) == 0 {
		res, err = q.ExecContext(ctx,
			`DELETE FROM sessions WHERE user_id = $1`, userID)
	} else {
		res, err = q.ExecContext(ctx,
			`DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, userID, except)
	}
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteExpiredSessions deletes sessions last seen before idleBefore or
// created before createdBefore and returns how many went.
func (db *DB) DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int, error) {
	res, err := db.write.ExecContext(ctx,
		`DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2`,
		idleBefore.UnixMilli(), createdBefore.UnixMilli())
	return deleted(res, err, "delete expired sessions")
}

func deleted(res sql.Result, err error, what string) (int, error) {
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return int(n), nil
}
