// Package gatewaytest holds the checks that the tests of the SMS
// gateways' senders (internal/delivery/twilio and internal/delivery/webhook)
// make alike: how a sender refuses a bad configuration, how it fails when
// the gateway is gone or silent, and that no error carries the message.
package gatewaytest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery"
)

// Refusal is one bad setting: the change that makes a good configuration
// bad, and words the refusal must contain.
type Refusal[S any] struct {
	Name   string
	Change func(*S)
	Want   string
}

// RefusesEach checks, in a subtest for each refusal, that check (named
// checkName in failures) refuses a copy of ok with the change made, in
// words that name the setting.
func RefusesEach[S any](t *testing.T, ok S, checkName string, check func(*S) error, refusals []Refusal[S]) {
	t.Helper()
	for _, r := range refusals {
		t.Run(r.Name, func(t *testing.T) {
			s := ok
			r.Change(&s)
			if err := check(&s); err == nil || !strings.Contains(err.Error(), r.Want) {
				t.Errorf("%s = %v, want an error about %q", checkName, err, r.Want)
			}
		})
	}
}

// NoBody fails if err carries the SMS body or the code in it, since
// errors end up in logs.
func NoBody(t testing.TB, err error, body, code string) {
	t.Helper()
	if err == nil {
		return
	}
	if msg := err.Error(); strings.Contains(msg, body) || strings.Contains(msg, code) {
		t.Errorf("error contains the message body: %q", msg)
	}
}

// Temporary fails unless err is a failure to try again (not
// delivery.ErrPermanent) that carries neither body nor code.
func Temporary(t testing.TB, err error, body, code string) {
	t.Helper()
	if err == nil || errors.Is(err, delivery.ErrPermanent) {
		t.Fatalf("err = %v, want a temporary error", err)
	}
	NoBody(t, err, body, code)
}

// TimesOut checks a sender against a gateway that never answers: with its
// timeout set to 200ms, send fails within two seconds with a temporary
// context.DeadlineExceeded that carries neither body nor code; with its
// timeout set to a minute, the caller's shorter deadline wins.
func TimesOut(t *testing.T, setTimeout func(time.Duration), send func(context.Context) error, body, code string) {
	t.Helper()
	setTimeout(200 * time.Millisecond)
	start := time.Now()
	err := send(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, delivery.ErrPermanent) {
		t.Fatalf("err = %v, want a temporary context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("returned after %v, want about the 200ms timeout", elapsed)
	}
	NoBody(t, err, body, code)

	setTimeout(time.Minute)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := send(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with the caller's deadline: err = %v, want context.DeadlineExceeded", err)
	}
}

// RefusesZero fails unless err, the refusal of a zero configuration,
// lists all of its problems, one a line.
func RefusesZero(t testing.TB, err error, problems int) {
	t.Helper()
	if err == nil || strings.Count(err.Error(), "\n") != problems-1 {
		t.Errorf("Validate of the zero Sender = %q, want all %d problems", err, problems)
	}
}
