package main

import "testing"

// TestBrowserCodeLimit: issue 14, item 13, in a browser. Five logins whose
// texts arrive late use up the account's codes for fifteen minutes; the
// sixth login's code screen says no new code was sent, that the newest one
// still works and when a new one can be asked for, offers no "Send code to
// email", and the newest code logs in.
func TestBrowserCodeLimit(t *testing.T) {
	t.Parallel()
	p, b := oneJourney(t, "kate@example.org", "Kate Bell", "+447546123456")

	var code string
	for range 5 {
		b.logInToCode("kate@example.org", e2ePassword)
		code = p.smsCode(t, "+447546123456")
		b.click("Cancel and go back to log in")
		b.waitHeading("Log in")
	}
	b.logInToCode("kate@example.org", e2ePassword)
	b.expectError("No new code was sent", "•••• 3456", "still works: enter it below")
	b.expectText("the code screen", "//main", "You can ask for a new code in 15 minutes.")
	if n := b.count("//button[normalize-space()='Send code to email']"); n != 0 {
		t.Errorf("the code screen past the limit offers Send code to email (%d buttons)", n)
	}
	b.screenshot("code-limit")
	b.verifyCodeToHome(code)
}
