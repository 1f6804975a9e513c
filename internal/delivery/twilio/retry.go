package twilio

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter caps a Retry-After so that a huge or hostile value cannot
// overflow a time.Duration; callers apply their own, shorter ceiling (a
// code that expires in minutes is not worth a day's wait).
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads an HTTP Retry-After value (RFC 9110 §10.2.3):
// either a number of seconds or an HTTP date, which is turned into the
// time left after now (zero if it has passed). ok is false for an empty
// or malformed value.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true // only digits, so it overflowed: very long
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
	case d > maxRetryAfter:
		return maxRetryAfter, true
	}
	return d, true
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
