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
	t := store.Throttle{Key: key}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
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
			return err
		}
		t.LockedUntil = normalize(lock(t.Failures))
		_, err = tx.Exec(ctx,
			`UPDATE throttles SET locked_until = $2 WHERE key = $1`,
			key, timeValue(t.LockedUntil))
		return err
	})
	if err != nil {
		return store.Throttle{}, fmt.Errorf("postgres: add throttle failure: %w", err)
	}
	return t, nil
}

// ClearThrottle removes the counter for key, if there is one.
func (db *DB) ClearThrottle(ctx context.Context, key string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM throttles WHERE key = $1`, key); err != nil {
		return fmt.Errorf("postgres: clear throttle: %w", err)
	}
	return nil
}
