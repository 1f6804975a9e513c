package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/login"
)

// Secrets stay where they belong: passwords, codes and tokens travel in
// request bodies, and session tokens appear in no log line, redirect or page.

var (
	formRE        = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	formMethodRE  = regexp.MustCompile(`\bmethod="([^"]*)"`)
	secretFieldRE = regexp.MustCompile(`type="password"|name="(?:password|code|token)"`)
)

// TestSecretFieldsArePosted: every form that holds a password, a code or
// an emailed link's token is sent by POST, so that the secret travels in
// the body, never in a URL that browsers keep in their history, proxies
// log and the Referer header carries.
func TestSecretFieldsArePosted(t *testing.T) {
	e := newAdminEnv(t)
	t.Cleanup(e.Login.Wait) // background work ends before the database closes
	half := e.browser()
	if r := e.post(half, "/login", "email", e.provider.Email, "password", testPassword); r.location != "/login/code" {
		t.Fatalf("half login: %d %s", r.status, r.location)
	}
	e.Login.RequestPasswordReset(context.Background(), e.provider.Email, login.Client{})
	e.Login.Wait()
	reset, err := url.Parse(resetLinkIn(e, e.provider.Email))
	if err != nil {
		t.Fatal(err)
	}
	admin := e.adminBrowser()
	e.clock.Advance(16 * time.Minute) // the console now asks for the password again

	pages := []struct {
		c    *http.Client
		path string
	}{
		{e.browser(), "/login"},
		{half, "/login/code"},
		{e.browser(), reset.RequestURI()},
		{admin, "/admin/confirm?next=/admin/users"},
	}
	for _, p := range pages {
		r := e.get(p.c, p.path)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", p.path, r.status, r.location)
		}
		found := false
		for _, f := range formRE.FindAllStringSubmatch(r.body, -1) {
			if !secretFieldRE.MatchString(f[2]) {
				continue
			}
			found = true
			if m := formMethodRE.FindStringSubmatch(f[1]); m == nil || !strings.EqualFold(m[1], "post") {
				t.Errorf("GET %s: a form with a secret field is not sent by POST: <form%s>", p.path, f[1])
			}
		}
		if !found {
			t.Errorf("GET %s: no form with a password, code or token field; the test checks nothing there", p.path)
		}
	}
}

// TestSessionTokensNeverInLogsOrLinks: through a login (a token at the
// password step, another at the code step), a few pages and a logout, no
// session token appears in the log, in a redirect or anywhere in a page.
func TestSessionTokensNeverInLogsOrLinks(t *testing.T) {
	e := newEnv(t)
	t.Cleanup(e.Login.Wait) // background work ends before the database closes
	e.user("tok@example.org", "+447546123456")
	c := e.browser()
	var answers []rawResponse
	keep := func(r rawResponse) rawResponse { answers = append(answers, r); return r }
	keep(e.raw(c, "GET", "/login", ""))
	creds := url.Values{"email": {"tok@example.org"}, "password": {testPassword}}
	if r := keep(e.raw(c, "POST", "/login", creds.Encode())); r.location != "/login/code" {
		t.Fatalf("login: %d %s", r.status, r.location)
	}
	keep(e.raw(c, "GET", "/login/code", ""))
	code := url.Values{"code": {e.lastCode("+447546123456")}}
	if r := keep(e.raw(c, "POST", "/login/code", code.Encode())); r.location != "/" {
		t.Fatalf("code: %d %s", r.status, r.location)
	}
	keep(e.raw(c, "GET", "/", ""))
	keep(e.raw(c, "GET", "/my-details", ""))
	keep(e.raw(c, "POST", "/logout", "x=1"))
	keep(e.raw(c, "GET", "/login", ""))

	var tokens []string
	for _, r := range answers {
		for _, ck := range (&http.Response{Header: r.header}).Cookies() {
			if ck.Value != "" {
				tokens = append(tokens, ck.Value)
			}
		}
	}
	if len(tokens) < 2 {
		t.Fatalf("%d session tokens issued; want one at the password step and one at the code step", len(tokens))
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "path=/my-details") {
		t.Fatalf("the requests were not logged; the test would prove nothing:\n%s", logs)
	}
	for _, tok := range tokens {
		if strings.Contains(logs, tok) {
			t.Errorf("the log contains the session token %.8s…", tok)
		}
		for i, r := range answers {
			if strings.Contains(r.location, tok) || strings.Contains(r.body, tok) {
				t.Errorf("answer %d (%d) carries the session token %.8s… in its redirect or page", i, r.status, tok)
			}
		}
	}
}
