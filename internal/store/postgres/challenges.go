package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/providerportal/portal/internal/store"
)

// IssueChallenge, in one transaction, voids the unused challenges of the
// same user, attempt and purpose, carries their highest failure count over
// to c and inserts c, setting c.ID and c.Failures.
//
// The transaction first takes an advisory lock on the user, attempt and
// purpose, so that concurrent issues for them go one at a time: otherwise,
// at READ COMMITTED, each would void only what was committed before it
// began, and two new challenges would both stay usable.
func (db *DB) IssueChallenge(ctx context.Context, c *store.Challenge) error {
	if err := db.inTx(ctx, func(tx pgx.Tx) error { return issueChallenge(ctx, tx, c) }); err != nil {
		return fmt.Errorf("postgres: issue challenge: %w", err)
	}
	return nil
}

// issueChallenge is IssueChallenge inside the transaction tx.
func issueChallenge(ctx context.Context, tx pgx.Tx, c *store.Challenge) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`,
		lockChallenges, lockKey(strconv.FormatInt(c.UserID, 10), c.AttemptID, string(c.Purpose)))
	if err != nil {
		return err
	}
	var failures int
	err = tx.QueryRow(ctx, `
		SELECT COALESCE(MAX(failures), 0) FROM challenges
		WHERE user_id = $1 AND attempt_id = $2 AND purpose = $3`,
		c.UserID, c.AttemptID, string(c.Purpose)).Scan(&failures)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
		UPDATE challenges SET voided_at = $4
		WHERE user_id = $1 AND attempt_id = $2 AND purpose = $3
			AND consumed_at IS NULL AND voided_at IS NULL`,
		c.UserID, c.AttemptID, string(c.Purpose), timeValue(c.CreatedAt))
	if err != nil {
		return err
	}
	var id int64
	err = tx.QueryRow(ctx, `
		INSERT INTO challenges (user_id, attempt_id, purpose, channel, destination, code_hash,
			failures, created_at, expires_at, consumed_at, voided_at, undelivered_at, ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		RETURNING id`,
		c.UserID, c.AttemptID, string(c.Purpose), string(c.Channel), c.Destination, c.CodeHash,
		failures, timeValue(c.CreatedAt), timeValue(c.ExpiresAt), timeValue(c.ConsumedAt),
		timeValue(c.VoidedAt), timeValue(c.UndeliveredAt), c.IP,
	).Scan(&id)
	if err != nil {
		return err
	}
	c.ID, c.Failures = id, failures
	return nil
}

// LatestChallenge returns the newest challenge of the user, attempt and
// purpose, used or not; store.ErrNotFound if none.
func (db *DB) LatestChallenge(ctx context.Context, userID int64, attemptID string, purpose store.Purpose) (*store.Challenge, error) {
	var c store.Challenge
	err := db.pool.QueryRow(ctx, `
		SELECT id, user_id, attempt_id, purpose, channel, destination, code_hash,
			failures, created_at, expires_at, consumed_at, voided_at, undelivered_at, ip
		FROM challenges
		WHERE user_id = $1 AND attempt_id = $2 AND purpose = $3
		ORDER BY created_at DESC, id DESC
		LIMIT 1`,
		userID, attemptID, string(purpose),
	).Scan(&c.ID, &c.UserID, &c.AttemptID, &c.Purpose, &c.Channel, &c.Destination, &c.CodeHash,
		&c.Failures, scanTime(&c.CreatedAt), scanTime(&c.ExpiresAt), scanTime(&c.ConsumedAt),
		scanTime(&c.VoidedAt), scanTime(&c.UndeliveredAt), &c.IP)
	if err != nil {
		return nil, fmt.Errorf("postgres: latest challenge: %w", notFound(err))
	}
	return &c, nil
}

// MarkChallengeUndelivered records that sending the challenge failed.
func (db *DB) MarkChallengeUndelivered(ctx context.Context, id int64, at time.Time) error {
	return db.update(ctx, "mark challenge undelivered",
		`UPDATE challenges SET undelivered_at = $2 WHERE id = $1`, id, timeValue(at))
}

// ConsumeChallenge marks the challenge used at at if it is neither used nor
// voided nor expired at at, in one conditional UPDATE: of many concurrent
// calls the first locks the row, and the others, once it commits, check
// the condition again on the row it left and change nothing. Unknown ids
// report false.
func (db *DB) ConsumeChallenge(ctx context.Context, id int64, at time.Time) (bool, error) {
	ok, err := consumeChallenge(ctx, db.pool, id, at)
	if err != nil {
		return false, fmt.Errorf("postgres: consume challenge: %w", err)
	}
	return ok, nil
}

// consumeChallenge is the body of ConsumeChallenge, on q.
func consumeChallenge(ctx context.Context, q querier, id int64, at time.Time) (bool, error) {
	tag, err := q.Exec(ctx, `
		UPDATE challenges SET consumed_at = $2
		WHERE id = $1 AND consumed_at IS NULL AND voided_at IS NULL AND expires_at > $2`,
		id, at.UnixMilli())
	return err == nil && tag.RowsAffected() == 1, err
}

// CompleteLogin consumes the code, replaces the session, records the login
// and appends the audit events, in one transaction: one commit.
func (db *DB) CompleteLogin(ctx context.Context, l store.LoginCompletion) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if ok, err := consumeChallenge(ctx, tx, l.ChallengeID, l.At); err != nil || !ok {
			return cmp.Or(err, store.ErrNotFound)
		}
		if err := replaceSession(ctx, tx, l.OldSession, l.Session); err != nil {
			return err
		}
		if err := recordLogin(ctx, tx, l.Session.UserID, l.At); err != nil {
			return err
		}
		return appendAudits(ctx, tx, l.Audit)
	})
	if err != nil {
		return fmt.Errorf("postgres: complete login: %w", err)
	}
	return nil
}

// CountWrongCode counts a wrong code against the challenge and its account
// in one transaction. The challenge's conditional UPDATE decides whether
// the try counts at all; it locks the challenge's row, so concurrent tries
// wait for each other and each sees the tries before it (a try that finds
// the challenge voided meanwhile changes nothing). Only a counted try adds
// to the account's count. store.ErrNotFound for unknown ids.
func (db *DB) CountWrongCode(ctx context.Context, w store.WrongCode) (store.WrongCodeCount, error) {
	var r store.WrongCodeCount
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var userID int64
		// $3 is cast: a CASE of a bare parameter and NULL would be text.
		err := tx.QueryRow(ctx, `
			UPDATE challenges
			SET failures = failures + 1,
				voided_at = CASE WHEN failures + 1 >= $2 THEN $3::bigint ELSE NULL END
			WHERE id = $1 AND consumed_at IS NULL AND voided_at IS NULL AND expires_at > $3::bigint
			RETURNING failures, voided_at IS NOT NULL, user_id`,
			w.ChallengeID, w.MaxTries, w.At.UnixMilli(),
		).Scan(&r.Failures, &r.Voided, &userID)
		if errors.Is(err, pgx.ErrNoRows) {
			// Used, voided, expired or not there: say which.
			return notFound(tx.QueryRow(ctx, `
				SELECT failures, voided_at IS NOT NULL, consumed_at IS NOT NULL
				FROM challenges WHERE id = $1`, w.ChallengeID,
			).Scan(&r.Failures, &r.Voided, &r.Used))
		}
		if err != nil {
			return err
		}
		r.Counted = true
		err = tx.QueryRow(ctx, `
			UPDATE users SET code_failures = code_failures + 1
			WHERE id = $1
			RETURNING code_failures, code_locked_until`,
			userID).Scan(&r.InARow, scanTime(&r.LockedUntil))
		if err != nil || w.Lock == nil {
			return err
		}
		until := normalize(w.Lock(r.InARow))
		if until.Equal(r.LockedUntil) {
			return nil // as it is already: most wrong codes lock nothing
		}
		r.LockedUntil = until
		_, err = tx.Exec(ctx,
			`UPDATE users SET code_locked_until = $2 WHERE id = $1`,
			userID, timeValue(until))
		return err
	})
	if err != nil {
		return store.WrongCodeCount{}, fmt.Errorf("postgres: count wrong code: %w", err)
	}
	return r, nil
}

// ChallengeTimesForUser returns when the user's newest challenges issued
// at or after since were issued, newest first, at most limit of them.
func (db *DB) ChallengeTimesForUser(ctx context.Context, userID int64, since time.Time, limit int) ([]time.Time, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT created_at FROM challenges
		WHERE user_id = $1 AND created_at >= $2
		ORDER BY created_at DESC
		LIMIT $3`,
		userID, since.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: challenge times for user: %w", err)
	}
	defer rows.Close()
	var times []time.Time
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(scanTime(&t)); err != nil {
			return nil, fmt.Errorf("postgres: challenge times for user: %w", err)
		}
		times = append(times, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: challenge times for user: %w", err)
	}
	return times, nil
}

// NewestChallenge returns the user's newest challenge for purpose, of any
// attempt; store.ErrNotFound if none.
func (db *DB) NewestChallenge(ctx context.Context, userID int64, purpose store.Purpose) (*store.Challenge, error) {
	var c store.Challenge
	err := db.pool.QueryRow(ctx, `
		SELECT id, user_id, attempt_id, purpose, channel, destination, code_hash,
			failures, created_at, expires_at, consumed_at, voided_at, undelivered_at, ip
		FROM challenges
		WHERE user_id = $1 AND purpose = $2
		ORDER BY created_at DESC, id DESC
		LIMIT 1`,
		userID, string(purpose),
	).Scan(&c.ID, &c.UserID, &c.AttemptID, &c.Purpose, &c.Channel, &c.Destination, &c.CodeHash,
		&c.Failures, scanTime(&c.CreatedAt), scanTime(&c.ExpiresAt), scanTime(&c.ConsumedAt),
		scanTime(&c.VoidedAt), scanTime(&c.UndeliveredAt), &c.IP)
	if err != nil {
		return nil, fmt.Errorf("postgres: newest challenge: %w", notFound(err))
	}
	return &c, nil
}

// TakeOverChallenge gives the session the challenge's attempt and ends the
// other half-finished logins holding it, in one transaction.
func (db *DB) TakeOverChallenge(ctx context.Context, t store.ChallengeTakeOver) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var userID int64
		var attempt string
		err := tx.QueryRow(ctx, `
			SELECT user_id, attempt_id FROM challenges
			WHERE id = $1 AND expires_at > $2 AND consumed_at IS NULL AND voided_at IS NULL
			FOR UPDATE`,
			t.ChallengeID, t.At.UnixMilli()).Scan(&userID, &attempt)
		if err != nil {
			return notFound(err)
		}
		res, err := tx.Exec(ctx, `
			UPDATE sessions SET attempt_id = $3
			WHERE token_hash = $1 AND user_id = $2 AND stage = $4`,
			t.Session, userID, attempt, string(store.StageCode))
		if err != nil {
			return err
		}
		if err := changedOne(res); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			DELETE FROM sessions
			WHERE user_id = $1 AND attempt_id = $2 AND stage = $3 AND token_hash <> $4`,
			userID, attempt, string(store.StageCode), t.Session)
		if err != nil {
			return err
		}
		return appendAudits(ctx, tx, t.Audit)
	})
	if err != nil {
		return fmt.Errorf("postgres: take over challenge: %w", err)
	}
	return nil
}

// CountChallengesForUserTo counts the challenges of the user sent to dest
// at or after since.
func (db *DB) CountChallengesForUserTo(ctx context.Context, userID int64, dest string, since time.Time) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx,
		`SELECT COUNT(*) FROM challenges WHERE user_id = $1 AND destination = $2 AND created_at >= $3`,
		userID, dest, since.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: count challenges for user to destination: %w", err)
	}
	return n, nil
}

// CountChallengesToDestination counts the challenges of one of purposes
// sent to dest at or after since, for any account.
func (db *DB) CountChallengesToDestination(ctx context.Context, dest string, purposes []store.Purpose, since time.Time) (int, error) {
	list := make([]string, len(purposes))
	for i, p := range purposes {
		list[i] = string(p)
	}
	var n int
	err := db.pool.QueryRow(ctx,
		`SELECT COUNT(*) FROM challenges WHERE destination = $1 AND purpose = ANY($2) AND created_at >= $3`,
		dest, list, since.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: count challenges to destination: %w", err)
	}
	return n, nil
}
