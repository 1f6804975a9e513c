package main

import (
	"testing"
	"time"
)

// The set-up and the named steps of the browser journeys: what a person
// does again and again on the pages (log in, type a code, log out, follow
// a link to its page), written once so that each journey reads as the
// help article does and a change to one of these screens is fixed in one
// place.

// journeyTimeout bounds one journey in the browser: a hang fails after it
// instead of blocking CI.
const journeyTimeout = 60 * time.Second

// journeys starts one Chromium for a test of several journeys and returns
// what each journey (a subtest) calls first: a portal of its own, made by
// start, and a way to open tabs on it, each in a fresh browser context.
func journeys(t *testing.T, start func(t *testing.T) *testPortal) func(t *testing.T) (*testPortal, func() *tab) {
	t.Helper()
	browser := startBrowser(t)
	return func(t *testing.T) (*testPortal, func() *tab) {
		t.Helper()
		p := start(t)
		return p, func() *tab { return newTab(t, browser, p.BaseURL, journeyTimeout) }
	}
}

// oneJourney sets up a test of one person's journey: Chromium, a portal
// started with opts that holds the provider account email, name and phone
// (see createUser), and a tab on it.
func oneJourney(t *testing.T, email, name, phone string, opts ...portalOption) (*testPortal, *tab) {
	t.Helper()
	browser := startBrowser(t)
	p := startPortal(t, opts...)
	p.createUser(t, email, name, phone)
	return p, newTab(t, browser, p.BaseURL, journeyTimeout)
}

// submitLogin types email and password into the login screen the tab
// shows and clicks Login.
func (b *tab) submitLogin(email, password string) {
	b.t.Helper()
	b.fill("Email", email)
	b.fill("Password", password)
	b.click("Login")
}

// logInToCode logs in with email and password and waits for the code
// screen.
func (b *tab) logInToCode(email, password string) {
	b.t.Helper()
	b.logIn(email, password)
	b.waitHeading("Enter your code")
}

// enterCode types code into Code and clicks Verify Code.
func (b *tab) enterCode(code string) {
	b.t.Helper()
	b.fill("Code", code)
	b.click("Verify Code")
}

// sendPhone types number into Mobile number on the Update Phone Number
// screen and clicks Send Verification Code.
func (b *tab) sendPhone(number string) {
	b.t.Helper()
	b.fill("Mobile number", number)
	b.click("Send Verification Code")
}

// registerPhone does the Update Phone Number step of a first login: the
// number as typed, the code sent to it (e164, the same number in E.164)
// on a screen that shows its last four digits, and the login screen
// saying the phone is registered.
func (p *testPortal) registerPhone(t *testing.T, b *tab, typed, e164 string) {
	t.Helper()
	b.sendPhone(typed)
	b.waitFor("the Code field", field("Code"))
	b.expectText("the Update Phone Number screen", "//main", "•••• "+e164[len(e164)-4:])
	b.enterCode(p.smsCode(t, e164))
	b.waitHeading("Log in")
	b.expectText("the login screen", noticeBox, "phone number is registered")
}

// logOut clicks Log out and waits for the login screen that says so.
func (b *tab) logOut() {
	b.t.Helper()
	b.click("Log out")
	b.waitHeading("Log in")
	b.expectText("the login screen", noticeBox, "logged out")
}

// expectLoggedOut fails unless the tab's session has ended: My Details
// then shows the login screen.
func (b *tab) expectLoggedOut() {
	b.t.Helper()
	b.open("/my-details")
	b.waitHeading("Log in")
	b.expectPath("a tab logged out opening /my-details", "/login")
}

// expectPath fails the test unless the tab shows the page at path want;
// what says how it got there, for the message.
func (b *tab) expectPath(what, want string) {
	b.t.Helper()
	if got := b.path(); got != want {
		b.t.Errorf("%s is at %s, want %s", what, got, want)
	}
}

// expectError waits for the error message and fails unless it says each
// of want.
func (b *tab) expectError(want ...string) {
	b.t.Helper()
	b.waitFor("the error message", errorBox)
	b.expectText("the error message", errorBox, want...)
}

// expectNotice waits for the notice and fails unless it says each of
// want.
func (b *tab) expectNotice(want ...string) {
	b.t.Helper()
	b.waitFor("the notice", noticeBox)
	b.expectText("the notice", noticeBox, want...)
}

// followTo follows the link with this text and waits for the page whose
// heading is the same words.
func (b *tab) followTo(text string) {
	b.t.Helper()
	b.follow(text)
	b.waitHeading(text)
}

// openConsole follows Administration in the header to the console's
// Overview.
func (b *tab) openConsole() {
	b.t.Helper()
	b.follow("Administration")
	b.waitHeading("Overview")
}

// askForResetLink sends the Forgot your password? form the tab shows for
// email and waits for the answer.
func (b *tab) askForResetLink(email string) {
	b.t.Helper()
	b.fill("Email", email)
	b.click("Send reset link")
	b.waitHeading("Check your email")
}
