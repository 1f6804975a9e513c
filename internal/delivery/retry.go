package delivery

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps a Retry-After so that a huge or hostile value cannot
// overflow a time.Duration; callers apply their own, shorter ceiling (a
// code that expires in minutes is not worth a day's wait).
const MaxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads an HTTP Retry-After value (RFC 9110 §10.2.3):
// either a number of seconds or an HTTP date, which is turned into the
// time left after now (zero if it has passed). ok is false for an empty
// or malformed value. Every sender that reads the header uses it.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true // only digits, so it overflowed: very long
		}
		return time.Duration(secs) * time.Second, true
	}
	when, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d = when.Sub(now)
	switch {
	case d < 0:
		return 0, true
	case d > MaxRetryAfter:
		return MaxRetryAfter, true
	}
	return d, true
}

// Backoff is the wait after the n-th failure in a row (n from 1): base,
// doubling with each further failure, capped at limit. It is the one
// backoff of the portal: the dispatcher's retries, the back-channel
// logouts' and the login's throttles all use it.
func Backoff(n int, base, limit time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Drain works a queue until ctx ends: the dispatcher's messages, the
// back-channel logouts. claim sends what is due, at most batch items, and
// returns how many it claimed; Drain calls it again at once while it
// claims whole batches, then waits for the next poll or for kick (work
// just queued). An error is logged as what failed, and waits for the
// next turn.
func Drain(ctx context.Context, poll time.Duration, batch int, kick <-chan struct{}, log *slog.Logger, what string, claim func(context.Context) (int, error)) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		for {
			n, err := claim(ctx)
			if err != nil && ctx.Err() == nil {
				log.Error(what, "err", err)
			}
			if n < batch || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
		}
	}
}
