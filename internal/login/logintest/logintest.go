// Package logintest wires the login service as the tests of login, admin
// and web need it: on a real store (see enginetest), with cheap password
// hashing, an outbox that keeps every message sent and a dispatcher that
// delivers at once, and with a clock the test can move.
package logintest

import (
	"bytes"
	"log/slog"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery/outbox"
	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/dispatch/dispatchtest"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store"
)

// FastPasswords keep tests quick; the production parameters are checked
// in package password and in the command's wiring test.
var FastPasswords = password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// Stack is a login service on a store, with what it sends kept.
type Stack struct {
	Store    store.Store
	Outbox   *outbox.Outbox       // every SMS and email sent
	Dispatch *dispatch.Dispatcher // Login's Dispatch, delivering inline
	Login    *login.Service
}

// New wires a login service on db that logs to log (nil: nowhere). Its
// time is Login.Clock (nil, the wall clock, until a test sets it), which
// the outbox and the dispatcher read too.
func New(t testing.TB, db store.Store, log *slog.Logger) *Stack {
	t.Helper()
	s := &Stack{Store: db}
	now := func() time.Time { return s.Login.Clock.Now() }
	s.Outbox = outbox.New(nil, now)
	s.Dispatch = dispatchtest.Inline(t, db, s.Outbox, s.Outbox, now)
	s.Login = &login.Service{
		Store:      db,
		Dispatch:   s.Dispatch,
		Passwords:  &password.Hasher{Params: FastPasswords}, // hashing slots of its own
		CodeKey:    bytes.Repeat([]byte{7}, 32),
		Rules:      login.DefaultRules(),
		PortalName: "Provider Portal",
		BaseURL:    "https://portal.example.org",
		Log:        log,
	}
	s.Dispatch.OnFinal = s.Login.MessageFinal
	return s
}

// User creates the account a and, unless phone is empty, gives it phone
// as if it had been registered; an error stops the test.
func (s *Stack) User(t testing.TB, a login.NewAccount, phone string) *store.User {
	t.Helper()
	u, err := s.Login.CreateAccount(t.Context(), a, login.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if phone != "" {
		if err := s.Store.SetPhone(t.Context(), u.ID, phone); err != nil {
			t.Fatal(err)
		}
		u.Phone = phone
	}
	return u
}

// Sent counts the messages sent to to, an address or a number.
func (s *Stack) Sent(to string) int {
	n := 0
	for _, m := range s.Outbox.Messages() {
		if m.To == to {
			n++
		}
	}
	return n
}

// CodeRE finds a code in a message's text.
var CodeRE = regexp.MustCompile(`\b(\d{6})\b`)

// LastCode is the code in the newest message to to; the test fails if
// none was sent.
func (s *Stack) LastCode(t testing.TB, to string) string {
	t.Helper()
	for _, m := range s.Outbox.Messages() {
		if m.To == to {
			if c := CodeRE.FindStringSubmatch(m.Body); c != nil {
				return c[1]
			}
		}
	}
	t.Fatalf("no code sent to %s", to)
	return ""
}

// Clock is a time the test moves; the service's goroutines may read it
// while the test moves it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock is a Clock at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
