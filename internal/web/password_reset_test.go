package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const forgotAnswer = "If an account uses that address, we have sent it a link to reset the password. The link works once, within 30 minutes."

func TestForgotPasswordJourney(t *testing.T) { adminOnEngines(t, testForgotPasswordJourney) }

func testForgotPasswordJourney(t *testing.T, e *adminEnv) {
	laptop := e.loggedIn(e.provider.Email, providerPhone)

	c := e.browser()
	r := e.get(c, "/login")
	if !strings.Contains(r.body, `<a href="/forgot-password">Forgot your password?</a>`) {
		t.Fatal("the login page has no Forgot your password? link")
	}
	r = e.get(c, "/forgot-password")
	if !strings.Contains(r.body, `<label for="email">Email</label>`) || !strings.Contains(r.body, ">Send reset link</button>") {
		t.Fatalf("forgot page:\n%s", r.body)
	}
	if r := e.post(c, "/forgot-password", "email", " "); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Enter your email address.") {
		t.Fatalf("empty email: %d", r.status)
	}

	// Known and unknown addresses get the same answer.
	var answers []response
	for _, email := range []string{"PAT@example.org", "nobody@example.org"} {
		r := e.post(c, "/forgot-password", "email", email)
		if r.status != http.StatusSeeOther {
			t.Fatalf("%s: %d", email, r.status)
		}
		answers = append(answers, r, e.get(c, r.location))
	}
	if answers[0].location != answers[2].location || answers[1].body != answers[3].body || !strings.Contains(answers[1].body, forgotAnswer) {
		t.Fatalf("the answers differ or lack the sentence:\n%s\n---\n%s", answers[1].body, answers[3].body)
	}
	e.Login.Wait()
	if n := e.Sent("nobody@example.org"); n != 0 {
		t.Fatalf("%d emails to an unknown address", n)
	}
	link := resetLinkIn(e, e.provider.Email)
	u, _ := url.Parse(link)
	if u.Path != "/reset-password" {
		t.Fatalf("link %s", link)
	}
	token := u.Query().Get("token")

	r = e.get(c, u.RequestURI())
	for _, want := range []string{"Choose a new password", `<label for="password">New password</label>`, `autocomplete="new-password"`,
		`name="token" value="` + token + `"`, ">Set password</button>", "pat@example.org"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("reset page lacks %q", want)
		}
	}
	// A refused password does not use the link up.
	if r := e.post(c, "/reset-password", "token", token, "password", "short"); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "12 characters") {
		t.Fatalf("short password: %d", r.status)
	}
	// On the shipped list of breached passwords (not on zxcvbn's): the page says why.
	if r := e.post(c, "/reset-password", "token", token, "password", "Findaupair007"); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "This password is on a list of commonly used passwords. Choose another one.") {
		t.Fatalf("breached password: %d\n%s", r.status, r.body)
	}
	const fresh = "a completely different passphrase"
	r = e.post(c, "/reset-password", "token", token, "password", fresh)
	if r.status != http.StatusSeeOther || r.location != "/login?m=password-set" {
		t.Fatalf("set: %d %q\n%s", r.status, r.location, r.body)
	}
	if r := e.get(c, r.location); !strings.Contains(r.body, "Your password was changed and you were logged out everywhere. Log in with the new password.") {
		t.Error("no notice on the login page")
	}
	// Once only.
	for _, r := range []response{e.get(c, u.RequestURI()), e.post(c, "/reset-password", "token", token, "password", "yet another passphrase again")} {
		if r.status != http.StatusGone || !strings.Contains(r.body, "expired or has already been used") || !strings.Contains(r.body, `href="/forgot-password"`) {
			t.Fatalf("second use: %d\n%s", r.status, r.body)
		}
	}
	// Every session ended; the old password is gone; MFA still applies.
	if r := e.get(laptop, "/"); !strings.HasPrefix(r.location, "/login") {
		t.Fatalf("old session survived: %d %q", r.status, r.location)
	}
	if r := e.post(c, "/login", "email", e.provider.Email, "password", testPassword); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("old password: %d %q", r.status, r.location)
	}
	if r := e.post(c, "/login", "email", e.provider.Email, "password", fresh); r.location != "/login/code" {
		t.Fatalf("new password: %d %q", r.status, r.location)
	}
	if r := e.get(c, "/reset-password?token=not-a-token"); r.status != http.StatusGone {
		t.Errorf("made-up token: %d", r.status)
	}
}

func TestResetLinkExpiresAfter30Minutes(t *testing.T) {
	adminOnEngines(t, testResetLinkExpiresAfter30Minutes)
}

func testResetLinkExpiresAfter30Minutes(t *testing.T, e *adminEnv) {
	c := e.browser()
	e.post(c, "/forgot-password", "email", e.provider.Email)
	e.Login.Wait()
	u, _ := url.Parse(resetLinkIn(e, e.provider.Email))
	// A reset link is no invitation.
	if r := e.get(c, "/welcome?"+u.RawQuery); r.status != http.StatusGone {
		t.Fatalf("reset token at /welcome: %d", r.status)
	}
	e.clock.Advance(29 * time.Minute)
	if r := e.get(c, u.RequestURI()); r.status != http.StatusOK {
		t.Fatalf("link within 30 minutes: %d", r.status)
	}
	e.clock.Advance(2 * time.Minute)
	if r := e.get(c, u.RequestURI()); r.status != http.StatusGone {
		t.Fatalf("expired link: %d", r.status)
	}
}
