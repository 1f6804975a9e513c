package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAdministration follows what the help article promises a
// locked-out provider ("Contact your system administrator — they can
// disable MFA temporarily or update your phone number") in Chromium,
// against the real portal: an administrator uses the console as a person
// would (links, labels, button words), the provider logs in in another
// browser context, and the portal's clock is moved by the test where a
// journey needs time to pass. It also covers who may reach the console,
// the confirmation of a stale administrator login, "Forgot your
// password?" and the invitation of a new user.
func TestBrowserAdministration(t *testing.T) {
	t.Parallel()
	// journey starts a fresh portal on a clock the test moves, with an
	// administrator and a provider who both have a registered phone.
	journey := journeys(t, func(t *testing.T) *testPortal {
		p := startPortal(t, withClock(new(testClock)))
		p.createAdmin(t, adminEmail, adminName, adminPhone)
		p.createUser(t, providerEmail, providerName, providerPhone)
		return p
	})
	// changeJourney starts a journey in which the administrator changes
	// the provider's account: the provider is logged in on one tab (a
	// session from before the change), and the administrator, logged in
	// on another, is on the provider's page in the console.
	changeJourney := func(t *testing.T) (p *testPortal, open func() *tab, provider, admin *tab) {
		t.Helper()
		p, open = journey(t)
		provider = open()
		p.logInWithCode(t, provider, providerEmail, e2ePassword, providerPhone)
		admin = open()
		p.logInWithCode(t, admin, adminEmail, e2ePassword, adminPhone)
		openProviderPage(admin)
		return p, open, provider, admin
	}

	t.Run("administrator disables MFA for a day", func(t *testing.T) {
		p, open, earlier, admin := changeJourney(t)
		admin.expectText("the MFA state", detail("MFA"), "Required")

		// Disable MFA temporarily: 24 hours unless chosen otherwise, with
		// a reason, then confirmed.
		admin.openAction("Disable MFA temporarily")
		if got := admin.value("For how long"); got != "24h" {
			t.Errorf("For how long is %q by default, want 24h (24 hours)", got)
		}
		const reason = "Phone lost on a home visit; new SIM arrives tomorrow"
		admin.fillIn(actionSection("Disable MFA temporarily"), "Reason", reason)
		admin.click("Disable MFA temporarily")
		admin.waitFor("the confirmation", button("Confirm"))
		admin.expectText("the confirmation", "//main", "Disable MFA for "+providerName+" for 24 hours?", reason)
		if msgs := p.SMTP.Messages(); len(msgs) != 0 {
			t.Errorf("before Confirm, %d emails were sent: the action happened unconfirmed", len(msgs))
		}
		before := p.Clock.Now()
		admin.click("Confirm")

		// The page says when it ends.
		admin.waitFor("the notice", noticeBox)
		admin.screenshot("admin-mfa-disabled")
		after := p.Clock.Now()
		notice := admin.text(noticeBox)
		until := adminTimeIn(t, "the notice", notice, "until ")
		if lo, hi := before.Add(24*time.Hour).Truncate(time.Minute), after.Add(24*time.Hour); until.Before(lo) || until.After(hi) {
			t.Errorf("MFA is disabled until %s, want 24 hours from now (%s to %s)", until, lo, hi)
		}
		admin.expectText("the MFA state", detail("MFA"), "Disabled until "+until.Format(adminTimeLayout))
		admin.waitFor("End MFA disable now", "//summary[normalize-space()='End MFA disable now']")
		admin.expectText("the recent events", "//section[h2[normalize-space()='Recent events']]", "admin.mfa_disabled", reason)

		// The provider is told by email: what, by whom and why.
		m := p.email(t, providerEmail)
		for _, want := range []string{"turned off", adminName, adminEmail, "Reason given: " + reason} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("the notice to the provider (subject %q) does not say %q: %q", m.Subject, want, m.Text)
			}
		}

		// Lowering the protection logged the provider out everywhere.
		earlier.expectLoggedOut()

		// The provider logs in with email and password alone.
		provider := open()
		provider.logIn(providerEmail, e2ePassword)
		provider.waitFor("the home page", homePage)
		provider.expectText("the home page", "//h1", "Welcome, "+providerName)
		provider.expectPath("the provider logged in without a code", "/")
		if n := textsTo(p, providerPhone); n != 1 {
			t.Errorf("with MFA disabled, %d more text messages went to the provider", n-1)
		}
		provider.logOut()

		// A day and a minute later, the code is asked for again, with
		// nothing run by hand.
		p.Clock.Advance(24*time.Hour + time.Minute)
		provider.logInToCode(providerEmail, e2ePassword)
		provider.expectText("the code screen", "//main", "•••• 3456")
		code := p.smsCode(t, providerPhone)
		provider.verifyCodeToHome(code)

		// The console shows it too, once the administrator (whose session
		// has long timed out) logs in again.
		admin.open("/admin/users")
		admin.waitHeading("Log in")
		p.logInWithCode(t, admin, adminEmail, e2ePassword, adminPhone)
		openProviderPage(admin)
		admin.expectText("the MFA state", detail("MFA"), "Required")
		if n := admin.count("//summary[normalize-space()='End MFA disable now']"); n != 0 {
			t.Error("after the end of the disable, the user page still offers End MFA disable now")
		}
	})

	t.Run("administrator updates a provider's phone", func(t *testing.T) {
		p, open, before, admin := changeJourney(t)
		admin.expectText("the phone", detail("Phone"), "•••• 3456")

		// A number without the country code: the same guidance as the
		// provider gets, and what was typed is kept.
		const reason = "Provider changed network; confirmed by a call to her manager"
		admin.openAction("Update phone number")
		admin.fill("New mobile number", "07546 654321")
		admin.fillIn(actionSection("Update phone number"), "Reason", reason)
		admin.click("Update phone number")
		admin.expectError("+447546654321")
		if got := admin.value("New mobile number"); got != "07546 654321" {
			t.Errorf("after the error the number field holds %q, want what was typed, %q", got, "07546 654321")
		}
		if got := admin.valueOf(fieldIn(actionSection("Update phone number"), "Reason")); got != reason {
			t.Errorf("after the error the reason holds %q, want what was typed", got)
		}
		admin.expectText("the phone", detail("Phone"), "•••• 3456")

		admin.fill("New mobile number", "+44 7546 654321")
		admin.click("Update phone number")
		admin.waitFor("the confirmation", button("Confirm"))
		admin.expectText("the confirmation", "//main", "+447546654321", reason)
		admin.click("Confirm")
		admin.expectNotice("•••• 4321")
		admin.expectText("the phone", detail("Phone"), "•••• 4321")

		m := p.email(t, providerEmail)
		for _, want := range []string{"•••• 3456", "•••• 4321", adminName, "Reason given: " + reason} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("the notice to the provider (subject %q) does not say %q: %q", m.Subject, want, m.Text)
			}
		}

		// The session from before the change has ended.
		before.expectLoggedOut()

		// The next login sends the code to the new number.
		provider := open()
		provider.logInToCode(providerEmail, e2ePassword)
		provider.expectText("the code screen", "//main", "•••• 4321")
		code := p.smsCode(t, "+447546654321")
		provider.verifyCodeToHome(code)
		if n := textsTo(p, providerPhone); n != 1 {
			t.Errorf("%d text messages went to the old number, want only the one of the login before the change", n)
		}
	})

	t.Run("a non-administrator cannot reach the console", func(t *testing.T) {
		p, open := journey(t)
		providerID := p.user(t, providerEmail).ID
		adminID := p.user(t, adminEmail).ID

		b := open()
		p.logInWithCode(t, b, providerEmail, e2ePassword, providerPhone)
		if n := b.count(link("My Details")); n != 1 {
			t.Fatalf("the provider's header has %d My Details links, want 1", n)
		}
		if n := b.count(link("Administration")); n != 0 {
			t.Error("a provider's header has an Administration link")
		}
		for _, path := range []string{"/admin", "/admin/users", "/admin/users/new", "/admin/audit", "/admin/settings",
			"/admin/users/" + itoa(adminID), "/admin/users/" + itoa(providerID), "/admin/no-such-page"} {
			if status := b.openStatus(path); status != 403 {
				t.Errorf("a provider opening %s gets status %d, want 403", path, status)
			}
			b.waitHeading("No access")
			b.expectText(path, "//main", "You do not have access to this page.")
			if n := b.count(link("Administration")); n != 0 {
				t.Errorf("%s shows a provider an Administration link", path)
			}
		}

		// Crafted requests from the provider's own page, as if the forms
		// were there: nothing happens.
		for _, post := range []struct{ path, body string }{
			{"/admin/users/" + itoa(providerID) + "/disable-mfa", "duration=168h&reason=x&confirm=yes"},
			{"/admin/users/" + itoa(providerID) + "/make-admin", "reason=x&confirm=yes"},
			{"/admin/users/" + itoa(providerID) + "/exempt-mfa", "reason=x&confirm=yes"},
			{"/admin/users/" + itoa(adminID) + "/update-phone", "phone=%2B447546999999&reason=x&confirm=yes"},
			{"/admin/users/new", "name=Mallory&email=mallory%40example.org&role=administrator"},
			{"/admin/settings", "policy=optional&reason=x"},
		} {
			if status := b.post(post.path, post.body); status != 403 {
				t.Errorf("a provider's POST to %s gets status %d, want 403", post.path, status)
			}
		}
		u := p.user(t, providerEmail)
		if u.Admin || !u.MFADisabledUntil.IsZero() || u.MFA != "" {
			t.Errorf("after crafted requests the provider's account is admin=%v, MFA disabled until %v, MFA setting %q", u.Admin, u.MFADisabledUntil, u.MFA)
		}
		if a := p.user(t, adminEmail); a.Phone != adminPhone {
			t.Errorf("a provider's crafted request changed the administrator's phone to %s", a.Phone)
		}
		if _, err := p.App.DB.UserByEmail(t.Context(), "mallory@example.org"); err == nil {
			t.Error("a provider's crafted request created an account")
		}
		if len(p.SMTP.Messages()) != 0 {
			t.Errorf("crafted requests sent %d emails", len(p.SMTP.Messages()))
		}
		if req, err := p.App.Login.PortalRequiresMFA(t.Context()); err != nil || !req {
			t.Errorf("after a provider's crafted request the portal requires MFA: %v (err %v)", req, err)
		}

		// And the provider's own pages still work.
		b.open("/")
		b.waitFor("the home page", homePage)

		// An administrator with the password alone (the code not yet
		// entered) is sent back to the code step.
		admin := open()
		admin.logInToCode(adminEmail, e2ePassword)
		p.sms(t, adminPhone)
		for _, path := range []string{"/admin/users", "/admin/users/" + itoa(providerID), "/admin/audit"} {
			admin.open(path)
			admin.waitHeading("Enter your code")
			admin.expectPath("an administrator without the code opening "+path, "/login/code")
		}
		if status := admin.post("/admin/users/"+itoa(providerID)+"/disable-mfa", "duration=168h&reason=x&confirm=yes"); status == 200 {
			t.Errorf("an administrator without the code posting Disable MFA gets status %d", status)
		}
		if u := p.user(t, providerEmail); !u.MFADisabledUntil.IsZero() {
			t.Errorf("an administrator without the code disabled MFA until %s", u.MFADisabledUntil)
		}
	})

	t.Run("stale administrator confirms with password and code", func(t *testing.T) {
		p, open := journey(t)

		admin := open()
		p.logInWithCode(t, admin, adminEmail, e2ePassword, adminPhone)
		admin.openConsole()
		admin.followTo("Users")

		// Ten minutes on, the console still opens (and the visit keeps the
		// session from its 30-minute idle timeout).
		p.Clock.Advance(10 * time.Minute)
		admin.open("/admin/users")
		admin.waitHeading("Users")

		// Sixteen minutes after the login, the console asks to confirm.
		p.Clock.Advance(6 * time.Minute)
		admin.open("/admin/users")
		admin.waitHeading("Confirm it is you")
		admin.expectPath("a stale administrator opening /admin/users", "/admin/confirm")
		admin.expectText("the confirmation page", "//main", "15 minutes")
		admin.screenshot("admin-confirm")
		confirmItIsYou(p, admin)
		admin.waitHeading("Users")
		admin.expectPath("after confirming, the administrator", "/admin/users")

		// An action confirmed after the login went stale (the confirmation
		// page left open for 16 minutes) is not carried out: the
		// administrator confirms it is them, comes back to the user's page
		// and does it again.
		admin.followTo(providerName)
		admin.askToConfirm("Disable MFA temporarily", "Travelling without her phone")
		p.Clock.Advance(16 * time.Minute)
		admin.click("Confirm")
		admin.waitHeading("Confirm it is you")
		admin.expectText("the confirmation page", "//main", "Nothing was changed")
		confirmItIsYou(p, admin)
		admin.waitHeading(providerName)
		admin.expectText("the MFA state", detail("MFA"), "Required")
		if u := p.user(t, providerEmail); !u.MFADisabledUntil.IsZero() {
			t.Errorf("an action posted with a stale login disabled MFA until %s", u.MFADisabledUntil)
		}
		admin.askToConfirm("Disable MFA temporarily", "Travelling without her phone")
		admin.click("Confirm")
		admin.waitFor("the notice", noticeBox)
		admin.expectText("the MFA state", detail("MFA"), "Disabled until")
		if m := p.email(t, providerEmail); !strings.Contains(m.Text, "Travelling without her phone") {
			t.Errorf("the notice of the repeated action does not give its reason: %q", m.Text)
		}
		if n := len(p.SMTP.Messages()); n != 1 {
			t.Errorf("%d emails were sent, want only the notice of the repeated action", n)
		}
	})

	t.Run("forgot password", func(t *testing.T) {
		p, open := journey(t)

		// The provider is still logged in on another device.
		elsewhere := open()
		p.logInWithCode(t, elsewhere, providerEmail, e2ePassword, providerPhone)

		b := open()

		// "Forgot your password?" on the login screen.
		b.open("/login")
		b.waitHeading("Log in")
		b.followTo("Forgot your password?")
		b.askForResetLink(providerEmail)
		answer := b.text("//main")

		m := p.email(t, providerEmail)
		reset := p.linkPath(t, m, "/reset-password")

		// An unknown address gets the same answer, and nothing is sent.
		other := open()
		other.open("/forgot-password")
		other.waitHeading("Forgot your password?")
		other.askForResetLink("nobody@example.org")
		if got := other.text("//main"); got != answer {
			t.Errorf("for an unknown address the answer is %q, want the same as for an account, %q", got, answer)
		}
		p.App.Login.Wait() // the request's work happens after the answer
		for _, m := range p.SMTP.Messages() {
			if strings.Join(m.To, ",") == "nobody@example.org" {
				t.Errorf("an email went to an address without an account: %q", m.Subject)
			}
		}

		// The link leads to a new password.
		const newPassword = "violet tractor harbour lantern"
		b.open(reset)
		b.waitHeading("Choose a new password")
		b.expectText("the reset page", "//main", providerEmail)
		b.fill("New password", newPassword)
		b.click("Set password")
		b.waitHeading("Log in")
		b.expectText("the login screen", noticeBox, "Log in with the new password")
		changed := p.email(t, providerEmail)
		if !strings.Contains(strings.ToLower(changed.Subject), "password was changed") {
			t.Errorf("after the reset the provider got %q, want the notice that the password was changed", changed.Subject)
		}

		// The link works once.
		b.open(reset)
		b.waitHeading("This link does not work")

		// Every session of the account has ended.
		elsewhere.expectLoggedOut()

		// The old password no longer works; the new one does, and the
		// code is still asked for.
		b.logIn(providerEmail, e2ePassword)
		b.expectError("not right")
		b.logInToCode(providerEmail, newPassword)
		p.smsCode(t, providerPhone)

		// A link is good for 30 minutes.
		other.open("/forgot-password")
		other.askForResetLink(providerEmail)
		late := p.linkPath(t, p.email(t, providerEmail), "/reset-password")
		p.Clock.Advance(31 * time.Minute)
		other.open(late)
		other.waitHeading("This link does not work")
		other.followTo("Forgot your password?")
	})

	t.Run("invitation", func(t *testing.T) {
		p, open := journey(t)
		const (
			name  = "Mary Seacole"
			email = "mary.seacole@example.org"
		)

		admin := open()
		p.logInWithCode(t, admin, adminEmail, e2ePassword, adminPhone)
		admin.openConsole()
		admin.followTo("Users")
		admin.follow("Create user")
		admin.waitFor("the Name field", field("Name"))
		admin.fill("Name", name)
		admin.fill("Email", email)
		admin.run("choose the role Provider", chromedp.Click(field("Provider")))
		admin.click("Create user")
		admin.waitHeading(name)
		admin.expectText("the notice", noticeBox, "The account was created", email)
		admin.expectText("the role", detail("Role"), "Provider")
		admin.expectText("the phone", detail("Phone"), "Not registered")

		// The invited person opens the link in the email.
		m := p.email(t, email)
		welcome := p.linkPath(t, m, "/welcome")
		b := open()
		b.open(welcome)
		b.waitHeading("Welcome — choose your password")
		b.expectText("the welcome page", "//main", email)
		const password = "marigold lantern ferry orchard"
		b.fill("New password", password)
		b.click("Set password")
		b.waitHeading("Log in")
		b.waitFor("the notice", noticeBox)
		notice := b.text(noticeBox)
		t.Run("login screen after choosing the first password", func(t *testing.T) {
			if strings.Contains(notice, "changed") || strings.Contains(notice, "logged out") || !strings.Contains(notice, "Log in") {
				t.Errorf("after choosing the first password, the login screen says %q; want that the password is set and to log in", notice)
			}
		})

		// The link works once.
		b.open(welcome)
		b.waitHeading("This link does not work")

		// The first login goes to Update Phone Number.
		b.logIn(email, password)
		b.waitHeading("Update Phone Number")
		p.registerPhone(t, b, "+44 7546 777888", "+447546777888")
	})

	t.Run("applications", func(t *testing.T) {
		p, open := journey(t)
		admin := open()
		p.logInWithCode(t, admin, adminEmail, e2ePassword, adminPhone)
		admin.openConsole()
		admin.expectText("the Overview", "//main", "Codes over time", "Codes sent", "Logins")
		admin.screenshot("admin-overview")
		admin.followTo("Applications")
		admin.expectText("the empty list", "//main", "No applications are registered yet.")
		admin.follow("Create application")
		admin.waitFor("the Name field", field("Name"))
		admin.fill("Name", "Rota")
		admin.fill("Redirect URIs", "https://rota.example.org/callback\nhttps://rota.example.org/silent")
		admin.fill("Forward-auth hosts", "rota.example.org")
		admin.run("tick Administrators only", chromedp.Click(field("Administrators only")))
		admin.screenshot("admin-app-new")
		admin.click("Create application")
		admin.waitHeading("Application created")
		admin.expectText("the answer", "//main", "Rota", "Confidential", "Store this secret now")
		secret := admin.text("//code[@id='client-secret']")
		if len(secret) < 40 {
			t.Errorf("the client secret shown is %q", secret)
		}
		admin.screenshot("admin-app-created")

		admin.follow("Back to Applications")
		admin.waitHeading("Applications")
		admin.expectText("the list", "//main", "Rota", "https://rota.example.org/silent", "rota.example.org", "Administrators only", "Active")
		if got := admin.text("//main"); secret != "" && strings.Contains(got, secret) {
			t.Error("the list shows the client secret again")
		}
		admin.screenshot("admin-apps")

		admin.click("Disable")
		admin.waitHeading("Disable application")
		admin.expectText("the confirmation", "//main", "Disable Rota?")
		admin.fill("Reason", "replaced by the new rota")
		admin.click("Confirm")
		admin.expectNotice("The application was disabled")
		admin.expectText("the list", "//main", "Disabled ")
	})
}

// The accounts of each administration journey.
const (
	adminName     = "Alice Admin"
	adminEmail    = "alice.admin@example.org"
	adminPhone    = "+447546110001"
	providerName  = "Grace Hopper"
	providerEmail = "grace@example.org"
	providerPhone = "+447546123456"
)

// adminTimeLayout is how the console writes a moment.
const adminTimeLayout = "2 Jan 2006 15:04 MST"

// openProviderPage goes from anywhere to the provider's page in the
// console: Administration, Users, search by name, the name in the list.
func openProviderPage(b *tab) {
	b.t.Helper()
	b.openConsole()
	b.followTo("Users")
	b.fill("Search by name, email or phone", "Hopper")
	b.click("Search")
	// Only the page of results has this link, so the list below is the
	// search's.
	b.waitFor("the search results", link("Clear the search"))
	b.followTo(providerName)
}

// confirmItIsYou passes the "Confirm it is you" page: the password, then
// the code sent by text message to the administrator.
func confirmItIsYou(p *testPortal, b *tab) {
	b.t.Helper()
	b.waitHeading("Confirm it is you")
	b.fill("Password", e2ePassword)
	b.click("Continue")
	b.waitFor("the Code field", field("Code"))
	b.expectText("the code step", "//main", "•••• 0001")
	b.enterCode(p.smsCode(b.t, adminPhone))
}

// actionSection is the expandable section of a user's page for one action, by
// the words of its summary.
func actionSection(summary string) string {
	return "//details[summary[normalize-space()=" + xpathString(summary) + "]]"
}

// openAction expands the section of an action on a user's page.
func (b *tab) openAction(summary string) {
	b.t.Helper()
	b.run("open "+summary,
		chromedp.Click(actionSection(summary)+"/summary"),
		chromedp.WaitVisible(actionSection(summary)+"//button"))
}

// askToConfirm does an action on a user's page: it expands the action's
// section, gives reason, sends it and waits for the confirmation asked
// for.
func (b *tab) askToConfirm(summary, reason string) {
	b.t.Helper()
	b.openAction(summary)
	b.fillIn(actionSection(summary), "Reason", reason)
	b.click(summary)
	b.waitFor("the confirmation", button("Confirm"))
}

// detail is the value of the user page's detail named term.
func detail(term string) string {
	return "//dl/dt[normalize-space()=" + xpathString(term) + "]/following-sibling::dd[1]"
}

// post sends a form (body, URL-encoded) from the page the tab shows, as a
// crafted request would, and returns the HTTP status of the answer.
func (b *tab) post(path, body string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	js := "fetch(" + strconv.Quote(path) + ", {method: 'POST', redirect: 'manual', " +
		"headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: " + strconv.Quote(body) + "}).then(r => r.status)"
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	return status
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var adminTimeRE = regexp.MustCompile(`\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} UTC`)

// adminTimeIn reads the moment written after prefix in text.
func adminTimeIn(t *testing.T, what, text, prefix string) time.Time {
	t.Helper()
	i := strings.Index(text, prefix)
	if i < 0 {
		t.Fatalf("%s %q does not say %q", what, text, prefix)
	}
	s := adminTimeRE.FindString(text[i+len(prefix):])
	tm, err := time.Parse(adminTimeLayout, s)
	if s == "" || err != nil {
		t.Fatalf("%s %q gives no time after %q", what, text, prefix)
	}
	return tm
}

// textsTo counts the text messages sent to a number so far.
func textsTo(p *testPortal, to string) int {
	n := 0
	for _, m := range p.Twilio.Messages() {
		if m.To == to {
			n++
		}
	}
	return n
}
