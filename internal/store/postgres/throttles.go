package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/providerportal/portal/internal/store"
)

// Throttle returns the counter for key; a zero Throttle with Key set if
// there is none.
func (db *DB) Throttle(ctx context.Context, key string) (store.Throttle, error) {
	t := store.Throttle{Key: key}
	err := db.pool.QueryRow(ctx,
		`SELECT failures, window_start, locked_until FROM throttles WHERE key = $1`, key,
	).Scan(&t.Failures, scanTime(&t.WindowStart), scanTime(&t.LockedUntil))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, nil
	}
	if err != nil {
		return store.Throttle{}, fmt.Errorf("postgres: throttle: %w", err)
	}
	return t, nil
}

// AddThrottleFailure adds a failure to key at at, in one transaction. A
// window that started before windowStart starts again at at, counting from
// 1. If lock is not nil, lock(newFailures) is stored as LockedUntil;
// otherwise LockedUntil is left as it was. lock must not use the store.
//
// INSERT … ON CONFLICT DO UPDATE is atomic however many instances add to
// the same key at once, and the row it writes stays locked until the
// LockedUntil update commits.
func (db *DB) AddThrottleFailure(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time) (store.Throttle, error) {
	t, _, err := db.addThrottleFailure(ctx, key, at, windowStart, lock, false)
	if err != nil {
		return store.Throttle{}, fmt.Errorf("postgres: add throttle failure: %w", err)
	}
	return t, nil
}

// AddThrottleFailureUnlessLocked is AddThrottleFailure unless key is locked
// at at. The upsert checks the lock on the newest version of the row (ON
// CONFLICT does, even at READ COMMITTED), under the row lock that a
// concurrent call holds until its own LockedUntil is committed: so the
// calls after one that sets a lock find it.
func (db *DB) AddThrottleFailureUnlessLocked(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time) (store.Throttle, bool, error) {
	t, ok, err := db.addThrottleFailure(ctx, key, at, windowStart, lock, true)
	if err != nil {
		return store.Throttle{}, false, fmt.Errorf("postgres: add throttle failure: %w", err)
	}
	return t, ok, nil
}

// addThrottleFailure is AddThrottleFailure or, with unlessLocked,
// AddThrottleFailureUnlessLocked; ok reports whether it counted.
func (db *DB) addThrottleFailure(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time, unlessLocked bool) (t store.Throttle, ok bool, err error) {
	upsert := `
		INSERT INTO throttles (key, failures, window_start) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN throttles.window_start < $3
				THEN 1 ELSE throttles.failures + 1 END,
			window_start = CASE WHEN throttles.window_start < $3
				THEN excluded.window_start ELSE throttles.window_start END`
	if unlessLocked {
		upsert += `
		WHERE throttles.locked_until IS NULL OR throttles.locked_until <= $2`
	}
	upsert += `
		RETURNING failures, window_start, locked_until`
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		t = store.Throttle{Key: key}
		err := tx.QueryRow(ctx, upsert, key, at.UnixMilli(), windowStart.UnixMilli()).
			Scan(&t.Failures, scanTime(&t.WindowStart), scanTime(&t.LockedUntil))
		if unlessLocked && errors.Is(err, pgx.ErrNoRows) {
			// Locked: the counter as it is.
			return tx.QueryRow(ctx,
				`SELECT failures, window_start, locked_until FROM throttles WHERE key = $1`, key,
			).Scan(&t.Failures, scanTime(&t.WindowStart), scanTime(&t.LockedUntil))
		}
		if err != nil {
			return err
		}
		ok = true
		if lock == nil {
			return nil
		}
		until := normalize(lock(t.Failures))
		if until.Equal(t.LockedUntil) {
			return nil // as it is already: most failures lock nothing
		}
		t.LockedUntil = until
		_, err = tx.Exec(ctx,
			`UPDATE throttles SET locked_until = $2 WHERE key = $1`,
			key, timeValue(t.LockedUntil))
		return err
	})
	return t, ok, err
}

// ClearThrottle removes the counter for key, if there is one.
func (db *DB) ClearThrottle(ctx context.Context, key string) error {
	if err := clearThrottle(ctx, db.pool, key); err != nil {
		return fmt.Errorf("postgres: clear throttle: %w", err)
	}
	return nil
}

// clearThrottle is the body of ClearThrottle, on q.
func clearThrottle(ctx context.Context, q querier, key string) error {
	_, err := q.Exec(ctx, `DELETE FROM throttles WHERE key = $1`, key)
	return err
}
