package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserBackAfterLogout: a bookmark of the login screen opened while
// logged in redirects to Home; after logging out, Back must show the login
// screen, not loop between a remembered "/login → /" and a fresh
// "/ → /login" (ERR_TOO_MANY_REDIRECTS). Every dynamic answer, redirects
// included, is Cache-Control: no-store, so the browser asks again.
func TestBrowserBackAfterLogout(t *testing.T) {
	t.Parallel()
	p, b := oneJourney(t, "grace@example.org", "Grace Hopper", "+447546123456")

	p.logInWithCode(t, b, "grace@example.org", e2ePassword, "+447546123456")
	// The bookmark: the login screen, while logged in, is Home.
	b.open("/login")
	b.waitFor("the home page", homePage)
	if got := b.path(); got != "/" {
		t.Fatalf("/login while logged in shows %s, want / (Home)", got)
	}
	b.logOut()

	for i := range 2 {
		b.run("press Back", chromedp.NavigateBack())
		loc := b.location()
		if strings.HasPrefix(loc, "chrome-error:") {
			t.Fatalf("Back #%d after logging out: the browser shows an error page (%s), a redirect loop\n%s", i+1, loc, b.describe())
		}
		b.waitHeading("Log in")
		b.expectPath(fmt.Sprintf("Back #%d after logging out", i+1), "/login")
	}
}
