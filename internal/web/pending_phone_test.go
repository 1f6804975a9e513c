package web_test

import (
	"net/http"
	"testing"
)

// TestCodeRoutesWithoutAWaitingNumber: the screens that act on a number
// waiting for its code (its code screen, Verify Code, send again) send a
// session with none back to where a number is typed, and send nothing.
func TestCodeRoutesWithoutAWaitingNumber(t *testing.T) {
	e := newEnv(t)
	e.user("reg@example.org", "")
	reg := e.browser()
	if r := e.post(reg, "/login", "email", "reg@example.org", "password", testPassword); r.location != "/login/phone" {
		t.Fatalf("login: %d %s", r.status, r.location)
	}
	e.user("full@example.org", "+447546123456")
	full := e.browser()
	e.loginFull(full, "full@example.org", "+447546123456")
	sent := len(e.Outbox.Messages())

	for _, c := range []struct {
		who          *http.Client
		method, path string
		back         string
	}{
		{reg, "POST", "/login/phone/verify", "/login/phone"},
		{reg, "POST", "/login/phone/resend", "/login/phone"},
		{full, "GET", "/my-details/phone/verify", "/my-details"},
		{full, "POST", "/my-details/phone/verify", "/my-details"},
		{full, "POST", "/my-details/phone/resend", "/my-details"},
	} {
		r := e.do(c.who, c.method, c.path, map[string][]string{"code": {"123456"}})
		if r.status != http.StatusSeeOther || r.location != c.back {
			t.Errorf("%s %s with no number waiting: %d %q, want a redirect to %s", c.method, c.path, r.status, r.location, c.back)
		}
	}
	if n := len(e.Outbox.Messages()); n != sent {
		t.Errorf("%d messages sent for no number", n-sent)
	}
}
