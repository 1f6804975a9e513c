package login_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/login/logintest"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/enginetest"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/testlog"
)

// TestMain drops the PostgreSQL database that the tests share.
func TestMain(m *testing.M) { os.Exit(enginetest.Main(m)) }

const (
	testPassword = "correct horse battery staple"
	testPhone    = "+447546123456"
)

// harness is a login service on a real store, SQLite or PostgreSQL, with
// a clock the test moves and an outbox that keeps what was sent.
type harness struct {
	t   *testing.T
	ctx context.Context
	*logintest.Stack
	engine enginetest.Engine
	logs   *testlog.Buffer // the service's own log (not the outbox's)
	clk    *logintest.Clock
}

// onEngines runs test once on each storage engine, as the subtests
// "sqlite" and "postgres", each with a harness of its own: the rules must
// hold on both, races included.
func onEngines(t *testing.T, test func(t *testing.T, h *harness)) {
	t.Helper()
	enginetest.Each(t, func(t *testing.T, e enginetest.Engine) { test(t, newHarnessOn(t, e)) })
}

// newHarness is a harness on SQLite, for a test in which the store plays
// no part.
func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessOn(t, enginetest.SQLite)
}

func newHarnessOn(t *testing.T, e enginetest.Engine) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), engine: e, logs: &testlog.Buffer{},
		clk: logintest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))}
	h.Stack = logintest.New(t, e.Open(t), slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	h.Login.Clock = h.clk.Now
	return h
}

// race runs fn(0) … fn(n-1) in n goroutines released at once, and waits
// for them. On PostgreSQL the test fails unless the calls held two or more
// connections at once: a race whose calls reached the database one after
// another would prove nothing about atomicity.
func (h *harness) race(n int, fn func(i int)) {
	h.t.Helper()
	enginetest.PeakConns(h.Store) // count from here
	storetest.Concurrently(n, fn)
	peak := enginetest.PeakConns(h.Store)
	if h.engine.Name == enginetest.PostgreSQL.Name {
		h.t.Logf("%d calls at once held up to %d connections", n, peak)
		if peak < 2 {
			h.t.Errorf("%d calls at once held at most %d connection: they did not overlap in the database", n, peak)
		}
	}
}

var client = login.Client{IP: "192.0.2.10", UserAgent: "test"}

// user creates an account; phone may be empty.
func (h *harness) user(email, phone string) *store.User {
	h.t.Helper()
	return h.User(h.t, login.NewAccount{Email: email, Name: "Test Person", Password: testPassword}, phone)
}

// login logs in with the right password and checks the stage.
func (h *harness) login(email string, want store.Stage) *login.Session {
	h.t.Helper()
	sess, codeErr, err := h.Login.Login(h.ctx, email, testPassword, client)
	if err != nil || codeErr != nil {
		h.t.Fatalf("Login(%s) = %v, %v", email, codeErr, err)
	}
	if sess.Stage != want {
		h.t.Fatalf("Login(%s) stage = %s, want %s", email, sess.Stage, want)
	}
	return sess
}

// fullLogin logs email in with password and code from client c.
func (h *harness) fullLogin(email string, c login.Client) *login.Session {
	h.t.Helper()
	sess, codeErr, err := h.Login.Login(h.ctx, email, testPassword, c)
	if err != nil || codeErr != nil {
		h.t.Fatalf("Login(%s) = %v, %v", email, codeErr, err)
	}
	full, err := h.Login.VerifyLoginCode(h.ctx, sess, h.lastCode(sess.User.Phone), c)
	if err != nil {
		h.t.Fatalf("VerifyLoginCode(%s): %v", email, err)
	}
	return full
}

// codeStep creates email with testPhone and logs in with its password,
// which leaves the login at the code step: the session and the code sent.
func (h *harness) codeStep(email string) (*login.Session, string) {
	h.t.Helper()
	h.user(email, testPhone)
	sess := h.login(email, store.StageCode)
	return sess, h.lastCode(testPhone)
}

// sendCodesUpToFive asks for codes 2 to 5 of sess's login by SMS, 31
// seconds apart (past the wait between codes), so that the next code is
// one over the budget; a refusal stops the test.
func (h *harness) sendCodesUpToFive(sess *login.Session) {
	h.t.Helper()
	for i := 2; i <= 5; i++ {
		h.clk.Advance(31 * time.Second)
		if _, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelSMS, client); err != nil {
			h.t.Fatalf("code %d: %v", i, err)
		}
	}
}

// events are the account's audit events named name, newest first.
func (h *harness) events(userID int64, name string) []store.AuditEvent {
	h.t.Helper()
	all, err := h.Store.AuditForUser(h.ctx, userID, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []store.AuditEvent
	for _, e := range all {
		if e.Event == name {
			out = append(out, e)
		}
	}
	return out
}

// passwordOnly creates email with testPhone, its MFA disabled for an
// hour, and logs it in with the password alone: a session without MFA.
func (h *harness) passwordOnly(email string) *login.Session {
	h.t.Helper()
	u := h.user(email, testPhone)
	if err := h.Store.SetMFADisabledUntil(h.ctx, u.ID, h.clk.Now().Add(time.Hour)); err != nil {
		h.t.Fatal(err)
	}
	sess := h.login(email, store.StageFull)
	if sess.MFA {
		h.t.Fatal("a password-only session claims MFA")
	}
	return sess
}

// lastCode is the code in the newest message to to.
func (h *harness) lastCode(to string) string { h.t.Helper(); return h.LastCode(h.t, to) }

// reload refreshes the session's account from the store, as a new request
// would.
func (h *harness) reload(sess *login.Session) *login.Session {
	h.t.Helper()
	u, err := h.Store.UserByID(h.ctx, sess.UserID)
	if err != nil {
		h.t.Fatal(err)
	}
	sess.User = u
	return sess
}

func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func kindOf(err error) login.Kind {
	var le *login.Error
	if !errors.As(err, &le) {
		return 0
	}
	return le.Kind
}

// failingSMS refuses every message.
type failingSMS struct{ err error }

func (f failingSMS) SendSMS(context.Context, delivery.SMS) error { return f.err }

func assertNoSecrets(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q", where, s)
		}
	}
}
