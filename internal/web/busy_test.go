package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store"
)

const busyText = "The portal is very busy just now. Please try again in a moment."

// holdHashing gives the server's password hasher one slot, held until the
// test ends or release is called: every hash waits briefly and is then
// turned away.
func holdHashing(t *testing.T, svc *login.Service) (release func()) {
	t.Helper()
	svc.Passwords = &password.Hasher{Params: svc.Passwords.Params, Slots: 1, Wait: 20 * time.Millisecond}
	slot, err := svc.Passwords.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(slot.Release)
	return slot.Release
}

func wantBusy(t *testing.T, route string, r response) {
	t.Helper()
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, busyText) {
		t.Errorf("%s with every hashing slot taken: %d, Retry-After %q; want 429 with Retry-After and %q\n%.400s",
			route, r.status, r.header.Get("Retry-After"), busyText, r.body)
	}
}

var linkToken = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

func (e *adminEnv) linkToken(u *store.User, purpose store.TokenPurpose) string {
	e.t.Helper()
	if err := e.Login.SendResetLink(context.Background(), u, purpose); err != nil {
		e.t.Fatal(err)
	}
	msgs := e.Outbox.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := linkToken.FindStringSubmatch(msgs[i].Body); msgs[i].To == u.Email && m != nil {
			return m[1]
		}
	}
	e.t.Fatalf("no link sent to %s", u.Email)
	return ""
}

// TestEveryHashingRouteAnswersBusy: each page that hashes a password
// (login, re-authentication in My Details, the console's confirmation, a
// reset link, an invitation) waits for the same bounded hashing slots and,
// when none comes free, gives the same answer: 429, Retry-After and the
// "very busy" sentence.
func TestEveryHashingRouteAnswersBusy(t *testing.T) {
	adminOnEngines(t, testEveryHashingRouteAnswersBusy)
}

func testEveryHashingRouteAnswersBusy(t *testing.T, e *adminEnv) {
	c := e.adminBrowser()
	e.clock.Advance(16 * time.Minute) // the login is stale: My Details and the console ask for the password
	reset := e.linkToken(e.provider, store.TokenPasswordReset)
	invited := &store.User{Email: "invited@example.org", Name: "Invited Person", CreatedAt: e.clock.Now()}
	if err := e.Store.CreateUser(context.Background(), invited); err != nil {
		t.Fatal(err)
	}
	welcome := e.linkToken(invited, store.TokenInvite)

	release := holdHashing(t, e.Login)
	wantBusy(t, "POST /login", e.post(e.browser(), "/login", "email", e.provider.Email, "password", testPassword))
	wantBusy(t, "POST /my-details/phone", e.post(c, "/my-details/phone", "phone", "+447546654321", "password", testPassword))
	wantBusy(t, "POST /admin/confirm", e.post(c, "/admin/confirm", "next", "/admin/users", "password", testPassword))
	wantBusy(t, "POST /reset-password", e.post(e.browser(), "/reset-password", "token", reset, "password", "violet tractor harbour lemon"))
	wantBusy(t, "POST /welcome", e.post(e.browser(), "/welcome", "token", welcome, "password", "violet tractor harbour lemon"))

	// Turned away, nothing was used up: with a slot free the links work.
	release()
	if r := e.post(e.browser(), "/reset-password", "token", reset, "password", "violet tractor harbour lemon"); r.location != "/login?m=password-set" {
		t.Errorf("the reset link after a busy answer: %d %s", r.status, r.location)
	}
	if r := e.post(e.browser(), "/welcome", "token", welcome, "password", "violet tractor harbour lemon"); r.location != "/login?m=account-ready" {
		t.Errorf("the invitation after a busy answer: %d %s", r.status, r.location)
	}
}

// TestSetupCostsNoHashWithoutTheLink: the set-up form checks its link
// before it hashes, so a bogus link is refused at once even with every
// hashing slot taken; the right one waits for a slot like any other hash.
// Once an account exists, /setup is no page at all, whatever is posted.
func TestSetupCostsNoHashWithoutTheLink(t *testing.T) {
	onEngines(t, testSetupCostsNoHashWithoutTheLink)
}

func testSetupCostsNoHashWithoutTheLink(t *testing.T, e *env) {
	token, _, err := e.Login.EnsureSetupToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	release := holdHashing(t, e.Login)
	r := e.post(c, "/setup", "token", "bogus", "name", "Ada", "email", "ada@example.org", "password", testPassword)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "set-up link has already been used or is not valid") {
		t.Fatalf("a bogus set-up link with every hashing slot taken: %d; want it refused without a hash\n%.400s", r.status, r.body)
	}
	wantBusy(t, "POST /setup with the link", e.post(c, "/setup", "token", token, "name", "Ada", "email", "ada@example.org", "password", testPassword))
	release()
	if r := e.post(c, "/setup", "token", token, "name", "Ada", "email", "ada@example.org", "password", testPassword); r.location != "/login?m=setup-done" {
		t.Fatalf("set-up: %d %s", r.status, r.location)
	}

	holdHashing(t, e.Login)
	for _, tok := range []string{token, "bogus", ""} {
		r := e.post(c, "/setup", "token", tok, "name", "Eve", "email", "eve@example.org", "password", testPassword)
		if r.status != http.StatusNotFound || !strings.Contains(r.body, "Page not found") {
			t.Errorf("POST /setup (token %q) once an account exists: %d, want the unknown-page answer", tok, r.status)
		}
	}
	if r := e.get(c, "/setup?token="+token); r.status != http.StatusNotFound {
		t.Errorf("GET /setup once an account exists: %d, want 404", r.status)
	}
}
