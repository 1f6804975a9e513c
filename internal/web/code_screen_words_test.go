package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// What the screens say, as issue 17 found them: an expired code that the
// screen still gave minutes to live, a new code sent without a word, the
// same sentence several times on one screen, the console's phone errors,
// and the two steps of Update Phone Number under one title.

// leadOf is the first line of a code screen (where the code went).
func leadOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<p class="lead delivery" id="delivery"[^>]*>(.*?)</p>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no delivery line:\n%s", body)
	}
	return m[1]
}

func TestExpiredCodeScreensSayOnlyThatItExpired(t *testing.T) {
	adminOnEngines(t, testExpiredCodeScreensSayOnlyThatItExpired)
}

func testExpiredCodeScreensSayOnlyThatItExpired(t *testing.T, e *adminEnv) {
	const advice = "Use \u201cSend a new code\u201d to get another."
	// The login's code screen: the lifetime while the code works (and
	// the seconds left for the script), only that it expired after.
	c := e.pastPassword(e.provider.Email)
	code := e.lastCode(providerPhone)
	r := e.get(c, "/login/code")
	if lead := leadOf(t, r.body); !strings.Contains(lead, "It expires in 10 minutes.") || !strings.Contains(lead, `data-expires-in="600"`) ||
		!strings.Contains(lead, `data-expired-note="It has expired. `+advice+`"`) {
		t.Errorf("a fresh code: %q", lead)
	}
	e.clock.Advance(10*time.Minute + time.Second)
	r = e.get(c, "/login/code")
	if lead := leadOf(t, r.body); lead != "The code sent to <strong>•••• 3456</strong> has expired. "+advice {
		t.Errorf("the code screen after 10 minutes says %q", lead)
	}
	if strings.Contains(r.body, "expires in") {
		t.Errorf("the code screen after 10 minutes still gives the code time:\n%s", r.body)
	}
	// Entering it: the problem says what to do, the first line no longer
	// repeats it.
	r = e.post(c, "/login/code", "code", code)
	if r.status != http.StatusUnprocessableEntity || strings.Count(r.body, "This code has expired. Send a new code and enter that one.") != 2 {
		t.Fatalf("the expired code entered: %d\n%s", r.status, r.body)
	}
	if lead := leadOf(t, r.body); lead != "The code sent to <strong>•••• 3456</strong> has expired." || strings.Contains(r.body, "expires in") {
		t.Errorf("after the expired code was entered the screen says %q\n%s", lead, r.body)
	}

	// Update Phone Number's code step.
	n := e.atPhoneRegistration()
	e.clock.Advance(10*time.Minute + time.Second)
	r = e.get(n, "/login/phone")
	if lead := leadOf(t, r.body); lead != "The code sent to <strong>•••• 7888</strong> has expired. "+advice ||
		strings.Contains(r.body, "expires in") || strings.Contains(r.body, "Enter the code and click Verify Code.") {
		t.Errorf("Update Phone Number after 10 minutes says %q\n%s", lead, r.body)
	}

	// My Details' phone change.
	pb := e.atPhoneChange()
	e.clock.Advance(10*time.Minute + time.Second)
	r = e.get(pb, "/my-details/phone/verify")
	if lead := leadOf(t, r.body); lead != "The code sent to <strong>•••• 5666</strong> has expired. "+advice ||
		strings.Contains(r.body, "expires in") || strings.Contains(r.body, "Enter it to confirm the change.") ||
		!strings.Contains(r.body, "Until then, codes still go to your current number.") {
		t.Errorf("the phone change after 10 minutes says %q\n%s", lead, r.body)
	}
}

// atPhoneRegistration is the browser of a new account, new@example.org,
// that has given Update Phone Number +447546777888: at its code step.
func (e *adminEnv) atPhoneRegistration() *http.Client {
	e.t.Helper()
	e.account("new@example.org", "Nell New", "", false)
	c := e.pastPassword("new@example.org")
	e.post(c, "/login/phone", "phone", "+447546777888")
	return c
}

// atPhoneChange is the administrator's browser, logged in, that has asked
// My Details to change the phone to +447546555666: at its code step.
func (e *adminEnv) atPhoneChange() *http.Client {
	e.t.Helper()
	c := e.loggedIn(e.admin.Email, adminPhone)
	e.post(c, "/my-details/phone", "phone", "+447546555666")
	return c
}

// resendSays posts c's Send a new code to resend and checks that it leads
// to next, a screen that shows the notice sent.
func resendSays(t *testing.T, e *adminEnv, c *http.Client, resend, next, sent string) {
	t.Helper()
	r := e.post(c, resend)
	if r.location != next {
		t.Fatalf("%s: %d %q, want %s", resend, r.status, r.location, next)
	}
	if r := e.get(c, r.location); !strings.Contains(r.body, sent) {
		t.Errorf("%s after Send a new code:\n%s", next, r.body)
	}
}

func TestNewCodeScreensSayANewCodeWasSent(t *testing.T) {
	adminOnEngines(t, testNewCodeScreensSayANewCodeWasSent)
}

func testNewCodeScreensSayANewCodeWasSent(t *testing.T, e *adminEnv) {
	const sent = `<div class="notice" role="status">A new code was sent. Any code sent before no longer works.</div>`
	const emailed = `<div class="notice" role="status">The email may take a minute to arrive: check your junk folder too. Any code sent before no longer works.</div>`
	afterCooldown := func() { e.clock.Advance(31 * time.Second) }

	// The login: Send a new code, by text.
	c := e.pastPassword(e.provider.Email)
	first := e.lastCode(providerPhone)
	if r := e.get(c, "/login/code"); strings.Contains(r.body, `class="notice"`) {
		t.Errorf("the first code screen has a notice:\n%s", r.body)
	}
	afterCooldown()
	r := e.post(c, "/login/code/resend")
	if r.status != http.StatusSeeOther || r.location != "/login/code?m=sent-new" {
		t.Fatalf("Send a new code: %d %q", r.status, r.location)
	}
	r = e.get(c, r.location)
	if !strings.Contains(r.body, sent) || !strings.Contains(leadOf(t, r.body), "Code sent to <strong>•••• 3456</strong> by text message.") {
		t.Errorf("after Send a new code:\n%s", r.body)
	}
	if second := e.lastCode(providerPhone); second != first {
		if r := e.post(c, "/login/code", "code", first); r.status != http.StatusUnprocessableEntity {
			t.Errorf("the code sent before still works: %d %q", r.status, r.location)
		}
	}

	// Send code to email: the notice adds what the first line does not
	// say, and says it once.
	afterCooldown()
	r = e.post(c, "/login/code/email")
	if r.location != "/login/code?m=sent-email" {
		t.Fatalf("Send code to email: %d %q", r.status, r.location)
	}
	r = e.get(c, r.location)
	if !strings.Contains(r.body, emailed) || strings.Count(r.body, "emailed") != 1 || !strings.Contains(leadOf(t, r.body), "We emailed a six-digit code to") {
		t.Errorf("after Send code to email:\n%s", r.body)
	}

	// Update Phone Number's Send a new code.
	n := e.atPhoneRegistration()
	afterCooldown()
	resendSays(t, e, n, "/login/phone/resend", "/login/phone?m=sent-new", sent)

	// My Details' phone change.
	pb := e.atPhoneChange()
	afterCooldown()
	resendSays(t, e, pb, "/my-details/phone/resend", "/my-details/phone/verify?m=sent-new", sent)
}

func TestPasswordProblemIsNotItsHintAgain(t *testing.T) {
	adminOnEngines(t, testPasswordProblemIsNotItsHintAgain)
}

func testPasswordProblemIsNotItsHintAgain(t *testing.T, e *adminEnv) {
	const hint = "At least 12 characters. A few unrelated words make a strong, memorable password."
	c := e.browser()
	e.post(c, "/forgot-password", "email", e.provider.Email)
	e.Login.Wait()
	u, _ := url.Parse(resetLinkIn(e, e.provider.Email))
	r := e.post(c, "/reset-password", "token", u.Query().Get("token"), "password", "too short")
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("a short password: %d", r.status)
	}
	// The summary and the field say what is wrong; the hint, once, the rule.
	const problem = "This password is too short: use at least 12 characters."
	if strings.Count(r.body, problem) != 2 || strings.Count(r.body, hint) != 1 || strings.Count(r.body, "unrelated words") != 1 {
		t.Errorf("the short password's screen says %q %d times, the hint %d times, \"unrelated words\" %d times; want 2, 1, 1:\n%s",
			problem, strings.Count(r.body, problem), strings.Count(r.body, hint), strings.Count(r.body, "unrelated words"), r.body)
	}
}

// fieldErrorOf is the phone field's problem on a page.
func fieldErrorOf(body string) string {
	m := regexp.MustCompile(`<p class="field-error" id="phone-error">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestConsolePhoneProblemsAreThePersonsWords(t *testing.T) {
	e := newAdminEnv(t)
	c := e.adminBrowser()
	me := e.loggedIn(e.provider.Email, providerPhone)
	e.account("new@example.org", "Nell New", "", false)
	for _, typed := range []string{"07546123456", "+4407546123456", "+44 (0) 20 7946 0000", "+44 7546", "0754 612 345x", ""} {
		console := fieldErrorOf(e.post(c, userPath(e.provider, "update-phone"), "phone", typed, "reason", "Asked by phone").body)
		details := fieldErrorOf(e.post(me, "/my-details/phone", "phone", typed).body)
		n := e.pastPassword("new@example.org")
		register := fieldErrorOf(e.post(n, "/login/phone", "phone", typed).body)
		if console == "" || console != details || console != register {
			t.Errorf("%q: the console says %q, My Details %q, Update Phone Number %q; want one sentence", typed, console, details, register)
		}
	}
	// The corrected number, spelled out.
	if got := fieldErrorOf(e.post(c, userPath(e.provider, "update-phone"), "phone", "07546654321", "reason", "Asked by phone").body); !strings.HasSuffix(got, ": +447546654321") {
		t.Errorf("the console's problem with 07546654321: %q, want it to end with the number as it should be typed", got)
	}
}

func TestUpdatePhoneNumberStepsHaveTheirOwnTitles(t *testing.T) {
	e := newAdminEnv(t)
	e.account("new@example.org", "Nell New", "", false)
	n := e.pastPassword("new@example.org")
	title := func(r response) string {
		m := regexp.MustCompile(`<title>(.*?)</title>`).FindStringSubmatch(r.body)
		if m == nil || !strings.Contains(r.body, "<h1>Update Phone Number</h1>") {
			t.Fatalf("no title or no Update Phone Number heading:\n%s", r.body)
		}
		return m[1]
	}
	const number, code = "Update Phone Number · Provider Portal", "Enter the code – Update Phone Number · Provider Portal"
	if got := title(e.get(n, "/login/phone")); got != number {
		t.Errorf("the number step is titled %q, want %q", got, number)
	}
	if got := title(e.post(n, "/login/phone", "phone", "07546777888")); got != number {
		t.Errorf("the number step with a problem is titled %q, want %q", got, number)
	}
	e.post(n, "/login/phone", "phone", "+447546777888")
	r := e.get(n, "/login/phone")
	if got := title(r); got != code || !strings.Contains(r.body, ">Verify Code</button>") || !strings.Contains(r.body, `<label for="code">Code</label>`) {
		t.Errorf("the code step is titled %q, want %q", got, code)
	}
	if got := title(e.post(n, "/login/phone/verify", "code", "000000")); got != code {
		t.Errorf("the code step with a wrong code is titled %q, want %q", got, code)
	}
}
