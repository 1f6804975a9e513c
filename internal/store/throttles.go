package store

import (
	"context"
	"time"
)

// Throttle is a failure counter for a key such as "password:user:42" or
// "password:ip:192.0.2.1".
type Throttle struct {
	Key         string
	Failures    int
	WindowStart time.Time // first failure of the current window
	LockedUntil time.Time
}

// Throttles keeps failure counters used to slow down guessing.
type Throttles interface {
	// Throttle returns the counter for key; a zero Throttle (with Key set)
	// if there is none.
	Throttle(ctx context.Context, key string) (Throttle, error)
	// AddThrottleFailure adds a failure to key at at, atomically. A window
	// that started before windowStart is reset first (count from 1). If
	// lock is not nil, lock(newFailures) is stored as LockedUntil.
	AddThrottleFailure(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time) (Throttle, error)
	// AddThrottleFailureUnlessLocked is AddThrottleFailure unless key is
	// locked at at (LockedUntil after at): then it changes nothing and
	// returns the counter as it is with ok false. The check and the count
	// are one atomic step, so a caller can count a try before knowing its
	// outcome: of many concurrent tries, those after the one whose failure
	// sets a lock find it locked, as they would one after the other.
	AddThrottleFailureUnlessLocked(ctx context.Context, key string, at, windowStart time.Time, lock func(failures int) time.Time) (t Throttle, ok bool, err error)
	// ClearThrottle removes the counter for key.
	ClearThrottle(ctx context.Context, key string) error
}
