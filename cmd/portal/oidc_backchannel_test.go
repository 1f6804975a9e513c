package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/apps"
)

// Back-channel logout (OpenID Connect Back-Channel Logout 1.0): a test
// application receives the logout token when the person logs out, when
// an administrator ends their sessions, deactivates them or changes their
// phone, and checks it with go-oidc's
// key set, as an application would.

func TestOIDCBackchannel(t *testing.T) { onPortals(t, testOIDCBackchannel) }

func testOIDCBackchannel(t *testing.T, p *testPortal) {
	tokens := make(chan string, 10)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/logout" {
			http.NotFound(w, r)
			return
		}
		tokens <- r.PostFormValue("logout_token")
	}))
	t.Cleanup(app.Close)
	r := newRP(t, p, apps.Registration{BackchannelLogoutURI: app.URL + "/logout"})
	keys := gooidc.NewRemoteKeySet(t.Context(), p.BaseURL+"/oauth/keys")

	resp, err := http.Get(p.BaseURL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		Backchannel bool `json:"backchannel_logout_supported"`
	}
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || !disc.Backchannel {
		t.Errorf("discovery: backchannel_logout_supported %v (%v)", disc.Backchannel, err)
	}

	// received checks the logout token the application receives next.
	received := func(t *testing.T, sub string) {
		t.Helper()
		var raw string
		select {
		case raw = <-tokens:
		case <-time.After(10 * time.Second):
			t.Fatal("no back-channel logout reached the application")
		}
		payload, err := keys.VerifySignature(t.Context(), raw)
		if err != nil {
			t.Fatalf("the logout token's signature does not verify: %v", err)
		}
		var c struct {
			Iss    string                     `json:"iss"`
			Aud    string                     `json:"aud"`
			Sub    string                     `json:"sub"`
			Iat    int64                      `json:"iat"`
			Jti    string                     `json:"jti"`
			Nonce  *string                    `json:"nonce"`
			Events map[string]json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal(payload, &c); err != nil {
			t.Fatal(err)
		}
		ev, ok := c.Events["http://schemas.openid.net/event/backchannel-logout"]
		if c.Iss != p.BaseURL || c.Aud != r.conf.ClientID || c.Sub != sub || c.Jti == "" || c.Nonce != nil ||
			!ok || string(ev) != "{}" || time.Since(time.Unix(c.Iat, 0)) > time.Minute {
			t.Errorf("logout token claims %s; want iss %s, aud %s, sub %s (the ID token's), the event, no nonce", payload, p.BaseURL, r.conf.ClientID, sub)
		}
	}
	refreshRevoked := func(t *testing.T, tok *oauth2.Token) {
		t.Helper()
		if _, err := r.conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
			t.Error("the refresh token still works after the sessions ended")
		}
	}

	t.Run("logout", func(t *testing.T) {
		in := r.signIn(t)
		b, tok, sub := in.browser, in.tokens, in.sub
		if status, _, _ := b.visit(p.BaseURL, http.MethodPost, p.BaseURL+"/logout", url.Values{}); status != http.StatusOK {
			t.Fatalf("logout: %d", status)
		}
		received(t, sub)
		refreshRevoked(t, tok)
	})

	t.Run("an administrator ends all sessions", func(t *testing.T) {
		in := r.signIn(t)
		id, tok, sub := in.userID, in.tokens, in.sub
		if err := p.App.Admin.EndSessions(t.Context(), admin.Operator(), id, "lost phone"); err != nil {
			t.Fatal(err)
		}
		received(t, sub)
		refreshRevoked(t, tok)
	})

	t.Run("an administrator deactivates the account", func(t *testing.T) {
		in := r.signIn(t)
		if err := p.App.Admin.SetActive(t.Context(), admin.Operator(), in.userID, false, "left"); err != nil {
			t.Fatal(err)
		}
		received(t, in.sub)
		refreshRevoked(t, in.tokens)
	})

	// The person's own phone change goes through the same change
	// (login.Service.Commit): internal/login's
	// TestSessionsEndedTellTheApplications.
	t.Run("an administrator changes the phone", func(t *testing.T) {
		in := r.signIn(t)
		if err := p.App.Admin.SetPhone(t.Context(), admin.Operator(), in.userID, "+447546999001", "new phone"); err != nil {
			t.Fatal(err)
		}
		received(t, in.sub)
		refreshRevoked(t, in.tokens)
	})

	t.Run("an application that does not answer holds nobody", func(t *testing.T) {
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
		}))
		t.Cleanup(slow.Close)
		rs := newRP(t, p, apps.Registration{Name: "Slow rota", BackchannelLogoutURI: slow.URL + "/logout"})
		b := rs.signIn(t).browser
		start := time.Now()
		b.visit(p.BaseURL, http.MethodPost, p.BaseURL+"/logout", url.Values{})
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("logout took %v with an application that does not answer", d)
		}
	})
}
