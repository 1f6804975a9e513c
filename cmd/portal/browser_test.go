package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery/twiliotest"
)

// TestBrowserJourneys follows the help article in Chromium, against the
// real portal: each journey types into fields found by their labels and
// clicks buttons found by their words, so a change to a screen, label or
// button the article names fails here. Codes are read from the text
// messages and emails that the local Twilio and SMTP stand-ins received.
func TestBrowserJourneys(t *testing.T) {
	t.Parallel()
	fresh := journeys(t, func(t *testing.T) *testPortal { return startPortal(t) })
	// journey starts the journey of one provider, the account email, name
	// and phone (see createUser), on a fresh portal: it returns the portal,
	// a tab on it and a way to open more.
	journey := func(t *testing.T, email, name, phone string) (*testPortal, *tab, func() *tab) {
		t.Helper()
		p, open := fresh(t)
		p.createUser(t, email, name, phone)
		return p, open(), open
	}

	t.Run("first login registers phone", func(t *testing.T) {
		p, b, _ := journey(t, "ada@example.org", "Ada Lovelace", "")

		// Open the Provider Portal login screen. Enter your Email and
		// Password, then click Login.
		b.logIn("ada@example.org", e2ePassword)

		// On the Update Phone Number screen, enter your mobile number in
		// international format.
		b.waitHeading("Update Phone Number")

		// The Important note of the article: without the country code, the
		// portal says how to write it and sends nothing.
		b.sendPhone("07546123456")
		b.expectError("+447546123456", "country code", "leading zero")
		if got := b.value("Mobile number"); got != "07546123456" {
			t.Errorf("after the error the number field holds %q, want what was typed, %q", got, "07546123456")
		}
		if msgs := p.Twilio.Messages(); len(msgs) != 0 {
			t.Errorf("a number without country code sent %d text messages: %+v", len(msgs), msgs)
		}

		// Click Send Verification Code. A six-digit code is sent to your
		// phone. Enter the code and click Verify Code.
		// You are returned to the login screen to log in again.
		p.registerPhone(t, b, "+44 7546 123456", "+447546123456")
		b.expectPath("after Verify Code the browser", "/login")

		m := p.email(t, "ada@example.org")
		if !strings.Contains(m.Text, "•••• 3456") || !strings.Contains(strings.ToLower(m.Subject), "registered") {
			t.Errorf("notice of the registered phone: subject %q, text %q; want the masked number •••• 3456", m.Subject, m.Text)
		}

		// Logging in again now asks for a code sent to that number.
		b.submitLogin("ada@example.org", e2ePassword)
		b.waitHeading("Enter your code")
		p.smsCode(t, "+447546123456")
	})

	t.Run("login with MFA", func(t *testing.T) {
		p, b, _ := journey(t, "grace@example.org", "Grace Hopper", "+447546123456")

		// Enter your Email and Password, then click Login.
		b.logIn("grace@example.org", e2ePassword)

		// A six-digit code is sent to your registered phone number via SMS.
		b.waitHeading("Enter your code")
		b.expectText("the code screen", "//main", "•••• 3456")
		code := p.smsCode(t, "+447546123456")
		b.screenshot("code-screen")

		// A wrong code says so, and how many tries are left.
		b.enterCode(wrongCode(code))
		b.expectError("not right", "4 tries left")

		// Enter the code in the Code field. Click Verify Code. You are
		// logged in to Provider Portal.
		b.verifyCodeToHome(code)
		b.expectText("the home page", "//h1", "Welcome, Grace Hopper")
		b.waitFor("the My Details link", link("My Details"))
		b.waitFor("the Log out button", button("Log out"))

		b.logOut()

		b.open("/")
		b.waitHeading("Log in")
		b.expectPath("after logging out, /", "/login")
	})

	t.Run("email fallback", func(t *testing.T) {
		p, b, _ := journey(t, "mary@example.org", "Mary Seacole", "+447546123456")

		b.logInToCode("mary@example.org", e2ePassword)
		p.sms(t, "+447546123456") // the text message that did not arrive

		// If you cannot receive the SMS, click Send code to email.
		b.click("Send code to email")
		b.expectNotice("check your junk folder", "Any code sent before no longer works")
		b.expectText("the code screen", "//p[contains(@class, 'lead')]", "m•••@example.org")

		m := p.email(t, "mary@example.org")
		code := twiliotest.ExtractCode(m.Text) // the same six-digit rule as text messages
		if code == "" {
			t.Fatalf("the email has no six-digit code: subject %q, text %q", m.Subject, m.Text)
		}
		b.verifyCodeToHome(code)
		b.waitFor("the Log out button", button("Log out"))
	})

	t.Run("code not received by SMS", func(t *testing.T) {
		// Troubleshooting: Code not received by SMS. Click Send code to
		// email to receive it by email instead. Twilio refuses the number
		// for good (21614: not a mobile number): the screen says so, and
		// puts Send code to email first.
		p, b, _ := journey(t, "agnes@example.org", "Agnes Hunt", "+447546123456")
		p.Twilio.FailNext(400, 21614, "'To' number is not a valid mobile number")

		b.logInToCode("agnes@example.org", e2ePassword)
		b.waitFor("the delivery failure", "//p[@id='delivery'][contains(., 'could not be sent')]")
		b.expectText("the delivery failure", "//p[@id='delivery']", "•••• 3456")
		if main := b.text("//main"); strings.Contains(main, "Code sent to") || strings.Contains(main, "You can ask for a new code in") {
			t.Errorf("after the text message failed, the code screen claims it was sent: %q", main)
		}
		b.waitFor("Send code to email, first", "//form[@class='email-first']//button[normalize-space()='Send code to email']")

		b.click("Send code to email")
		b.expectNotice("check your junk folder", "Any code sent before no longer works")
		code := twiliotest.ExtractCode(p.email(t, "agnes@example.org").Text)
		if code == "" {
			t.Fatal("the email has no six-digit code")
		}
		b.verifyCodeToHome(code)
	})

	t.Run("a refused text message can be sent again at once", func(t *testing.T) {
		p, b, _ := journey(t, "linda@example.org", "Linda Richards", "+447546123456")
		p.Twilio.FailNext(400, 21614, "'To' number is not a valid mobile number")

		b.logInToCode("linda@example.org", e2ePassword)
		b.waitFor("the delivery failure", "//p[@id='delivery'][contains(., 'could not be sent')]")

		// No cooldown runs from a message that never went out.
		b.click("Send a new code")
		code := p.smsCode(t, "+447546123456")
		b.waitFor("the code sent", "//p[@id='delivery'][contains(., 'Code sent to') or contains(., 'Code delivered to')]")
		b.expectText("the code screen", "//p[@id='delivery']", "•••• 3456")
		b.verifyCodeToHome(code)
	})

	t.Run("a provider outage is retried without the person doing anything", func(t *testing.T) {
		p, b, _ := journey(t, "clara@example.org", "Clara Barton", "+447546123456")
		p.Twilio.FailNext(503, 20500, "Service unavailable")

		start := time.Now()
		b.logInToCode("clara@example.org", e2ePassword)
		// The page answered while Twilio was failing; the dispatcher
		// retries, and the screen follows it on its own.
		code := p.smsCode(t, "+447546123456")
		b.waitFor("the code sent", "//p[@id='delivery'][contains(., 'Code sent to')]")
		t.Logf("code delivered %.1f s after the login started, despite a 503", time.Since(start).Seconds())
		b.verifyCodeToHome(code)
	})

	t.Run("Update Phone Number screen offers what its messages name", func(t *testing.T) {
		p, b, _ := journey(t, "mary.b@example.org", "Mary Breckinridge", "")

		b.logIn("mary.b@example.org", e2ePassword)
		b.waitHeading("Update Phone Number")
		p.Twilio.FailNext(400, 21614, "'To' number is not a valid mobile number")
		b.sendPhone("+44 7546 123456")
		b.waitFor("the error message", errorBox)
		if msg := b.text(errorBox); strings.Contains(msg, "Send code to email") || !strings.Contains(msg, "could not be sent") {
			t.Errorf("the Update Phone Number screen's message: %q; want that the code could not be sent, without Send code to email (which it does not have)", msg)
		}
		if main := b.text("//main"); strings.Contains(main, "was sent to") || strings.Contains(main, "Code sent") {
			t.Errorf("after the text message failed, the Update Phone Number screen claims it was sent: %q", main)
		}
		if got := b.value("Mobile number"); got != "+447546123456" {
			t.Errorf("the number field holds %q, want the number to correct or send again", got)
		}
	})

	t.Run("change phone number", func(t *testing.T) {
		p, b, open := journey(t, "florence@example.org", "Florence Nightingale", "+447546123456")
		// Another device, logged in before the change.
		other := open()
		p.logInWithCode(t, other, "florence@example.org", e2ePassword, "+447546123456")

		// Log in to Provider Portal. Navigate to My Details.
		p.logInWithCode(t, b, "florence@example.org", e2ePassword, "+447546123456")
		b.followTo("My Details")
		const section = "//section[.//h2[normalize-space()='Multi-factor Authentication']]"
		b.waitHeading("Multi-factor Authentication")
		b.expectText("the Multi-factor Authentication section", section, "•••• 3456")

		// Update your phone number in the Multi-factor Authentication
		// section. Click Update. A verification code is sent to the new
		// number. Enter it to confirm the change.
		b.fill("New mobile number", "+44 7546 654321")
		b.click("Update")
		b.waitFor("the Code field", field("Code"))
		b.expectText("the confirmation screen", "//main", "•••• 4321")
		code := p.smsCode(t, "+447546654321")
		b.enterCode(code)

		b.waitHeading("My Details")
		b.waitHeading("Multi-factor Authentication")
		b.expectText("the Multi-factor Authentication section", section, "•••• 4321")
		if got := b.text(section); strings.Contains(got, "•••• 3456") {
			t.Errorf("the Multi-factor Authentication section still shows the old number: %q", got)
		}
		b.screenshot("my-details")

		m := p.email(t, "florence@example.org")
		if !strings.Contains(m.Text, "•••• 3456") || !strings.Contains(m.Text, "•••• 4321") || !strings.Contains(strings.ToLower(m.Subject), "changed") {
			t.Errorf("notice of the changed phone: subject %q, text %q; want both masked numbers", m.Subject, m.Text)
		}
		if msgs := p.Twilio.Messages(); msgs[len(msgs)-1].To != "+447546654321" {
			t.Errorf("the last text message went to %s, want the new number", msgs[len(msgs)-1].To)
		}

		// The other device was logged out.
		other.expectLoggedOut()

		// Codes now go to the new number.
		b.logOut()
		b.submitLogin("florence@example.org", e2ePassword)
		b.waitHeading("Enter your code")
		b.expectText("the code screen", "//main", "•••• 4321")
		p.smsCode(t, "+447546654321")
	})

	t.Run("half-finished login reaches nothing", func(t *testing.T) {
		p, b, open := journey(t, "edith@example.org", "Edith Cavell", "+447546123456")

		b.logInToCode("edith@example.org", e2ePassword)
		p.sms(t, "+447546123456")

		for _, path := range []string{"/", "/my-details"} {
			b.open(path)
			b.waitHeading("Enter your code")
			b.expectPath("with only the password entered, "+path, "/login/code")
			if main := b.text("//main"); strings.Contains(main, "Welcome") || strings.Contains(main, "Multi-factor Authentication") {
				t.Errorf("with only the password entered, %s shows a page of a logged-in person: %q", path, main)
			}
		}

		// The same on the first login, before a phone is registered.
		p.createUser(t, "dorothea@example.org", "Dorothea Dix", "")
		first := open()
		first.logIn("dorothea@example.org", e2ePassword)
		first.waitHeading("Update Phone Number")
		for _, path := range []string{"/", "/my-details", "/login/code"} {
			first.open(path)
			first.waitHeading("Update Phone Number")
			first.expectPath("before the phone is registered, "+path, "/login/phone")
		}
	})

	t.Run("resend cooldown is visible", func(t *testing.T) {
		p, b, _ := journey(t, "clara@example.org", "Clara Barton", "+447546123456")

		b.logInToCode("clara@example.org", e2ePassword)
		p.sms(t, "+447546123456")

		// The script disables Send a new code and counts down.
		b.waitFor("Send a new code, disabled", button("Send a new code")+"[@disabled]")
		const note = "//p[starts-with(normalize-space(), 'You can ask for a new code in ')]"
		first := cooldownSeconds(t, b.text(note))
		if first < 1 || first > 30 {
			t.Fatalf("cooldown of %d seconds, want 1 to 30", first)
		}
		b.waitFor("the countdown to go down",
			"//p[starts-with(normalize-space(), 'You can ask for a new code in ')][normalize-space() != "+
				xpathString("You can ask for a new code in "+strconv.Itoa(first)+" seconds.")+"]")
		if next := cooldownSeconds(t, b.text(note)); next >= first {
			t.Errorf("the countdown went from %d to %d seconds", first, next)
		}
		b.waitFor("Send a new code, still disabled", button("Send a new code")+"[@disabled]")
	})
}

var cooldownText = regexp.MustCompile(`^You can ask for a new code in (\d+) seconds?\.$`)

func cooldownSeconds(t *testing.T, note string) int {
	t.Helper()
	m := cooldownText.FindStringSubmatch(note)
	if m == nil {
		t.Fatalf("cooldown note %q, want \"You can ask for a new code in N seconds.\"", note)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// wrongCode is a six-digit code that is not code.
func wrongCode(code string) string {
	b := []byte(code)
	b[5] = '0' + (b[5]-'0'+1)%10
	return string(b)
}
