// Package clock is the portal's one clock. Every service that reads the
// time takes a Clock, so that tests move the time (code expiry, cooldowns,
// lockouts, retries) instead of sleeping for it.
package clock

import "time"

// Clock tells the time; the zero Clock (nil) is the wall clock.
type Clock func() time.Time

// Now is the time in UTC.
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c().UTC()
}
