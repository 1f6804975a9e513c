package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// Throttle returns the counter for key; a zero Throttle with Key set if
// there is none.
func (db *DB) Throttle(ctx context.Context, key string) (store.Throttle, error) {
	t := store.Throttle{Key: key}
	err := db.r.QueryRow(ctx,
		`SELECT failures, window_start, locked_until FROM throttles WHERE key = $1`, key,
	).Scan(&t.Failures, ScanTime(&t.WindowStart), ScanTime(&t.LockedUntil))
	if errors.Is(err, sql.ErrNoRows) {
		return t, nil
	}
	if err != nil {
		return store.Throttle{}, fmt.Errorf("%s: throttle: %w", db.name, err)
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
// LockedUntil update commits (on SQLite the write transaction holds the
// only write lock throughout).
func (db *DB) AddThrottleFailure(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time) (store.Throttle, error) {
	t, _, err := db.addThrottleFailure(ctx, key, at, windowStart, lock, false)
	if err != nil {
		return store.Throttle{}, fmt.Errorf("%s: add throttle failure: %w", db.name, err)
	}
	return t, nil
}

// AddThrottleFailureUnlessLocked is AddThrottleFailure unless key is locked
// at at. The upsert checks the lock on the newest version of the row (ON
// CONFLICT does, even at PostgreSQL's READ COMMITTED), under the row lock
// that a concurrent call holds until its own LockedUntil is committed (on
// SQLite, under the write lock that BEGIN IMMEDIATE takes): so the calls
// after one that sets a lock find it.
func (db *DB) AddThrottleFailureUnlessLocked(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time) (store.Throttle, bool, error) {
	t, ok, err := db.addThrottleFailure(ctx, key, at, windowStart, lock, true)
	if err != nil {
		return store.Throttle{}, false, fmt.Errorf("%s: add throttle failure: %w", db.name, err)
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
	err = db.inTx(ctx, func(tx Querier) error {
		t = store.Throttle{Key: key}
		err := tx.QueryRow(ctx, upsert, key, at.UnixMilli(), windowStart.UnixMilli()).
			Scan(&t.Failures, ScanTime(&t.WindowStart), ScanTime(&t.LockedUntil))
		if unlessLocked && errors.Is(err, sql.ErrNoRows) {
			// Locked: the counter as it is.
			return tx.QueryRow(ctx,
				`SELECT failures, window_start, locked_until FROM throttles WHERE key = $1`, key,
			).Scan(&t.Failures, ScanTime(&t.WindowStart), ScanTime(&t.LockedUntil))
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
			key, TimeValue(t.LockedUntil))
		return err
	})
	return t, ok, err
}

// ClearThrottle removes the counter for key, if there is one.
func (db *DB) ClearThrottle(ctx context.Context, key string) error {
	return db.annotate("clear throttle", clearThrottle(ctx, db.w, key))
}

// clearThrottle is the body of ClearThrottle, on q.
func clearThrottle(ctx context.Context, q Querier, key string) error {
	_, err := q.Exec(ctx, `DELETE FROM throttles WHERE key = $1`, key)
	return err
}
