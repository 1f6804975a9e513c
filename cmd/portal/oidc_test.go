package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/apps"
)

// The portal as an OpenID Connect provider, tested with an independent
// relying party (github.com/coreos/go-oidc and golang.org/x/oauth2, not
// the provider library's own client) against the real server on loopback:
// the article's login with the SMS code in the middle.

// rpRedirect is where the test's applications receive sign-ins. Nothing
// listens there: the test reads the code from the redirect.
const rpRedirect = "http://127.0.0.1:9/callback"

// rp is a relying party registered with the portal.
type rp struct {
	t        *testing.T
	p        *testPortal
	provider *gooidc.Provider
	conf     oauth2.Config
	verifier *gooidc.IDTokenVerifier
}

func newRP(t *testing.T, p *testPortal, reg apps.Registration) *rp {
	t.Helper()
	if reg.Name == "" {
		reg.Name = "Rota"
	}
	if reg.RedirectURIs == nil {
		reg.RedirectURIs = []string{rpRedirect}
	}
	a, secret, err := p.App.Admin.CreateApplication(t.Context(), admin.Operator(), reg)
	if err != nil {
		t.Fatal(err)
	}
	provider, err := gooidc.NewProvider(t.Context(), p.BaseURL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &rp{t: t, p: p, provider: provider, verifier: provider.Verifier(&gooidc.Config{ClientID: a.ClientID}),
		conf: oauth2.Config{ClientID: a.ClientID, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: rpRedirect,
			Scopes: []string{gooidc.ScopeOpenID, "profile", "email", "phone", gooidc.ScopeOfflineAccess}}}
}

// browser is a person's browser: cookies, and redirects followed by hand.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	return &browser{t: t, c: browserClient(15 * time.Second)}
}

// visit requests u (absolute) and follows redirects within the portal; it
// returns the last answer's status and, for a redirect out of the portal
// (to the application), its location.
func (b *browser) visit(base, method, u string, form url.Values) (status int, location string, last string) {
	b.t.Helper()
	for range 20 {
		req, err := formRequest(method, u, form)
		if err != nil {
			b.t.Fatal(err)
		}
		resp, err := b.c.Do(req)
		if err != nil {
			b.t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode >= 400 || loc == "" {
			return resp.StatusCode, "", u
		}
		next, err := url.Parse(u)
		if err != nil {
			b.t.Fatal(err)
		}
		next, err = next.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		if !strings.HasPrefix(next.String(), base) {
			return resp.StatusCode, next.String(), u
		}
		u, method, form = next.String(), http.MethodGet, nil
	}
	b.t.Fatalf("too many redirects from %s", u)
	return 0, "", ""
}

// authorize starts a sign-in of the application and follows it as far as
// the portal goes: to the application (location) or to a portal page
// (last).
func (r *rp) authorize(b *browser, opts ...oauth2.AuthCodeOption) (location, last, verifier string) {
	r.t.Helper()
	verifier = oauth2.GenerateVerifier()
	opts = append(opts, oauth2.S256ChallengeOption(verifier), gooidc.Nonce("nonce-1"))
	_, location, last = b.visit(r.p.BaseURL, http.MethodGet, r.conf.AuthCodeURL("state-1", opts...), nil)
	return location, last, verifier
}

// code reads the code from the application's redirect, checking state.
func (r *rp) code(location string) string {
	r.t.Helper()
	u, err := url.Parse(location)
	if err != nil || !strings.HasPrefix(location, rpRedirect+"?") {
		r.t.Fatalf("redirect to %q, want the application's redirect URI", location)
	}
	if u.Query().Get("state") != "state-1" || u.Query().Get("code") == "" {
		r.t.Fatalf("redirect %q: want a code and state-1", location)
	}
	return u.Query().Get("code")
}

// logIn signs in through the portal's login: password, then the SMS code.
func (r *rp) logIn(b *browser, email, phone string, opts ...oauth2.AuthCodeOption) (code, verifier string) {
	r.t.Helper()
	loc, last, verifier := r.authorize(b, opts...)
	if loc != "" || !strings.HasSuffix(last, "/login") {
		r.t.Fatalf("an unknown browser went to %q / %q, want the portal's login", loc, last)
	}
	_, loc, last = b.visit(r.p.BaseURL, http.MethodPost, r.p.BaseURL+"/login", loginForm(email, e2ePassword))
	if loc != "" || !strings.HasSuffix(last, "/login/code") {
		r.t.Fatalf("after the password: %q / %q, want the code screen", loc, last)
	}
	_, loc, _ = b.visit(r.p.BaseURL, http.MethodPost, r.p.BaseURL+"/login/code", codeForm(r.p.smsCode(r.t, phone)))
	return r.code(loc), verifier
}

type idClaims struct {
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	Phone         string   `json:"phone_number"`
	AuthTime      int64    `json:"auth_time"`
	AMR           []string `json:"amr"`
	ACR           string   `json:"acr"`
	Roles         []string `json:"roles"`
}

// signedIn is a person signIn logged in to the application.
type signedIn struct {
	browser *browser
	userID  int64
	tokens  *oauth2.Token
	idToken string // raw, as the application received it
	sub     string
}

// signIn logs a new person in to the application in a new browser (one
// person each: codes by SMS are limited per account), as t.
func (r *rp) signIn(t *testing.T) signedIn {
	t.Helper()
	r.p.people++ // per portal: applications share its accounts
	email, phone := fmt.Sprintf("person%d@example.org", r.p.people), fmt.Sprintf("+4475461236%02d", r.p.people)
	id := r.p.createUser(t, email, "Grace Kirby", phone)
	b := newBrowser(t)
	r.t = t
	code, verifier := r.logIn(b, email, phone)
	tok, err := r.conf.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	idt, _ := r.verify(tok)
	raw, _ := tok.Extra("id_token").(string)
	return signedIn{browser: b, userID: id, tokens: tok, idToken: raw, sub: idt.Subject}
}

func (r *rp) verify(tok *oauth2.Token) (*gooidc.IDToken, idClaims) {
	r.t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.verifier.Verify(r.t.Context(), raw)
	if err != nil {
		r.t.Fatalf("ID token does not verify: %v", err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		r.t.Fatal(err)
	}
	return idt, c
}

func TestOIDC(t *testing.T) { onPortals(t, testOIDC) }

func testOIDC(t *testing.T, p *testPortal) {
	const phone = "+447546123456"
	p.createUser(t, "florence@example.org", "Florence Nightingale", phone)
	r := newRP(t, p, apps.Registration{})
	ctx := t.Context()

	if r.provider.Endpoint().TokenURL != p.BaseURL+"/oauth/token" {
		t.Errorf("discovery names token endpoint %q", r.provider.Endpoint().TokenURL)
	}
	b := newBrowser(t)
	code, verifier := r.logIn(b, "florence@example.org", phone)
	tok, err := r.conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	idt, c := r.verify(tok)
	if idt.Nonce != "nonce-1" {
		t.Errorf("nonce %q", idt.Nonce)
	}
	if idt.Subject == "" || strings.Contains(idt.Subject, "florence") || idt.Subject == "1" {
		t.Errorf("sub %q: want stable and opaque", idt.Subject)
	}
	if c.Email != "florence@example.org" || !c.EmailVerified || c.Name != "Florence Nightingale" || c.Phone != phone ||
		!slices.Equal(c.AMR, []string{"pwd", "sms"}) || !slices.Equal(c.Roles, []string{"provider"}) || c.ACR == "" ||
		time.Since(time.Unix(c.AuthTime, 0)) > time.Minute {
		t.Errorf("ID token claims %+v", c)
	}
	info, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info.Subject != idt.Subject || info.Email != "florence@example.org" {
		t.Errorf("userinfo %+v", info)
	}

	t.Run("code used once", func(t *testing.T) {
		if _, err := r.conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil {
			t.Fatal("a code was redeemed twice")
		}
		// Its tokens are revoked with it.
		if _, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("the access token of a code redeemed twice still works")
		}
	})

	t.Run("single sign-on, refresh and reuse", func(t *testing.T) {
		loc, _, verifier := r.authorize(b)
		tok, err := r.conf.Exchange(ctx, r.code(loc), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("token after single sign-on: %v", err)
		}
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token with offline_access")
		}
		old := *tok
		old.Expiry = time.Now().Add(-time.Minute)
		fresh, err := r.conf.TokenSource(ctx, &old).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
			t.Fatal("the refresh token was not rotated")
		}
		if _, c := r.verify(fresh); !slices.Equal(c.AMR, []string{"pwd", "sms"}) {
			t.Errorf("refreshed ID token amr %v", c.AMR)
		}
		// The old refresh token again: the family is revoked.
		if _, err := r.conf.TokenSource(ctx, &old).Token(); err == nil {
			t.Fatal("a rotated refresh token worked again")
		}
		again := *fresh
		again.Expiry = time.Now().Add(-time.Minute)
		if _, err := r.conf.TokenSource(ctx, &again).Token(); err == nil {
			t.Error("after reuse of its predecessor, the newest refresh token still works")
		}
		if _, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(fresh)); err == nil {
			t.Error("after reuse, the family's access token still works")
		}
	})

	t.Run("without offline_access no refresh token", func(t *testing.T) {
		loc, _, verifier := r.authorize(b, oauth2.SetAuthURLParam("scope", "openid email"))
		tok, err := r.conf.Exchange(ctx, r.code(loc), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		if tok.RefreshToken != "" {
			t.Error("a refresh token without offline_access")
		}
		if _, c := r.verify(tok); c.Phone != "" || c.Name != "" {
			t.Errorf("claims beyond the scopes: %+v", c)
		}
	})

	t.Run("revocation and introspection", func(t *testing.T) {
		loc, _, verifier := r.authorize(b)
		tok, err := r.conf.Exchange(ctx, r.code(loc), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		if active := r.introspect(tok.AccessToken); !active {
			t.Fatal("introspection: an active access token is inactive")
		}
		if status := r.revoke(tok.AccessToken); status != http.StatusOK {
			t.Fatalf("revoke: %d", status)
		}
		if _, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("a revoked access token still works at userinfo")
		}
		if r.introspect(tok.AccessToken) {
			t.Error("introspection: a revoked access token is active")
		}
		if status := r.revoke(tok.RefreshToken); status != http.StatusOK {
			t.Fatalf("revoke refresh token: %d", status)
		}
		if _, err := r.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
			t.Error("a revoked refresh token still works")
		}
	})

	t.Run("a code redeemed twice at once", func(t *testing.T) {
		loc, _, verifier := r.authorize(b)
		if ok, errs := redeemAtOnce(ctx, r.code(loc), verifier, r.conf, r.conf, r.conf, r.conf); ok != 1 {
			t.Fatalf("%d of %d concurrent redemptions succeeded, want 1 (%v)", ok, len(errs), errs)
		}
	})

	t.Run("wrong verifier", func(t *testing.T) {
		loc, _, _ := r.authorize(b)
		if _, err := r.conf.Exchange(ctx, r.code(loc), oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
			t.Fatal("a code was redeemed with another PKCE verifier")
		}
	})

	t.Run("wrong redirect URI refused at the portal", func(t *testing.T) {
		for _, evil := range []string{"http://127.0.0.1:9/callback/x", "https://evil.example.org/callback", "http://127.0.0.1:9/callback?x=1"} {
			conf := r.conf
			conf.RedirectURL = evil
			status, loc, _ := newBrowser(t).visit(p.BaseURL, http.MethodGet, conf.AuthCodeURL("s"), nil)
			if status != http.StatusBadRequest || loc != "" {
				t.Errorf("redirect_uri %s: %d, to %q; want 400 at the portal, no redirect", evil, status, loc)
			}
		}
	})

	t.Run("prompt=login and max_age log in again", func(t *testing.T) {
		for _, opt := range []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0")} {
			loc, last, _ := r.authorize(b, opt)
			if loc != "" || !strings.HasSuffix(last, "/login") {
				t.Fatalf("%v: to %q / %q, want the login", opt, loc, last)
			}
			// The session has ended: even the home page asks for a login.
			if _, _, last := b.visit(p.BaseURL, http.MethodGet, p.BaseURL+"/", nil); !strings.Contains(last, "/login") {
				t.Errorf("the session lives on after prompt=login (%s)", last)
			}
			b.visit(p.BaseURL, http.MethodPost, p.BaseURL+"/login", loginForm("florence@example.org", e2ePassword))
			_, loc, _ = b.visit(p.BaseURL, http.MethodPost, p.BaseURL+"/login/code", codeForm(p.smsCode(t, phone)))
			if !strings.HasPrefix(loc, rpRedirect+"?code=") && !strings.Contains(loc, "code=") {
				t.Fatalf("%v: after the new login, to %q, want the application with a code", opt, loc)
			}
		}
	})

	t.Run("a max_age of any size", func(t *testing.T) {
		// The largest a uint holds once overflowed time.Duration: a fresh
		// session then read as too old, or the reverse.
		loc, last, _ := r.authorize(b, oauth2.SetAuthURLParam("max_age", "18446744073709551615"))
		if !strings.HasPrefix(loc, rpRedirect+"?code=") {
			t.Errorf("max_age=2^64-1 with a fresh session: to %q / %q, want the application with a code at once", loc, last)
		}
	})

	t.Run("admins-only application refuses a provider", func(t *testing.T) {
		only := newRP(t, p, apps.Registration{Name: "Console tools", AdminsOnly: true})
		loc, _, _ := only.authorize(b)
		u, _ := url.Parse(loc)
		if !strings.HasPrefix(loc, rpRedirect+"?") || u.Query().Get("error") != "access_denied" || u.Query().Get("code") != "" {
			t.Errorf("admins-only application: redirect %q, want access_denied", loc)
		}
	})

	t.Run("your applications", func(t *testing.T) {
		resp, err := b.c.Get(p.BaseURL + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		home := string(body)
		if !strings.Contains(home, "Your applications") || !strings.Contains(home, ">Rota<") || strings.Contains(home, "Console tools") {
			t.Errorf("a provider's home page lists (want Rota, not the admins-only Console tools):\n%s", home)
		}
	})

	t.Run("public client needs PKCE", func(t *testing.T) {
		pub := newRP(t, p, apps.Registration{Name: "SPA", Public: true})
		if pub.conf.ClientSecret != "" {
			t.Fatal("a public client got a secret")
		}
		_, loc, _ := newBrowser(t).visit(p.BaseURL, http.MethodGet, pub.conf.AuthCodeURL("state-1"), nil)
		if u, _ := url.Parse(loc); u == nil || u.Query().Get("error") == "" {
			t.Errorf("public client without PKCE: %q, want an error", loc)
		}
		loc, _, verifier := pub.authorize(b)
		if _, err := pub.conf.Exchange(ctx, pub.code(loc), oauth2.VerifierOption(verifier)); err != nil {
			t.Errorf("public client with PKCE: %v", err)
		}
	})

	t.Run("disabled application", func(t *testing.T) {
		gone := newRP(t, p, apps.Registration{Name: "Old rota"})
		loc, _, verifier := gone.authorize(b)
		code := gone.code(loc)
		if err := p.App.Admin.DisableApplication(ctx, admin.Operator(), gone.conf.ClientID, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := gone.conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil {
			t.Error("a disabled application redeemed a code")
		}
		status, loc, _ := newBrowser(t).visit(p.BaseURL, http.MethodGet, gone.conf.AuthCodeURL("s"), nil)
		if status != http.StatusBadRequest || loc != "" {
			t.Errorf("a disabled application's sign-in: %d, %q", status, loc)
		}
	})
}

// introspect asks whether a token is active, as the application.
func (r *rp) introspect(token string) bool {
	r.t.Helper()
	status, body := r.post("/oauth/introspect", url.Values{"token": {token}})
	var resp struct {
		Active bool `json:"active"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &resp) != nil {
		r.t.Fatalf("introspect: %d %s", status, body)
	}
	return resp.Active
}

func (r *rp) revoke(token string) int {
	r.t.Helper()
	status, _ := r.post("/oauth/revoke", url.Values{"token": {token}})
	return status
}

// post calls an endpoint as the application, with its secret.
func (r *rp) post(path string, form url.Values) (int, string) {
	r.t.Helper()
	req, _ := http.NewRequestWithContext(r.t.Context(), http.MethodPost, r.p.BaseURL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(r.conf.ClientID), url.QueryEscape(r.conf.ClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// redeemAtOnce redeems code at each token endpoint of confs at the same
// time; it returns how many succeeded, and every answer's error.
func redeemAtOnce(ctx context.Context, code, verifier string, confs ...oauth2.Config) (int, []error) {
	errs := make([]error, len(confs))
	var wg sync.WaitGroup
	for i, conf := range confs {
		wg.Go(func() { _, errs[i] = conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	return ok, errs
}
