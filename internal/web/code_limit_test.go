package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestCodeLimitScreen: issue 14, item 13. After five codes in fifteen
// minutes (five logins whose texts came late), the next login's code
// screen says no new code was sent, that the newest code still works and
// when a new one can be asked for; it offers no "Send code to email" (the
// budget is the account's, on every channel), and the newest code logs in.
func TestCodeLimitScreen(t *testing.T) { onEngines(t, testCodeLimitScreen) }

func testCodeLimitScreen(t *testing.T, e *env) {
	const phone = "+447546123456"
	e.user("limit@example.org", phone)
	for range 5 {
		if r := e.post(e.browser(), "/login", "email", "limit@example.org", "password", testPassword); r.location != "/login/code" {
			t.Fatalf("login: %d %s", r.status, r.location)
		}
	}
	code := e.lastCode(phone)
	sent := len(e.Outbox.Messages())

	c := e.browser()
	r := e.post(c, "/login", "email", "limit@example.org", "password", testPassword)
	if r.status != http.StatusSeeOther || r.location != "/login/code?m=send-limited" {
		t.Fatalf("sixth login: %d %s", r.status, r.location)
	}
	if n := len(e.Outbox.Messages()); n != sent {
		t.Fatalf("the sixth login sent %d messages", n-sent)
	}
	r = e.get(c, r.location)
	for _, want := range []string{
		"No new code was sent: several codes have been sent recently.",
		"The code sent to •••• 3456",
		"still works: enter it below.",
		"You can ask for a new code in 15 minutes.",
		">Send a new code</button>",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the code screen after the limit lacks %q:\n%s", want, r.body)
		}
	}
	for _, not := range []string{"Send code to email", "Use the newest one you received", "Ask for a code below."} {
		if strings.Contains(r.body, not) {
			t.Errorf("the code screen after the limit says %q", not)
		}
	}
	// Pressing a resend button anyway says the same.
	r = e.post(c, "/login/code/email")
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "You can ask for a new code in 15 minutes.") ||
		!strings.Contains(r.body, "still works: enter it below.") {
		t.Errorf("Send code to email past the limit: %d\n%s", r.status, r.body)
	}
	r = e.post(c, "/login/code", "code", code)
	if r.status != http.StatusSeeOther || r.location != "/" {
		t.Fatalf("the newest code on the sixth login: %d %s\n%s", r.status, r.location, r.body)
	}
}
