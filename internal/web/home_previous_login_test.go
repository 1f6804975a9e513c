package web_test

import (
	"net/http"
	"regexp"
	"testing"
	"time"
)

// previousLoginOf is what the home page says about the login before.
func previousLoginOf(t *testing.T, e *adminEnv, c *http.Client) string {
	t.Helper()
	r := e.get(c, "/")
	m := regexp.MustCompile(`<p class="hint previous-login">([^<]*)</p>`).FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("home page: %d, no previous-login line\n%s", r.status, r.body)
	}
	return m[1]
}

// TestHomeShowsTheLoginBeforeThisOne: the home page said "Previous login"
// of the login that had just happened (the account's last login, which
// this one had become); it now shows the one before, so that a login that
// was not the person's can be noticed (issue 17), and says so at the first
// login. Typing the password again and the console's step up (which
// records a login) leave it alone, and so do logins elsewhere since.
func TestHomeShowsTheLoginBeforeThisOne(t *testing.T) {
	adminOnEngines(t, testHomeShowsTheLoginBeforeThisOne)
}

func testHomeShowsTheLoginBeforeThisOne(t *testing.T, e *adminEnv) {
	const first = "This is your first login."
	previous := func(at string) string {
		return "Previous login: 5 January 2026 at " + at + " UTC. If that was not you, contact your system administrator."
	}

	laptop := e.browser()
	e.loginFull(laptop, e.provider.Email, providerPhone) // 09:00
	if got := previousLoginOf(t, e, laptop); got != first {
		t.Errorf("the first login's home page says %q, want %q", got, first)
	}
	e.clock.Advance(25 * time.Minute)
	phone := e.browser()
	e.loginFull(phone, e.provider.Email, providerPhone) // 09:25
	if got := previousLoginOf(t, e, phone); got != previous("09:00") {
		t.Errorf("the second login's home page says %q, want %q", got, previous("09:00"))
	}
	if got := previousLoginOf(t, e, laptop); got != first {
		t.Errorf("the first login's home page after a second login elsewhere says %q, want %q", got, first)
	}

	// The password typed again at My Details: the same login.
	e.clock.Advance(20 * time.Minute)
	if r := e.post(phone, "/my-details/phone", "phone", newPhone, "password", testPassword); r.location != "/my-details/phone/verify" {
		t.Fatalf("phone change with the password: %d %q\n%s", r.status, r.location, r.body)
	}
	if got := previousLoginOf(t, e, phone); got != previous("09:00") {
		t.Errorf("after the password was typed again the home page says %q, want %q", got, previous("09:00"))
	}

	// The console's step up records a login, and is not one.
	admin := e.browser()
	e.loginFull(admin, e.admin.Email, adminPhone) // 09:45
	e.clock.Advance(25 * time.Minute)
	again := e.browser()
	e.loginFull(again, e.admin.Email, adminPhone) // 10:10
	e.clock.Advance(16 * time.Minute)
	if r := e.post(again, "/admin/confirm", "next", "/admin/users", "password", testPassword); r.status != http.StatusOK {
		t.Fatalf("step up, password: %d", r.status)
	}
	if r := e.post(again, "/admin/confirm/code", "next", "/admin/users", "code", e.lastCode(adminPhone)); r.location != "/admin/users" {
		t.Fatalf("step up, code: %d %q", r.status, r.location)
	}
	if got := previousLoginOf(t, e, again); got != previous("09:45") {
		t.Errorf("after the console's step up the home page says %q, want %q", got, previous("09:45"))
	}
}
