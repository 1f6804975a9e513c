package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/providerportal/portal/internal/delivery/smtptest"
	"github.com/providerportal/portal/internal/testenv"
)

// axeSizes are the window sizes every screen is checked at: a laptop and
// a phone.
var axeSizes = []struct{ width, height int64 }{{1280, 800}, {390, 844}}

// axeScript reads axe-core, which .ci/run installs with npm into the cache
// folder (PORTAL_AXE names another copy). Without it the test is skipped,
// unless PORTAL_REQUIRE_AXE=1.
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PORTAL_AXE")
	if path == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			testenv.Axe.Unavailable(t, "no cache folder to find axe-core in ("+err.Error()+")")
		}
		path = filepath.Join(cache, "portal-ci", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path) // #nosec G304 -- test: the file the operator of the test run named
	if err != nil {
		testenv.Axe.Unavailable(t, "axe-core not found at "+path+" (.ci/run installs it)")
	}
	return string(b)
}

// axeResults are the parts of axe.run's answer the test reads.
type axeResults struct {
	Violations []axeRule `json:"violations"`
	Incomplete []axeRule `json:"incomplete"`
}

type axeRule struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target         json.RawMessage `json:"target"`
		FailureSummary string          `json:"failureSummary"`
		Any            []struct {
			Message string `json:"message"`
		} `json:"any"`
	} `json:"nodes"`
}

// axeCheck runs axe-core on the screens of one journey and keeps, per
// screen and size, how many violations it found, for the summary.
type axeCheck struct {
	t       *testing.T
	script  string
	summary []string
}

// screen checks the page b shows, named name, at every size of axeSizes:
// each violation fails the test, in words. On the console's tables the
// color-contrast items axe leaves for review are reported.
func (a *axeCheck) screen(b *tab, name string) {
	a.t.Helper()
	for _, size := range axeSizes {
		b.run(fmt.Sprintf("set the window to %d×%d", size.width, size.height),
			chromedp.EmulateViewport(size.width, size.height))
		// Evaluated by DevTools, which the page's script policy does not
		// restrict; once per page.
		b.run("load axe-core", chromedp.Evaluate[chromedp.Void]("if (!window.axe) { (function(){"+a.script+"\n})(); } undefined"))
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		js, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
			const r = await axe.run(document, {resultTypes: ['violations']});
			const tables = document.querySelectorAll('table').length > 0
				? await axe.run({include: [['table']]}, {runOnly: ['color-contrast']}) : {incomplete: []};
			return JSON.stringify({violations: r.violations, incomplete: tables.incomplete});
		})()`, chromedp.EvalAwaitPromise))
		cancel()
		if err != nil {
			a.t.Fatalf("axe on %s: %v\n%s", name, err, b.describe())
		}
		var res axeResults
		if err := json.Unmarshal([]byte(js), &res); err != nil {
			a.t.Fatalf("axe on %s answered %q: %v", name, js, err)
		}
		at := fmt.Sprintf("%s at %d×%d", name, size.width, size.height)
		n := 0
		for _, v := range res.Violations {
			for _, node := range v.Nodes {
				n++
				a.t.Errorf("%s: %s (%s, rule %s) at %s: %s", at, v.Help, v.Impact, v.ID, node.Target,
					strings.Join(strings.Fields(node.FailureSummary), " "))
			}
		}
		// The items for review, grouped by axe's reason, one example each.
		review := 0
		reasons := map[string][]string{}
		for _, v := range res.Incomplete {
			for _, node := range v.Nodes {
				why := v.Help
				if len(node.Any) > 0 {
					why = node.Any[0].Message
				}
				reasons[why] = append(reasons[why], string(node.Target))
				review++
			}
		}
		for why, targets := range reasons {
			a.t.Logf("%s: %d table cells for review (color-contrast): %s (e.g. %s)", at, len(targets), why, targets[0])
		}
		a.summary = append(a.summary, fmt.Sprintf("%-36s %d violations, %d table cells for contrast review", at, n, review))
		b.screenshot(fmt.Sprintf("axe-%s-%d", name, size.width))
	}
	b.run("set the window back", chromedp.EmulateViewport(axeSizes[0].width, axeSizes[0].height))
}

// TestBrowserAccessibility walks every screen of the person and of the
// console, as the journeys of the help article reach them, and runs
// axe-core on each at a laptop's and a phone's size: no violation may be
// found.
func TestBrowserAccessibility(t *testing.T) {
	script := axeScript(t)
	browser := startBrowser(t)
	p := startPortal(t)
	a := &axeCheck{t: t, script: script}
	var mu sync.Mutex
	var failed []string // what a page asked for and did not get
	open := func() *tab {
		b := newTab(t, browser, p.BaseURL, 3*time.Minute)
		err := chromedp.Listen(b.ctx, func(ev any) {
			if r, ok := ev.(*network.EventResponseReceived); ok && r.Type != network.ResourceTypeDocument && r.Response.Status >= 400 {
				mu.Lock()
				failed = append(failed, fmt.Sprintf("%s %d", r.Response.URL, r.Response.Status))
				mu.Unlock()
			}
		})
		if err != nil {
			t.Fatalf("listen to the tab: %v", err)
		}
		return b
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range failed {
			t.Errorf("a page asked for %s (the icon, a style sheet or a script it names)", f)
		}
	}()
	defer func() { t.Logf("axe-core, per screen:\n%s", strings.Join(a.summary, "\n")) }()

	// Set-up: the first administrator's page, before any account exists.
	token, ok, err := p.App.Login.EnsureSetupToken(t.Context())
	if err != nil || !ok {
		t.Fatalf("setup token: %v %v", ok, err)
	}
	b := open()
	b.open("/setup?token=" + token)
	b.waitFor("the set-up form", "//form")
	a.screen(b, "setup")

	p.createAdmin(t, adminEmail, adminName, adminPhone)
	p.createUser(t, providerEmail, providerName, "")

	// The person: login, registering a phone, the code, home, My Details,
	// a phone change, a password reset.
	b.open("/login")
	b.waitHeading("Log in")
	a.screen(b, "login")
	b.logIn(providerEmail, e2ePassword)
	b.waitHeading("Update Phone Number")
	a.screen(b, "register-phone")
	b.sendPhone("07546123456")
	b.waitFor("the error message", errorBox)
	a.screen(b, "register-phone-error")
	b.sendPhone(providerPhone)
	b.waitFor("the Code field", field("Code"))
	code := p.smsCode(t, providerPhone)
	a.screen(b, "register-phone-code")
	b.enterCode(code)
	b.waitHeading("Log in")
	a.screen(b, "login-after-registration")

	b.logInToCode(providerEmail, e2ePassword)
	code = p.smsCode(t, providerPhone)
	a.screen(b, "code")
	b.enterCode(wrongCode(code))
	b.waitFor("the error message", errorBox)
	a.screen(b, "code-wrong")
	b.verifyCodeToHome(code)
	a.screen(b, "home")
	// The first Tab reaches the skip link, the next the bar's first link,
	// each shown with the focus ring.
	b.run("press Tab", chromedp.KeyEvent("\t"))
	if focused, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.activeElement.textContent")); err != nil || focused != "Skip to main content" {
		t.Errorf("the first Tab focuses %q (%v), want the skip link", focused, err)
	}
	b.screenshot("home-skip-link-focused")
	b.run("press Tab", chromedp.KeyEvent("\t"))
	b.screenshot("home-focus-ring-on-the-bar")

	b.followTo("My Details")
	a.screen(b, "my-details")
	b.fill("New mobile number", "+44 7546 654321")
	b.click("Update")
	b.waitFor("the Code field", field("Code"))
	code = p.smsCode(t, "+447546654321")
	a.screen(b, "phone-change")
	b.enterCode(code)
	b.waitHeading("My Details")

	r := open()
	r.open("/forgot-password")
	r.waitFor("the email field", field("Email"))
	a.screen(r, "forgot-password")
	r.fill("Email", providerEmail)
	r.run("send the reset link", chromedp.Click("//main//button[@type='submit']"))
	r.waitHeading("Check your email") // not a paragraph: the form's page has those too, and axe would run on it as it goes
	a.screen(r, "forgot-password-sent")
	r.open(p.linkPath(t, emailWithLink(t, p, providerEmail, "/reset-password"), "/reset-password"))
	r.waitFor("the new password field", field("New password"))
	a.screen(r, "reset-password")

	// The console: the overview, users, a user's page, a new user, the
	// audit log, settings, applications; and the invited person's welcome
	// page.
	admin := open()
	p.logInWithCode(t, admin, adminEmail, e2ePassword, adminPhone)
	admin.openConsole()
	a.screen(admin, "admin-overview")
	admin.followTo("Users")
	a.screen(admin, "admin-users")
	admin.followTo(providerName)
	a.screen(admin, "admin-user")
	admin.followTo("Users")
	admin.follow("Create user")
	admin.waitFor("the Name field", field("Name"))
	a.screen(admin, "admin-user-new")
	admin.fill("Name", "Mary Seacole")
	admin.fill("Email", "mary.seacole@example.org")
	admin.run("choose the role Provider", chromedp.Click(field("Provider")))
	admin.click("Create user")
	admin.waitHeading("Mary Seacole")
	w := open()
	w.open(p.linkPath(t, emailWithLink(t, p, "mary.seacole@example.org", "/welcome"), "/welcome"))
	w.waitHeading("Welcome — choose your password")
	a.screen(w, "welcome")

	admin.followTo("Audit log")
	a.screen(admin, "admin-audit")
	admin.followTo("Settings")
	a.screen(admin, "admin-settings")
	admin.followTo("Applications")
	a.screen(admin, "admin-applications")
}

// emailWithLink takes the emails to the address in order, the notices
// before it, until one has a link to path.
func emailWithLink(t *testing.T, p *testPortal, to, path string) smtptest.Message {
	t.Helper()
	for {
		if m := p.email(t, to); strings.Contains(m.Text, p.BaseURL+path) {
			return m
		}
	}
}
