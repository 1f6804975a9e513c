package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/store"
)

func insertSession(ctx context.Context, q Querier, s *store.Session) error {
	_, err := q.Exec(ctx, `
		INSERT INTO sessions (token_hash, user_id, stage, attempt_id, pending_phone,
			created_at, last_seen_at, authenticated_at, ip, user_agent, mfa, code_at, previous_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		s.TokenHash, s.UserID, string(s.Stage), s.AttemptID, s.PendingPhone,
		TimeValue(s.CreatedAt), TimeValue(s.LastSeenAt), TimeValue(s.AuthenticatedAt), s.IP, s.UserAgent, s.MFA, TimeValue(s.CodeAt),
		TimeValue(s.PreviousLoginAt))
	return err
}

// CreateSession inserts s.
func (db *DB) CreateSession(ctx context.Context, s *store.Session) error {
	return db.annotate("create session", insertSession(ctx, db.w, s))
}

// StartLogin clears the throttle, creates the session, records the login
// if it is complete and appends the audit events, in one transaction: one
// commit.
func (db *DB) StartLogin(ctx context.Context, l store.LoginStart) error {
	err := db.inTx(ctx, func(tx Querier) error {
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
		return fmt.Errorf("%s: start login: %w", db.name, err)
	}
	return nil
}

// SessionByHash returns the session; store.ErrNotFound for unknown hashes.
func (db *DB) SessionByHash(ctx context.Context, tokenHash []byte) (*store.Session, error) {
	var s store.Session
	err := db.r.QueryRow(ctx, `
		SELECT token_hash, user_id, stage, attempt_id, pending_phone,
			created_at, last_seen_at, authenticated_at, ip, user_agent, mfa, code_at, previous_login_at
		FROM sessions WHERE token_hash = $1`,
		tokenHash,
	).Scan(&s.TokenHash, &s.UserID, &s.Stage, &s.AttemptID, &s.PendingPhone,
		ScanTime(&s.CreatedAt), ScanTime(&s.LastSeenAt), ScanTime(&s.AuthenticatedAt), &s.IP, &s.UserAgent, &s.MFA, ScanTime(&s.CodeAt),
		ScanTime(&s.PreviousLoginAt))
	if err != nil {
		return nil, fmt.Errorf("%s: session: %w", db.name, notFound(err))
	}
	return &s, nil
}

// ReplaceSession deletes the session oldHash and inserts s in one
// transaction; store.ErrNotFound, inserting nothing, if oldHash is gone. Of
// concurrent calls, one deletes the row (on PostgreSQL the first DELETE
// locks it and the others, once it commits, find it gone).
func (db *DB) ReplaceSession(ctx context.Context, oldHash []byte, s *store.Session) error {
	err := db.inTx(ctx, func(tx Querier) error { return replaceSession(ctx, tx, oldHash, s) })
	if err != nil {
		return fmt.Errorf("%s: replace session: %w", db.name, err)
	}
	return nil
}

// replaceSession is the body of ReplaceSession, in tx.
func replaceSession(ctx context.Context, tx Querier, oldHash []byte, s *store.Session) error {
	n, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, oldHash)
	if err != nil {
		return err
	}
	if err := changedOne(n); err != nil {
		return err
	}
	return insertSession(ctx, tx, s)
}

// UpdateSession writes Stage, AttemptID, PendingPhone and LastSeenAt of
// the session s.TokenHash (never what it proved, which changes only with
// its token); store.ErrNotFound if gone.
func (db *DB) UpdateSession(ctx context.Context, s *store.Session) error {
	return db.annotate("update session", updateSession(ctx, db.w, s))
}

// updateSession is the body of UpdateSession, on q.
func updateSession(ctx context.Context, q Querier, s *store.Session) error {
	return updateOne(ctx, q, `
		UPDATE sessions
		SET stage = $2, attempt_id = $3, pending_phone = $4, last_seen_at = $5
		WHERE token_hash = $1`,
		s.TokenHash, string(s.Stage), s.AttemptID, s.PendingPhone, TimeValue(s.LastSeenAt))
}

// TouchSession sets LastSeenAt; store.ErrNotFound if the session is gone.
func (db *DB) TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error {
	return db.update(ctx, "touch session",
		`UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1`,
		tokenHash, TimeValue(at))
}

// DeleteSession deletes the session, if it exists.
func (db *DB) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if err := deleteSession(ctx, db.w, tokenHash); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: delete session: %w", db.name, err)
	}
	return nil
}

// deleteSession deletes the session; store.ErrNotFound if there was none.
func deleteSession(ctx context.Context, q Querier, tokenHash []byte) error {
	return updateOne(ctx, q, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
}

// DeleteUserSessions deletes every session of the user except the one whose
// hash is except (nil: all) and returns how many went.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64, except []byte) (int, error) {
	n, err := deleteUserSessions(ctx, db.w, userID, except)
	if err != nil {
		return 0, fmt.Errorf("%s: delete user sessions: %w", db.name, err)
	}
	return n, nil
}

// deleteUserSessions is the body of DeleteUserSessions, on q.
func deleteUserSessions(ctx context.Context, q Querier, userID int64, except []byte) (int, error) {
	var n int64
	var err error
	if len(except) == 0 {
		n, err = q.Exec(ctx,
			`DELETE FROM sessions WHERE user_id = $1`, userID)
	} else {
		n, err = q.Exec(ctx,
			`DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, userID, except)
	}
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// DeleteExpiredSessions deletes sessions last seen before idleBefore or
// created before createdBefore and returns how many went.
func (db *DB) DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int, error) {
	n, err := db.w.Exec(ctx,
		`DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2`,
		idleBefore.UnixMilli(), createdBefore.UnixMilli())
	return db.deleted(n, err, "delete expired sessions")
}

// deleted is the count of a DELETE that changed n rows, or its error.
func (db *DB) deleted(n int64, err error, what string) (int, error) {
	if err != nil {
		return 0, fmt.Errorf("%s: %s: %w", db.name, what, err)
	}
	return int(n), nil
}
