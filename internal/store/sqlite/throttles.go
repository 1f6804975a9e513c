package sqlite

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
	err := db.read.QueryRowContext(ctx,
		`SELECT failures, window_start, locked_until FROM throttles WHERE key = $1`, key,
	).Scan(&t.Failures, scanTime(&t.WindowStart), scanTime(&t.LockedUntil))
	if errors.Is(err, sql.ErrNoRows) {
		return t, nil
	}
	if err != nil {
		return store.Throttle{}, fmt.Errorf("sqlite: throttle: %w", err)
	}
	return t, nil
}

// AddThrottleFailure adds a failure to key at at, in one transaction. A
// window that started before windowStart starts again at at, counting from
// 1. If lock is not nil, lock(newFailures) is stored as LockedUntil;
// otherwise LockedUntil is left as it was. lock must not use the store.
func (db *DB) AddThrottleFailure(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time) (store.Throttle, error) {
	var t store.Throttle
	err := db.inTx(ctx, func(tx *poolTx) (err error) {
		t, err = addThrottleFailure(ctx, tx, key, at, windowStart, lock)
		return err
	})
	if err != nil {
		return store.Throttle{}, fmt.Errorf("sqlite: add throttle failure: %w", err)
	}
	return t, nil
}

// addThrottleFailure is the body of AddThrottleFailure, in tx.
func addThrottleFailure(ctx context.Context, tx *poolTx, key string, at, windowStart time.Time, lock func(failures int) time.Time) (store.Throttle, error) {
	t := store.Throttle{Key: key}
	err := tx.QueryRowContext(ctx, `
		INSERT INTO throttles (key, failures, window_start) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN throttles.window_start < $3
				THEN 1 ELSE throttles.failures + 1 END,
			window_start = CASE WHEN throttles.window_start < $3
				THEN excluded.window_start ELSE throttles.window_start END
		RETURNING failures, window_start, locked_until`,
		key, at.UnixMilli(), windowStart.UnixMilli(),
	).Scan(&t.Failures, scanTime(&t.WindowStart), scanTime(&t.LockedUntil))
	if err != nil || lock == nil {
		return t, err
	}
	until := normalize(lock(t.Failures))
	if until.Equal(t.LockedUntil) {
		return t, nil // as it is already: most failures lock nothing
	}
	t.LockedUntil = until
	_, err = tx.ExecContext(ctx,
		`UPDATE throttles SET locked_until = $2 WHERE key = $1`,
		key, timeValue(t.LockedUntil))
	return t, err
}

// AddThrottleFailureUnlessLocked is AddThrottleFailure, in the same
// transaction as a check of the lock: the write lock that BEGIN IMMEDIATE
// takes serializes it with every other change.
func (db *DB) AddThrottleFailureUnlessLocked(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time) (store.Throttle, bool, error) {
	t := store.Throttle{Key: key}
	ok := false
	err := db.inTx(ctx, func(tx *poolTx) error {
		err := tx.QueryRowContext(ctx,
			`SELECT failures, window_start, locked_until FROM throttles WHERE key = $1`, key,
		).Scan(&t.Failures, scanTime(&t.WindowStart), scanTime(&t.LockedUntil))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case t.LockedUntil.After(at):
			return nil
		}
		ok = true
		t, err = addThrottleFailure(ctx, tx, key, at, windowStart, lock)
		return err
	})
	if err != nil {
		return store.Throttle{}, false, fmt.Errorf("sqlite: add throttle failure: %w", err)
	}
	return t, ok, nil
}

// ClearThrottle removes the counter for key, if there is one.
func (db *DB) ClearThrottle(ctx context.Context, key string) error {
	if err := clearThrottle(ctx, db.write, key); err != nil {
		return fmt.Errorf("sqlite: clear throttle: %w", err)
	}
	return nil
}

// clearThrottle is the body of ClearThrottle, on q.
func clearThrottle(ctx context.Context, q querier, key string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM throttles WHERE key = $1`, key)
	return err
}
