package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/apps"
)

// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) with the
// independent relying party of oidc_test.go.

const rpLoggedOut = "http://127.0.0.1:9/logged-out"

func TestOIDCLogout(t *testing.T) { onPortals(t, testOIDCLogout) }

func testOIDCLogout(t *testing.T, p *testPortal) {
	r := newRP(t, p, apps.Registration{PostLogoutRedirectURIs: []string{rpLoggedOut}})

	loggedIn := func(b *browser) bool {
		_, _, last := b.visit(p.BaseURL, http.MethodGet, p.BaseURL+"/", nil)
		return !strings.Contains(last, "/login")
	}
	endSession := func(b *browser, q url.Values) (int, string, string) {
		return b.visit(p.BaseURL, http.MethodGet, p.BaseURL+"/oauth/end_session?"+q.Encode(), nil)
	}

	t.Run("registered post-logout redirect URI", func(t *testing.T) {
		in := r.signIn(t)
		b, idToken := in.browser, in.idToken
		_, loc, _ := endSession(b, url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {rpLoggedOut}, "state": {"bye"}})
		if loc != rpLoggedOut+"?state=bye" {
			t.Errorf("after logout to %q, want %s?state=bye", loc, rpLoggedOut)
		}
		if loggedIn(b) {
			t.Error("the portal session lives on after RP-initiated logout")
		}
	})

	t.Run("unregistered post-logout redirect URI", func(t *testing.T) {
		for _, evil := range []string{"https://evil.example.org/", rpLoggedOut + "/x", rpLoggedOut + "?x=1", "http://127.0.0.1:9/logged-ou", rpRedirect} {
			in := r.signIn(t)
			b, idToken := in.browser, in.idToken
			status, loc, last := endSession(b, url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {evil}, "state": {"bye"}})
			if loc != "" || status != http.StatusOK || !strings.Contains(last, "/login?m=logged-out") {
				t.Errorf("post_logout_redirect_uri %s: %d, to %q / %q; want the portal's logged-out page", evil, status, loc, last)
			}
			if loggedIn(b) {
				t.Errorf("post_logout_redirect_uri %s: the portal session lives on", evil)
			}
		}
	})

	t.Run("without a matching id_token_hint the session stays", func(t *testing.T) {
		b := r.signIn(t).browser
		_, loc, _ := endSession(b, url.Values{"client_id": {r.conf.ClientID}, "post_logout_redirect_uri": {rpLoggedOut}})
		if loc != rpLoggedOut {
			t.Errorf("to %q, want %s", loc, rpLoggedOut)
		}
		if !loggedIn(b) {
			t.Error("a logout link without the account's ID token logged the person out")
		}
	})
}
