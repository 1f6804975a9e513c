package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserBackAfterLogout: a bookmark of the login screen opened while
// logged in redirects to Home; after logging out, Back must show the login
// screen, not loop between a remembered "/login → /" and a fresh
// "/ → /login" (ERR_TOO_MANY_REDIRECTS). Every dynamic answer, redirects
// included, is Cache-Control: no-store, so the browser asks again.
func TestBrowserBackAfterLogout(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	p := startPortal(t)
	p.createUser(t, "grace@example.org", "Grace Hopper", "+447546123456")
	b := newTab(t, browser, p.BaseURL, 60*time.Second)

	p.logInWithCode(t, b, "grace@example.org", e2ePassword, "+447546123456")
	// The bookmark: the login screen, while logged in, is Home.
	b.open("/login")
	b.waitFor("the home page", homePage)
	if got := b.path(); got != "/" {
		t.Fatalf("/login while logged in shows %s, want / (Home)", got)
	}
	b.click("Log out")
	b.waitHeading("Log in")
	b.expectText("the login screen", noticeBox, "logged out")

	for i := range 2 {
		b.run("press Back", chromedp.NavigateBack())
		loc := b.location()
		if strings.HasPrefix(loc, "chrome-error:") {
			t.Fatalf("Back #%d after logging out: the browser shows an error page (%s), a redirect loop\n%s", i+1, loc, b.describe())
		}
		b.waitHeading("Log in")
		if got := b.path(); got != "/login" {
			t.Errorf("Back #%d after logging out shows %s, want the login screen", i+1, got)
		}
	}
}

// location is the address the tab shows, error pages included.
func (b *tab) location() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("read location: %v", err)
	}
	return loc
}
