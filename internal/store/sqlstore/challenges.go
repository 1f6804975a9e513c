package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// IssueChallenge, in one transaction, voids the unused challenges of the
// same user, attempt and purpose, carries their highest failure count over
// to c and inserts c, setting c.ID and c.Failures.
//
// The transaction first takes the lock on the user, attempt and purpose
// (Dialect.LockChallenge), so that concurrent issues for them go one at a
// time: otherwise, at PostgreSQL's READ COMMITTED, each would void only
// what was committed before it began, and two new challenges would both
// stay usable. (SQLite's write transaction holds the only write lock.)
func (db *DB) IssueChallenge(ctx context.Context, c *store.Challenge) error {
	return db.annotate("issue challenge", db.inTx(ctx, func(tx Querier) error { return db.issueChallenge(ctx, tx, c) }))
}

// issueChallenge is IssueChallenge inside the transaction tx.
func (db *DB) issueChallenge(ctx context.Context, tx Querier, c *store.Challenge) error {
	err := db.d.LockChallenge(ctx, tx, c.UserID, c.AttemptID, c.Purpose)
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
		c.UserID, c.AttemptID, string(c.Purpose), TimeValue(c.CreatedAt))
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
		failures, TimeValue(c.CreatedAt), TimeValue(c.ExpiresAt), TimeValue(c.ConsumedAt),
		TimeValue(c.VoidedAt), TimeValue(c.UndeliveredAt), c.IP,
	).Scan(&id)
	if err != nil {
		return err
	}
	c.ID, c.Failures = id, failures
	verified := 0
	if !c.ConsumedAt.IsZero() {
		verified = 1
	}
	return tallyCode(ctx, tx, id, 1, verified)
}

// LatestChallenge returns the newest challenge of the user, attempt and
// purpose, used or not; store.ErrNotFound if none.
func (db *DB) LatestChallenge(ctx context.Context, userID int64, attemptID string, purpose store.Purpose) (*store.Challenge, error) {
	var c store.Challenge
	err := db.r.QueryRow(ctx, `
		SELECT id, user_id, attempt_id, purpose, channel, destination, code_hash,
			failures, created_at, expires_at, consumed_at, voided_at, undelivered_at, ip
		FROM challenges
		WHERE user_id = $1 AND attempt_id = $2 AND purpose = $3
		ORDER BY created_at DESC, id DESC
		LIMIT 1`,
		userID, attemptID, string(purpose),
	).Scan(&c.ID, &c.UserID, &c.AttemptID, &c.Purpose, &c.Channel, &c.Destination, &c.CodeHash,
		&c.Failures, ScanTime(&c.CreatedAt), ScanTime(&c.ExpiresAt), ScanTime(&c.ConsumedAt),
		ScanTime(&c.VoidedAt), ScanTime(&c.UndeliveredAt), &c.IP)
	if err != nil {
		return nil, fmt.Errorf("%s: latest challenge: %w", db.name, notFound(err))
	}
	return &c, nil
}

// MarkChallengeUndelivered records that sending the challenge failed.
func (db *DB) MarkChallengeUndelivered(ctx context.Context, id int64, at time.Time) error {
	return db.update(ctx, "mark challenge undelivered",
		`UPDATE challenges SET undelivered_at = $2 WHERE id = $1`, id, TimeValue(at))
}

// ConsumeChallenge marks the challenge used at at if it is neither used nor
// voided nor expired at at, in one conditional UPDATE: of many concurrent
// calls exactly one changes the row (on PostgreSQL the first locks the
// row, and the others, once it commits, check the condition again on the
// row it left and change nothing). Unknown ids report false.
func (db *DB) ConsumeChallenge(ctx context.Context, id int64, at time.Time) (bool, error) {
	var ok bool
	err := db.inTx(ctx, func(tx Querier) error {
		var err error
		ok, err = consumeChallenge(ctx, tx, id, at)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("%s: consume challenge: %w", db.name, err)
	}
	return ok, nil
}

// consumeChallenge is the body of ConsumeChallenge, in the transaction
// tx: the code used is tallied for the Overview.
func consumeChallenge(ctx context.Context, tx Querier, id int64, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `
		UPDATE challenges SET consumed_at = $2
		WHERE id = $1 AND consumed_at IS NULL AND voided_at IS NULL AND expires_at > $2`,
		id, at.UnixMilli())
	if err != nil || n != 1 {
		return false, err
	}
	return true, tallyCode(ctx, tx, id, 0, 1)
}

// CompleteLogin consumes the code, replaces the session, records the login
// and appends the audit events, in one transaction: one commit.
func (db *DB) CompleteLogin(ctx context.Context, l store.LoginCompletion) error {
	err := db.inTx(ctx, func(tx Querier) error {
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
		return fmt.Errorf("%s: complete login: %w", db.name, err)
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
	err := db.inTx(ctx, func(tx Querier) error {
		var userID int64
		// $3 is cast: to PostgreSQL a CASE of a bare parameter and NULL
		// would be text.
		err := tx.QueryRow(ctx, `
			UPDATE challenges
			SET failures = failures + 1,
				voided_at = CASE WHEN failures + 1 >= $2 THEN CAST($3 AS BIGINT) ELSE NULL END
			WHERE id = $1 AND consumed_at IS NULL AND voided_at IS NULL AND expires_at > CAST($3 AS BIGINT)
			RETURNING failures, voided_at IS NOT NULL, user_id`,
			w.ChallengeID, w.MaxTries, w.At.UnixMilli(),
		).Scan(&r.Failures, &r.Voided, &userID)
		if errors.Is(err, sql.ErrNoRows) {
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
			userID).Scan(&r.InARow, ScanTime(&r.LockedUntil))
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
			userID, TimeValue(until))
		return err
	})
	if err != nil {
		return store.WrongCodeCount{}, fmt.Errorf("%s: count wrong code: %w", db.name, err)
	}
	return r, nil
}

// ChallengeTimesForUser returns when the user's newest challenges issued
// at or after since were issued, newest first, at most limit of them.
func (db *DB) ChallengeTimesForUser(ctx context.Context, userID int64, since time.Time, limit int) ([]time.Time, error) {
	rows, err := db.r.Query(ctx, `
		SELECT created_at FROM challenges
		WHERE user_id = $1 AND created_at >= $2
		ORDER BY created_at DESC
		LIMIT $3`,
		userID, since.UnixMilli(), limit)
	times, err := collect(rows, err, func(row Row) (t time.Time, err error) {
		return t, row.Scan(ScanTime(&t))
	})
	return times, db.annotate("challenge times for user", err)
}

// NewestChallenge returns the user's newest challenge for purpose, of any
// attempt; store.ErrNotFound if none.
func (db *DB) NewestChallenge(ctx context.Context, userID int64, purpose store.Purpose) (*store.Challenge, error) {
	var c store.Challenge
	err := db.r.QueryRow(ctx, `
		SELECT id, user_id, attempt_id, purpose, channel, destination, code_hash,
			failures, created_at, expires_at, consumed_at, voided_at, undelivered_at, ip
		FROM challenges
		WHERE user_id = $1 AND purpose = $2
		ORDER BY created_at DESC, id DESC
		LIMIT 1`,
		userID, string(purpose),
	).Scan(&c.ID, &c.UserID, &c.AttemptID, &c.Purpose, &c.Channel, &c.Destination, &c.CodeHash,
		&c.Failures, ScanTime(&c.CreatedAt), ScanTime(&c.ExpiresAt), ScanTime(&c.ConsumedAt),
		ScanTime(&c.VoidedAt), ScanTime(&c.UndeliveredAt), &c.IP)
	if err != nil {
		return nil, fmt.Errorf("%s: newest challenge: %w", db.name, notFound(err))
	}
	return &c, nil
}

// TakeOverChallenge gives the session the challenge's attempt and ends the
// other half-finished logins holding it, in one transaction.
func (db *DB) TakeOverChallenge(ctx context.Context, t store.ChallengeTakeOver) error {
	err := db.inTx(ctx, func(tx Querier) error {
		var userID int64
		var attempt string
		err := tx.QueryRow(ctx, `
			SELECT user_id, attempt_id FROM challenges
			WHERE id = $1 AND expires_at > $2 AND consumed_at IS NULL AND voided_at IS NULL`+db.d.ForUpdate(),
			t.ChallengeID, t.At.UnixMilli()).Scan(&userID, &attempt)
		if err != nil {
			return notFound(err)
		}
		n, err := tx.Exec(ctx, `
			UPDATE sessions SET attempt_id = $3
			WHERE token_hash = $1 AND user_id = $2 AND stage = $4`,
			t.Session, userID, attempt, string(store.StageCode))
		if err != nil {
			return err
		}
		if err := changedOne(n); err != nil {
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
		return fmt.Errorf("%s: take over challenge: %w", db.name, err)
	}
	return nil
}

// countForUserToQuery is the destination budget's count for one user, on
// an index of the hour's challenges (TestQueryPlans); the count for any
// user is queries.countToDestination.
const countForUserToQuery = `SELECT COUNT(*) FROM challenges WHERE user_id = $1 AND destination = $2 AND created_at >= $3`

// CountChallengesForUserTo counts the challenges of the user sent to dest
// at or after since.
func (db *DB) CountChallengesForUserTo(ctx context.Context, userID int64, dest string, since time.Time) (int, error) {
	var n int
	err := db.r.QueryRow(ctx, countForUserToQuery, userID, dest, since.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("%s: count challenges for user to destination: %w", db.name, err)
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
	err := db.r.QueryRow(ctx, db.q.countToDestination, dest, db.d.List(list), since.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("%s: count challenges to destination: %w", db.name, err)
	}
	return n, nil
}
