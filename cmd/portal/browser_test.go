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
	browser := startBrowser(t)

	// journey starts a fresh portal and a fresh browser context for one
	// journey; a hang fails after journeyTimeout instead of blocking CI.
	const journeyTimeout = 60 * time.Second
	journey := func(t *testing.T) (*testPortal, func() *tab) {
		p := startPortal(t)
		return p, func() *tab { return newTab(t, browser, p.BaseURL, journeyTimeout) }
	}

	t.Run("first login registers phone", func(t *testing.T) {
		p, open := journey(t)
		p.createUser(t, "ada@example.org", "Ada Lovelace", "")
		b := open()

		// Open the Provider Portal login screen. Enter your Email and
		// Password, then click Login.
		b.logIn("ada@example.org", e2ePassword)

		// On the Update Phone Number screen, enter your mobile number in
		// international format.
		b.waitHeading("Update Phone Number")

		// The Important note of the article: without the country code, the
		// portal says how to write it and sends nothing.
		b.fill("Mobile number", "07546123456")
		b.click("Send Verification Code")
		b.waitFor("the error message", errorBox)
		b.expectText("the error message", errorBox, "+447546123456", "country code", "leading zero")
		if got := b.value("Mobile number"); got != "07546123456" {
			t.Errorf("after the error the number field holds %q, want what was typed, %q", got, "07546123456")
		}
		if msgs := p.Twilio.Messages(); len(msgs) != 0 {
			t.Errorf("a number without country code sent %d text messages: %+v", len(msgs), msgs)
		}

		// Click Send Verification Code. A six-digit code is sent to your
		// phone. Enter the code and click Verify Code.
		b.fill("Mobile number", "+44 7546 123456")
		b.click("Send Verification Code")
		b.waitFor("the Code field", field("Code"))
		b.expectText("the Update Phone Number screen", "//main", "•••• 3456")
		code := p.smsCode(t, "+447546123456")
		b.fill("Code", code)
		b.click("Verify Code")

		// You are returned to the login screen to log in again.
		b.waitHeading("Log in")
		b.expectText("the login screen", noticeBox, "phone number is registered")
		if got := b.path(); got != "/login" {
			t.Errorf("after Verify Code the browser is at %s, want /login", got)
		}

		m := p.email(t, "ada@example.org")
		if !strings.Contains(m.Text, "•••• 3456") || !strings.Contains(strings.ToLower(m.Subject), "registered") {
			t.Errorf("notice of the registered phone: subject %q, text %q; want the masked number •••• 3456", m.Subject, m.Text)
		}

		// Logging in again now asks for a code sent to that number.
		b.fill("Email", "ada@example.org")
		b.fill("Password", e2ePassword)
		b.click("Login")
		b.waitHeading("Enter your code")
		p.smsCode(t, "+447546123456")
	})

	t.Run("login with MFA", func(t *testing.T) {
		p, open := journey(t)
		p.createUser(t, "grace@example.org", "Grace Hopper", "+447546123456")
		b := open()

		// Enter your Email and Password, then click Login.
		b.logIn("grace@example.org", e2ePassword)

		// A six-digit code is sent to your registered phone number via SMS.
		b.waitHeading("Enter your code")
		b.expectText("the code screen", "//main", "•••• 3456")
		code := p.smsCode(t, "+447546123456")
		b.screenshot("code-screen")

		// A wrong code says so, and how many tries are left.
		b.fill("Code", wrongCode(code))
		b.click("Verify Code")
		b.waitFor("the error message", errorBox)
		b.expectText("the error message", errorBox, "not right", "4 tries left")

		// Enter the code in the Code field. Click Verify Code. You are
		// logged in to Provider Portal.
		b.verifyCodeToHome(code)
		b.expectText("the home page", "//h1", "Welcome, Grace Hopper")
		b.waitFor("the My Details link", link("My Details"))
		b.waitFor("the Log out button", button("Log out"))

		b.click("Log out")
		b.waitHeading("Log in")
		b.expectText("the login screen", noticeBox, "logged out")

		b.open("/")
		b.waitHeading("Log in")
		if got := b.path(); got != "/login" {
			t.Errorf("after logging out, / shows %s, want /login", got)
		}
	})

	t.Run("email fallback", func(t *testing.T) {
		p, open := journey(t)
		p.createUser(t, "mary@example.org", "Mary Seacole", "+447546123456")
		b := open()

		b.logIn("mary@example.org", e2ePassword)
		b.waitHeading("Enter your code")
		p.sms(t, "+447546123456") // the text message that did not arrive

		// If you cannot receive the SMS, click Send code to email.
		b.click("Send code to email")
		b.waitFor("the notice", noticeBox)
		b.expectText("the notice", noticeBox, "check your junk folder", "Any code sent before no longer works")
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
		p, open := journey(t)
		p.createUser(t, "agnes@example.org", "Agnes Hunt", "+447546123456")
		b := open()
		p.Twilio.FailNext(400, 21614, "'To' number is not a valid mobile number")

		b.logIn("agnes@example.org", e2ePassword)
		b.waitHeading("Enter your code")
		b.waitFor("the delivery failure", "//p[@id='delivery'][contains(., 'could not be sent')]")
		b.expectText("the delivery failure", "//p[@id='delivery']", "•••• 3456")
		if main := b.text("//main"); strings.Contains(main, "Code sent to") || strings.Contains(main, "You can ask for a new code in") {
			t.Errorf("after the text message failed, the code screen claims it was sent: %q", main)
		}
		b.waitFor("Send code to email, first", "//form[@class='email-first']//button[normalize-space()='Send code to email']")

		b.click("Send code to email")
		b.waitFor("the notice", noticeBox)
		b.expectText("the notice", noticeBox, "check your junk folder", "Any code sent before no longer works")
		code := twiliotest.ExtractCode(p.email(t, "agnes@example.org").Text)
		if code == "" {
			t.Fatal("the email has no six-digit code")
		}
		b.verifyCodeToHome(code)
	})

	t.Run("a refused text message can be sent again at once", func(t *testing.T) {
		p, open := journey(t)
		p.createUser(t, "linda@example.org", "Linda Richards", "+447546123456")
		b := open()
		p.Twilio.FailNext(400, 21614, "'To' number is not a valid mobile number")

		b.logIn("linda@example.org", e2ePassword)
		b.waitHeading("Enter your code")
		b.waitFor("the delivery failure", "//p[@id='delivery'][contains(., 'could not be sent')]")

		// No cooldown runs from a message that never went out.
		b.click("Send a new code")
		code := p.smsCode(t, "+447546123456")
		b.waitFor("the code sent", "//p[@id='delivery'][contains(., 'Code sent to') or contains(., 'Code delivered to')]")
		b.expectText("the code screen", "//p[@id='delivery']", "•••• 3456")
		b.verifyCodeToHome(code)
	})

	t.Run("a provider outage is retried without the person doing anything", func(t *testing.T) {
		p, open := journey(t)
		p.createUser(t, "clara@example.org", "Clara Barton", "+447546123456")
		b := open()
		p.Twilio.FailNext(503, 20500, "Service unavailable")

		start := time.Now()
		b.logIn("clara@example.org", e2ePassword)
		b.waitHeading("Enter your code")
		// The page answered while Twilio was failing; the dispatcher
		// retries, and the screen follows it on its own.
		code := p.smsCode(t, "+447546123456")
		b.waitFor("the code sent", "//p[@id='delivery'][contains(., 'Code sent to')]")
		t.Logf("code delivered %.1f s after the login started, despite a 503", time.Since(start).Seconds())
		b.verifyCodeToHome(code)
	})

	t.Run("Update Phone Number screen offers what its messages name", func(t *testing.T) {
		p, open := journey(t)
		p.createUser(t, "mary.b@example.org", "Mary Breckinridge", "")
		b := open()

		b.logIn("mary.b@example.org", e2ePassword)
		b.waitHeading("Update Phone Number")
		p.Twilio.FailNext(400, 21614, "'To' number is not a valid mobile number")
		b.fill("Mobile number", "+44 7546 123456")
		b.click("Send Verification Code")
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
		p, open := journey(t)
		p.createUser(t, "florence@example.org", "Florence Nightingale", "+447546123456")
		login := func(b *tab) {
			t.Helper()
			b.logIn("florence@example.org", e2ePassword)
			b.waitHeading("Enter your code")
			b.verifyCodeToHome(p.smsCode(t, "+447546123456"))
		}
		// Another device, logged in before the change.
		other := open()
		login(other)

		// Log in to Provider Portal. Navigate to My Details.
		b := open()
		login(b)
		b.follow("My Details")
		b.waitHeading("My Details")
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
		b.fill("Code", code)
		b.click("Verify Code")

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
		other.open("/my-details")
		other.waitHeading("Log in")
		if got := other.path(); got != "/login" {
			t.Errorf("the other device opening /my-details is at %s, want /login", got)
		}

		// Codes now go to the new number.
		b.click("Log out")
		b.waitHeading("Log in")
		b.fill("Email", "florence@example.org")
		b.fill("Password", e2ePassword)
		b.click("Login")
		b.waitHeading("Enter your code")
		b.expectText("the code screen", "//main", "•••• 4321")
		p.smsCode(t, "+447546654321")
	})

	t.Run("half-finished login reaches nothing", func(t *testing.T) {
		p, open := journey(t)
		p.createUser(t, "edith@example.org", "Edith Cavell", "+447546123456")
		b := open()

		b.logIn("edith@example.org", e2ePassword)
		b.waitHeading("Enter your code")
		p.sms(t, "+447546123456")

		for _, path := range []string{"/", "/my-details"} {
			b.open(path)
			b.waitHeading("Enter your code")
			if got := b.path(); got != "/login/code" {
				t.Errorf("with only the password entered, %s shows %s, want /login/code", path, got)
			}
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
			if got := first.path(); got != "/login/phone" {
				t.Errorf("before the phone is registered, %s shows %s, want /login/phone", path, got)
			}
		}
	})

	t.Run("resend cooldown is visible", func(t *testing.T) {
		p, open := journey(t)
		p.createUser(t, "clara@example.org", "Clara Barton", "+447546123456")
		b := open()

		b.logIn("clara@example.org", e2ePassword)
		b.waitHeading("Enter your code")
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
