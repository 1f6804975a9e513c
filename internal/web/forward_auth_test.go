package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store/enginetest"
	"github.com/providerportal/portal/internal/web"
)

// Forward-auth: /auth/verify answers reverse proxies; the portal runs on
// https://portal.test with its session cookie scoped to portal.test, and
// app.portal.test is a registered forward-auth application. The test
// server itself is plain http on loopback (the proxy's side), so the
// cookies are carried by looseJar.

const (
	fwdBase = "https://portal.test"
	fwdApp  = "app.portal.test"
)

// fwdHosts is the applications registry as /auth/verify sees it: true
// for a host of everyone's application, false for one of an application
// for administrators only.
type fwdHosts map[string]bool

func (h fwdHosts) ForwardAuthAllowed(_ context.Context, host string) (bool, error) {
	_, ok := h[host]
	return ok, nil
}

func (h fwdHosts) ForwardAuthAdminsOnly(_ context.Context, host string) (bool, error) {
	for name, everyone := range h {
		if !everyone && (host == "" || host == name) {
			return true, nil
		}
	}
	return false, nil
}

type failingHosts struct{}

func (failingHosts) ForwardAuthAllowed(context.Context, string) (bool, error) {
	return false, errors.New("registry down")
}

func (failingHosts) ForwardAuthAdminsOnly(context.Context, string) (bool, error) {
	return false, errors.New("registry down")
}

// forwardAuthConfig is the portal behind a trusted proxy on loopback.
func forwardAuthConfig(c *web.Config) {
	c.BaseURL = fwdBase
	c.CookieDomain = "portal.test"
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	c.ForwardAuth = fwdHosts{fwdApp: true, "other.portal.test": true, "outside.example": true}
}

// looseJar keeps every cookie by name whatever its domain and Secure flag
// say, as the browser on portal.test and app.portal.test would.
type looseJar struct {
	mu sync.Mutex
	c  map[string]*http.Cookie
}

func (j *looseJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cs {
		if c.MaxAge < 0 || c.Value == "" {
			delete(j.c, c.Name)
		} else {
			j.c[c.Name] = c
		}
	}
}

func (j *looseJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.c {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

func (j *looseJar) get(name string) *http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.c[name]
}

func looseBrowser() (*http.Client, *looseJar) {
	j := &looseJar{c: map[string]*http.Cookie{}}
	return &http.Client{Jar: j, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, j
}

// verifyFor asks /auth/verify as nginx does for https://app.portal.test/uri.
func (e *env) verifyFor(c *http.Client, query, uri string) response {
	e.t.Helper()
	return e.do(c, "GET", "/auth/verify"+query, nil,
		"X-Forwarded-Proto", "https", "X-Forwarded-Host", fwdApp, "X-Forwarded-Uri", uri)
}

// loginTo logs in with password and code and returns where the code step
// sends the person.
func (e *env) loginTo(c *http.Client, email, phone string) string {
	e.t.Helper()
	r := e.post(c, "/login", "email", email, "password", testPassword)
	if r.status != http.StatusSeeOther || r.location != "/login/code" {
		e.t.Fatalf("login: %d %s", r.status, r.location)
	}
	r = e.post(c, "/login/code", "code", e.lastCode(phone))
	if r.status != http.StatusSeeOther {
		e.t.Fatalf("code: %d %s %s", r.status, r.location, r.body)
	}
	return r.location
}

func loginURLFor(target string) string {
	return fwdBase + "/login?" + url.Values{"rd": {target}}.Encode()
}

func TestForwardAuthVerify(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.user("ann@example.org", "+447546123456")
		c, jar := looseBrowser()
		const uri = "/rotas?week=3"
		target := "https://" + fwdApp + uri

		// No session: 401 with the login that comes back here in Location
		// (for nginx); with ?rd=1 the redirect itself (Caddy, Traefik).
		r := e.verifyFor(c, "", uri)
		if r.status != http.StatusUnauthorized || r.location != loginURLFor(target) {
			t.Fatalf("no session: %d %q, want 401 %q", r.status, r.location, loginURLFor(target))
		}
		if r.header.Get("Remote-User") != "" || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("no session: Remote-User %q, Cache-Control %q", r.header.Get("Remote-User"), r.header.Get("Cache-Control"))
		}
		if r = e.verifyFor(c, "?rd=1", uri); r.status != http.StatusFound || r.location != loginURLFor(target) {
			t.Fatalf("no session, rd=1: %d %q", r.status, r.location)
		}

		// The password alone is half a login: refused.
		if r = e.post(c, "/login", "email", "ann@example.org", "password", testPassword); r.location != "/login/code" {
			t.Fatalf("login: %d %s", r.status, r.location)
		}
		if r = e.verifyFor(c, "", uri); r.status != http.StatusUnauthorized {
			t.Fatalf("at the code step: %d, want 401", r.status)
		}
		if r = e.post(c, "/login/code", "code", e.lastCode("+447546123456")); r.location != "/" {
			t.Fatalf("code: %d %s", r.status, r.location)
		}

		// The session cookie is for the whole domain, so __Secure-.
		sc := jar.get("__Secure-portal_session")
		if sc == nil || sc.Domain != "portal.test" || !sc.Secure || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" {
			t.Fatalf("session cookie %+v, want __Secure-portal_session; Domain=portal.test; Path=/; Secure; HttpOnly; SameSite=Lax", sc)
		}

		r = e.verifyFor(c, "", uri)
		if r.status != http.StatusOK {
			t.Fatalf("logged in: %d %s", r.status, r.body)
		}
		for h, want := range map[string]string{"Remote-User": "ann@example.org", "Remote-Email": "ann@example.org",
			"Remote-Name": "Pat Provider", "Remote-Groups": "provider", "Cache-Control": "no-store"} {
			if got := r.header.Get(h); got != want {
				t.Errorf("logged in: %s %q, want %q", h, got, want)
			}
		}
		if r.location != "" {
			t.Errorf("logged in: Location %q", r.location)
		}

		// Logging out ends it for the applications too.
		if r = e.post(c, "/logout"); r.status != http.StatusSeeOther {
			t.Fatalf("logout: %d", r.status)
		}
		if jar.get("__Secure-portal_session") != nil {
			t.Error("logout left the session cookie")
		}
		c.Jar.SetCookies(nil, []*http.Cookie{sc}) // a copy kept
		if r = e.verifyFor(c, "", uri); r.status != http.StatusUnauthorized {
			t.Errorf("after logout: %d, want 401", r.status)
		}
	}, forwardAuthConfig)
}

func TestForwardAuthGroupsOfAnAdministrator(t *testing.T) {
	e := newEnvOn(t, enginetest.SQLite, forwardAuthConfig)
	u := e.user("ada@example.org", "+447546123456")
	if err := e.Store.SetAdmin(context.Background(), u.ID, true); err != nil {
		t.Fatal(err)
	}
	c, _ := looseBrowser()
	e.loginTo(c, "ada@example.org", "+447546123456")
	if r := e.verifyFor(c, "", "/"); r.status != http.StatusOK || r.header.Get("Remote-Groups") != "provider,admin" {
		t.Errorf("administrator: %d, Remote-Groups %q, want provider,admin", r.status, r.header.Get("Remote-Groups"))
	}
}

// TestForwardAuthAdminsOnly: a host of an application registered
// --admins-only answers 403, in plain words, to a complete login that is
// not an administrator's, and 200 to an administrator's; other hosts are
// everyone's.
func TestForwardAuthAdminsOnly(t *testing.T) {
	const settings = "settings.portal.test"
	onEngines(t, func(t *testing.T, e *env) {
		e.user("pat@example.org", "+447546123456")
		ada := e.user("ada@example.org", "+447546123457")
		if err := e.Store.SetAdmin(context.Background(), ada.ID, true); err != nil {
			t.Fatal(err)
		}
		ask := func(c *http.Client, host string, hdr ...string) response {
			return e.do(c, "GET", "/auth/verify", nil,
				append([]string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", host, "X-Forwarded-Uri", "/"}, hdr...)...)
		}
		pat, _ := looseBrowser()
		e.loginTo(pat, "pat@example.org", "+447546123456")
		r := ask(pat, settings)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "for administrators only") ||
			r.header.Get("Remote-User") != "" || r.location != "" {
			t.Errorf("not an administrator, admins-only host: %d %q Remote-User %q Location %q, want 403 in plain words",
				r.status, r.body, r.header.Get("Remote-User"), r.location)
		}
		if r := ask(pat, fwdApp); r.status != http.StatusOK || r.header.Get("Remote-User") != "pat@example.org" {
			t.Errorf("not an administrator, everyone's host: %d %q", r.status, r.header.Get("Remote-User"))
		}
		adm, _ := looseBrowser()
		e.loginTo(adm, "ada@example.org", "+447546123457")
		if r := ask(adm, settings); r.status != http.StatusOK || r.header.Get("Remote-Groups") != "provider,admin" {
			t.Errorf("administrator, admins-only host: %d, Remote-Groups %q, want 200", r.status, r.header.Get("Remote-Groups"))
		}
		// No login at all is still asked to log in, not refused.
		if r := ask(e.browser(), settings); r.status != http.StatusUnauthorized {
			t.Errorf("no session, admins-only host: %d, want 401", r.status)
		}
	}, forwardAuthConfig, func(c *web.Config) {
		c.ForwardAuth = fwdHosts{fwdApp: true, "settings.portal.test": false}
	})
}

// TestForwardAuthAdminsOnlyUnknownHost: with the proxy's host not
// believed, a non-administrator is refused while any application is for
// administrators only, since it may be the one asked for.
func TestForwardAuthAdminsOnlyUnknownHost(t *testing.T) {
	e := newEnvOn(t, enginetest.SQLite, forwardAuthConfig, func(c *web.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
		c.ForwardAuth = fwdHosts{fwdApp: true, "settings.portal.test": false}
	})
	e.user("pat@example.org", "+447546123456")
	c, _ := looseBrowser()
	e.loginTo(c, "pat@example.org", "+447546123456")
	if r := e.verifyFor(c, "", "/"); r.status != http.StatusForbidden {
		t.Errorf("untrusted proxy, an admins-only application registered: %d, want 403", r.status)
	}
}

// TestForwardAuthEndedSessions: ending sessions and deactivating an
// account are refused at once (sessions live in the store; nothing is
// cached). Two instances on one PostgreSQL: cmd/portal's
// TestForwardAuthTwoInstances.
func TestForwardAuthEndedSessions(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		u := e.user("bea@example.org", "+447546123456")
		e.user("it@example.org", "")
		ctx := context.Background()
		for _, end := range []struct {
			name string
			do   func() error
		}{
			{"sessions ended", func() error { return e.adm.EndSessions(ctx, admin.Operator(), u.ID, "lost phone") }},
			{"deactivated", func() error { return e.adm.SetActive(ctx, admin.Operator(), u.ID, false, "left") }},
		} {
			c, _ := looseBrowser()
			e.loginTo(c, "bea@example.org", "+447546123456")
			if r := e.verifyFor(c, "", "/"); r.status != http.StatusOK {
				t.Fatalf("%s: before, %d", end.name, r.status)
			}
			if err := end.do(); err != nil {
				t.Fatal(err)
			}
			if r := e.verifyFor(c, "", "/"); r.status != http.StatusUnauthorized {
				t.Errorf("%s: %d, want 401", end.name, r.status)
			}
		}
	}, forwardAuthConfig)
}

// countingStore counts the writes the session lookup can make.
type countingStore struct {
	login.Store
	writes atomic.Int64
}

func (s *countingStore) TouchSession(ctx context.Context, h []byte, at time.Time) error {
	s.writes.Add(1)
	return s.Store.TouchSession(ctx, h, at)
}

func (s *countingStore) DeleteSession(ctx context.Context, h []byte) error {
	s.writes.Add(1)
	return s.Store.DeleteSession(ctx, h)
}

func (s *countingStore) DeleteUserSessions(ctx context.Context, id int64, except []byte) (int, error) {
	s.writes.Add(1)
	return s.Store.DeleteUserSessions(ctx, id, except)
}

// TestForwardAuthWritesAndIdleTimeout: /auth/verify sits in front of every
// request of every protected application, so it writes nothing on most of
// them: the session's last-seen time once a minute at most. That write
// keeps the idle timeout right: a person busy in an application stays
// logged in; one away for 30 minutes is not.
func TestForwardAuthWritesAndIdleTimeout(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		clk := e.setClock(time.Now())
		e.user("cy@example.org", "+447546123456")
		c, _ := looseBrowser()
		e.loginTo(c, "cy@example.org", "+447546123456")

		cs := &countingStore{Store: e.Login.Store}
		e.Login.Store = cs
		for range 50 {
			if r := e.verifyFor(c, "", "/"); r.status != http.StatusOK {
				t.Fatalf("verify: %d", r.status)
			}
		}
		if n := cs.writes.Load(); n != 0 {
			t.Errorf("50 requests within the minute of the login wrote %d times, want 0", n)
		}
		// Busy in the application for an hour, a request every 10 minutes:
		// still logged in, with one write each time.
		for i := range 6 {
			clk.Advance(10 * time.Minute)
			for range 5 {
				if r := e.verifyFor(c, "", "/"); r.status != http.StatusOK {
					t.Fatalf("after %d minutes of use: %d, want 200", (i+1)*10, r.status)
				}
			}
		}
		if n := cs.writes.Load(); n != 6 {
			t.Errorf("30 requests over an hour wrote %d times, want 6 (once a minute at most)", n)
		}
		// Away for the idle timeout: over.
		clk.Advance(30 * time.Minute)
		if r := e.verifyFor(c, "", "/"); r.status != http.StatusUnauthorized {
			t.Errorf("after 30 idle minutes: %d, want 401", r.status)
		}
	}, forwardAuthConfig)
}

// TestForwardAuthReturnsAfterLogin: from the application, through the
// login (password and code), back to the address first asked for; a
// person who is logged in goes back at once.
func TestForwardAuthReturnsAfterLogin(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.user("dee@example.org", "+447546123456")
		c, jar := looseBrowser()
		const target = "https://" + fwdApp + "/messages/42?folder=in%20box"
		r := e.verifyFor(c, "?rd=1", "/messages/42?folder=in%20box")
		login, err := url.Parse(r.location)
		if err != nil || r.status != http.StatusFound || login.Host != "portal.test" || login.Path != "/login" {
			t.Fatalf("verify: %d %q", r.status, r.location)
		}
		if r = e.get(c, login.RequestURI()); r.status != http.StatusOK {
			t.Fatalf("login page: %d", r.status)
		}
		// Browsers hold a form's redirects to its page's form-action: the
		// login's forms may lead to the application's origin, no further.
		const formAction = "form-action 'self' https://" + fwdApp + ";"
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, formAction) {
			t.Errorf("login page's CSP %q, want %q", csp, formAction)
		}
		if csp := e.get(e.browser(), "/login").header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self';") {
			t.Errorf("a plain login page's CSP %q, want form-action 'self' alone", csp)
		}
		if rc := jar.get("__Host-portal_return"); rc == nil || !rc.Secure || !rc.HttpOnly || rc.Domain != "" || rc.Path != "/" {
			t.Fatalf("return cookie %+v, want __Host-portal_return, host-only, Secure, HttpOnly", rc)
		}
		if got := e.loginTo(c, "dee@example.org", "+447546123456"); got != target {
			t.Fatalf("after the code: to %q, want %q", got, target)
		}
		if jar.get("__Host-portal_return") != nil {
			t.Error("the return cookie outlived its use")
		}
		if r = e.verifyFor(c, "", "/messages/42"); r.status != http.StatusOK {
			t.Fatalf("back at the application: %d", r.status)
		}
		// Logged in already: the login page sends the person back at once.
		if r = e.get(c, login.RequestURI()); r.status != http.StatusSeeOther || r.location != target {
			t.Errorf("login page while logged in: %d %q, want 303 %q", r.status, r.location, target)
		}
		// Without ?rd= the login page goes home, as before.
		if r = e.get(c, "/login"); r.location != "/" {
			t.Errorf("/login while logged in: %q, want /", r.location)
		}
	}, forwardAuthConfig)
}

// TestForwardAuthNoOpenRedirect: the address to go back to comes only
// from a trusted proxy's headers or the login page's ?rd=, and only to the
// portal or a registered forward-auth host that the session cookie
// reaches; every other value leaves the person on the portal.
func TestForwardAuthNoOpenRedirect(t *testing.T) {
	e := newEnvOn(t, enginetest.SQLite, forwardAuthConfig)
	e.user("eve@example.org", "+447546123456")
	plainLogin := fwdBase + "/login"

	hostile := []struct{ proto, host, uri string }{
		{"https", "evil.example", "/"},
		{"https", "outside.example", "/"},                     // registered, but the cookie never reaches it: a loop
		{"https", "unregistered.portal.test", "/"},            // under the domain, not registered
		{"https", "app.portal.test.evil.example", "/"},        // suffix trick
		{"https", "evil.example.app.portal.test.", "/"},       // trailing dot
		{"https", "app.portal.test@evil.example", "/"},        // user info
		{"https", "evil.example/app.portal.test", "/"},        // path in host
		{"https", "evil.example\\app.portal.test", "/"},       // backslash
		{"https", "evil.example#app.portal.test", "/"},        // fragment in host
		{"https", "evil.example?app.portal.test", "/"},        // query in host
		{"https", "app.portal.test, evil.example", "/"},       // two values
		{"https", "app.portal.test", "//evil.example/x"},      // fine: a path on the app
		{"https", "app.portal.test", "evil.example"},          // not a path
		{"https", "app.portal.test", "@evil.example/"},        // not a path
		{"https", "app.portal.test", "/\r\nLocation: //evil"}, // header splitting
		{"javascript", "app.portal.test", "/alert(1)"},
		{"http", "app.portal.test", "/"}, // downgrade: the portal is https
		{"https://evil.example", "app.portal.test", "/"},
		{"https", "", "/"},
		{"", "app.portal.test", "/"},
		{"https", "APP.PORTAL.TEST", "/"},      // fine: host names are case-blind
		{"https", "app.portal.test:8443", "/"}, // a port the application was not registered with
		{"https", "portal.test:8443", "/"},     // the portal's host, another server
		{"https", "app.portal.test:x", "/"},
		{"https", "[::1]", "/"},
		{"https", "app.portal.test", "/" + strings.Repeat("a", 3000)},
	}
	fine := map[int]string{
		11: "https://app.portal.test//evil.example/x",
		20: "https://app.portal.test/",
	}
	c := e.browser()
	for i, h := range hostile {
		var hdr []string
		for k, v := range map[string]string{"X-Forwarded-Proto": h.proto, "X-Forwarded-Host": h.host, "X-Forwarded-Uri": h.uri} {
			if v != "" {
				hdr = append(hdr, k, v)
			}
		}
		if h.host == "app.portal.test, evil.example" {
			req, _ := http.NewRequest("GET", e.srv.URL+"/auth/verify", nil)
			req.Header.Set("X-Forwarded-Proto", "https")
			req.Header.Set("X-Forwarded-Uri", "/")
			req.Header.Add("X-Forwarded-Host", fwdApp)
			req.Header.Add("X-Forwarded-Host", "evil.example")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if loc := resp.Header.Get("Location"); loc != plainLogin {
				t.Errorf("two X-Forwarded-Host headers: Location %q, want %q", loc, plainLogin)
			}
		}
		if strings.ContainsAny(h.uri, "\r\n") {
			continue // net/http refuses to send it; the server would too
		}
		r := e.do(c, "GET", "/auth/verify", nil, hdr...)
		want := plainLogin
		if f, ok := fine[i]; ok {
			want = loginURLFor(f)
		}
		if r.status != http.StatusUnauthorized || r.location != want {
			t.Errorf("forwarded %q %q %q: %d %q, want 401 %q", h.proto, h.host, h.uri, r.status, r.location, want)
		}
	}

	// The login page's ?rd= is checked by the same rule; what it refuses
	// is not kept, and the login ends at home.
	for _, rd := range []string{
		"https://evil.example/", "//evil.example/", "/\\evil.example", "https:evil.example",
		"https://app.portal.test@evil.example/", "https://evil.example\\@app.portal.test/",
		"http://app.portal.test/", "javascript:alert(1)", "https://outside.example/",
		"https://app.portal.test.evil.example/", "https://%61pp.portal.test/", "https://app.portal.test/\x00",
		"https://app.portal.test/ x", "ftp://app.portal.test/",
		// The portal's host name on another port, or the application's on
		// a port it was not registered with, is another server.
		"https://portal.test:8443/steal", "https://portal.test:443x/", "https://app.portal.test:8443/",
	} {
		c, jar := looseBrowser()
		r := e.get(c, "/login?"+url.Values{"rd": {rd}}.Encode())
		if (r.status != http.StatusOK && r.status != http.StatusBadRequest) || jar.get("__Host-portal_return") != nil {
			t.Errorf("/login?rd=%q: %d, return cookie %v; want the login page (or 400 for unreadable input) and no return cookie", rd, r.status, jar.get("__Host-portal_return"))
		}
	}
	// A return cookie planted by hand is checked again when used.
	c2, jar := looseBrowser()
	jar.SetCookies(nil, []*http.Cookie{{Name: "__Host-portal_return", Value: "aHR0cHM6Ly9ldmlsLmV4YW1wbGUv"}}) // https://evil.example/
	if got := e.loginTo(c2, "eve@example.org", "+447546123456"); got != "/" {
		t.Errorf("with a planted return cookie the login ends at %q, want /", got)
	}
	// The portal's own host is always a fine place to come back to.
	c3, _ := looseBrowser()
	e.get(c3, "/login?"+url.Values{"rd": {fwdBase + "/my-details"}}.Encode())
	if got := e.loginTo(c3, "eve@example.org", "+447546123456"); got != fwdBase+"/my-details" {
		t.Errorf("back to the portal's own page: %q", got)
	}
}

// TestForwardAuthUntrustedProxy: X-Forwarded-* from a peer that is not in
// PORTAL_TRUSTED_PROXIES is not believed.
func TestForwardAuthUntrustedProxy(t *testing.T) {
	e := newEnvOn(t, enginetest.SQLite, forwardAuthConfig, func(c *web.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	})
	if r := e.verifyFor(e.browser(), "", "/x"); r.status != http.StatusUnauthorized || r.location != fwdBase+"/login" {
		t.Errorf("untrusted peer: %d %q, want 401 %q", r.status, r.location, fwdBase+"/login")
	}
}

// TestForwardAuthRegistryDown: a registry that cannot answer is an
// internal error, never a redirect somewhere unchecked.
func TestForwardAuthRegistryDown(t *testing.T) {
	e := newEnvOn(t, enginetest.SQLite, forwardAuthConfig, func(c *web.Config) { c.ForwardAuth = failingHosts{} })
	r := e.verifyFor(e.browser(), "", "/x")
	if r.status != http.StatusInternalServerError || r.location != "" || strings.Contains(r.body, "registry down") {
		t.Errorf("registry down: %d %q %q", r.status, r.location, r.body)
	}
}

func TestCookieDomainNeedsHTTPS(t *testing.T) {
	for _, base := range []string{"http://portal.test", "https://portal.example"} {
		e := newEnv(t)
		_, err := web.New(web.Config{Login: e.Login, Admin: e.adm, Records: e.Store, BaseURL: base, CookieDomain: "portal.test"})
		if err == nil {
			t.Errorf("cookie domain portal.test with base URL %s: accepted", base)
		}
	}
}
