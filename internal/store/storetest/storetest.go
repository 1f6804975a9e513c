// Package storetest is the conformance suite that every store.Store
// implementation passes, whatever its engine: each sentence of the contracts
// in package store, including the ones about concurrent calls, is checked
// here, so that the domain can rely on them and the engines cannot drift
// apart. An engine's test calls Run with a function opening a fresh store.
package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// Run runs the suite, each test as a subtest on a store of its own. open
// must return an empty, migrated store and close it when t ends
// (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := [][]test{usersTests, userImportTests, adminsTests, userListTests, sessionsTests, sessionUserTests, challengesTests,
		throttlesTests, auditTests, auditListTests, settingsTests, tokensTests, changesTests, oidcTests, overviewTests}
	for _, tests := range groups {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
		}
	}
}

type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// t0 is the suite's "now": fixed, with whole milliseconds, in UTC.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// hash stands for the SHA-256 of a session token or setup token.
func hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func createUser(t *testing.T, s store.Store, email string) *store.User {
	t.Helper()
	u := &store.User{ // #nosec G101 -- a test user whose PasswordHash is a placeholder (base64 of "salt" and "hash"), the hash of no password
		Email:        email,
		Name:         "Test User",
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		CreatedAt:    t0,
	}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", email, err)
	}
	return u
}

func createSession(t *testing.T, s store.Store, userID int64, token string, createdAt, lastSeenAt time.Time) *store.Session {
	t.Helper()
	ss := &store.Session{
		TokenHash:  hash(token),
		UserID:     userID,
		Stage:      store.StageCode,
		AttemptID:  "attempt-" + token,
		CreatedAt:  createdAt,
		LastSeenAt: lastSeenAt,
		IP:         "192.0.2.1",
		UserAgent:  "Test/1.0",
	}
	if err := s.CreateSession(t.Context(), ss); err != nil {
		t.Fatalf("CreateSession(%q): %v", token, err)
	}
	return ss
}

// newChallenge is a five-minute SMS login code created at createdAt.
func newChallenge(userID int64, attemptID string, purpose store.Purpose, createdAt time.Time) *store.Challenge {
	return &store.Challenge{
		UserID:      userID,
		AttemptID:   attemptID,
		Purpose:     purpose,
		Channel:     store.ChannelSMS,
		Destination: "+15555550100",
		CodeHash:    hash("code " + attemptID + createdAt.String()),
		CreatedAt:   createdAt,
		ExpiresAt:   createdAt.Add(5 * time.Minute),
		IP:          "192.0.2.1",
	}
}

// mustList is what list, the store's method name, returns for q; an error
// stops the test.
func mustList[Q, R any](t *testing.T, name string, list func(context.Context, Q) ([]R, error), q Q) []R {
	t.Helper()
	rs, err := list(t.Context(), q)
	if err != nil {
		t.Fatalf("%s(%+v): %v", name, q, err)
	}
	return rs
}

// each is f of every one of rs, in order: empty, not nil, for none.
func each[R, V any](rs []R, f func(R) V) []V {
	vs := []V{}
	for _, r := range rs {
		vs = append(vs, f(r))
	}
	return vs
}

func issue(t *testing.T, s store.Store, c *store.Challenge) *store.Challenge {
	t.Helper()
	mustCreate(t, s.IssueChallenge(t.Context(), c), "IssueChallenge", &c.ID)
	return c
}

// CountLastAdmin counts, of errs, the calls that succeeded and those
// refused with store.ErrLastAdmin; any other error stops the test, said
// with what.
func CountLastAdmin(t *testing.T, what string, errs []error) (ok, last int) {
	t.Helper()
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrLastAdmin):
			last++
		default:
			t.Fatalf("%s: %v", what, err)
		}
	}
	return ok, last
}

// oneSucceeded checks the outcome of a race the store must settle: exactly
// one of errs is nil, and every other is ErrNotFound.
func oneSucceeded(t *testing.T, what string, errs []error) {
	t.Helper()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s: %v", what, err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent %s calls succeeded, want 1", won, len(errs), what)
	}
}

// Concurrently calls f(0) … f(n-1), each in a goroutine of its own, all
// released at once, and waits for them. f may report with t.Error, but
// not stop the test with t.Fatal, which belongs to the test's goroutine.
func Concurrently(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

func wantNotFound(t *testing.T, err error, call string) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: err = %v, want store.ErrNotFound", call, err)
	}
}

// mustNot stops the test if call, which returned err, failed.
func mustNot(t *testing.T, err error, call string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", call, err)
	}
}

// mustCreate is mustNot for a call that creates a record: it stops the
// test too if the call did not set the record's id.
func mustCreate(t *testing.T, err error, call string, id *int64) {
	t.Helper()
	mustNot(t, err, call)
	if *id == 0 {
		t.Fatalf("%s did not set ID", call)
	}
}

// sameTime reports whether a and b are the same instant to the millisecond,
// the precision every engine keeps, or both zero.
func sameTime(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() && b.IsZero()
	}
	d := a.Sub(b)
	return d < time.Millisecond && d > -time.Millisecond
}

// checkRecord compares two records of the same struct type field by field:
// times with sameTime (and a stored time must be in UTC), the rest exactly.
func checkRecord(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if g.Type() != w.Type() || g.Kind() != reflect.Struct {
		t.Fatalf("checkRecord(%s): got %T, want %T", what, got, want)
	}
	for i := range g.NumField() {
		name := g.Type().Field(i).Name
		gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
		if gt, ok := gf.(time.Time); ok {
			wt := wf.(time.Time)
			if !sameTime(gt, wt) {
				t.Errorf("%s.%s = %v, want %v", what, name, gt, wt)
			}
			if !gt.IsZero() && gt.Location() != time.UTC {
				t.Errorf("%s.%s = %v, want it in UTC", what, name, gt)
			}
			continue
		}
		if !reflect.DeepEqual(gf, wf) {
			t.Errorf("%s.%s = %#v, want %#v", what, name, gf, wf)
		}
	}
}
