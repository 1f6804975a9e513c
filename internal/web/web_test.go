package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/login/logintest"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/enginetest"
	"github.com/providerportal/portal/internal/testlog"
	"github.com/providerportal/portal/internal/web"
)

// TestMain drops the PostgreSQL database that the tests share.
func TestMain(m *testing.M) { os.Exit(enginetest.Main(m)) }

const testPassword = "correct horse battery staple"

// env is the portal's pages on a test server, over a real store, SQLite
// or PostgreSQL.
type env struct {
	t   *testing.T
	srv *httptest.Server
	*logintest.Stack
	adm    *admin.Service
	engine enginetest.Engine
	logs   *testlog.Buffer
}

// onEngines runs test once on each storage engine, as the subtests
// "sqlite" and "postgres", each with a server and store of its own; opts
// change the web server's configuration.
func onEngines(t *testing.T, test func(t *testing.T, e *env), opts ...func(*web.Config)) {
	t.Helper()
	enginetest.Each(t, func(t *testing.T, eng enginetest.Engine) { test(t, newEnvOn(t, eng, opts...)) })
}

// newEnv is an env on SQLite, for a test in which the store plays no part.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, enginetest.SQLite)
}

// newEnvOn is an env on eng; opts change the web server's configuration.
func newEnvOn(t *testing.T, eng enginetest.Engine, opts ...func(*web.Config)) *env {
	t.Helper()
	e := &env{t: t, engine: eng, logs: &testlog.Buffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := logintest.New(t, eng.Open(t), log)
	st.Login.BaseURL = "http://localhost"
	e.Stack = st
	e.adm = &admin.Service{Store: e.Store, Login: e.Login}
	e.srv = httptest.NewUnstartedServer(nil)
	cfg := web.Config{Login: e.Login, Admin: e.adm, Records: e.Store, Log: log, BaseURL: "http://" + e.srv.Listener.Addr().String(), PortalName: "Provider Portal", Outbox: e.Outbox}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = s.Handler()
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

// browser is a client with a cookie jar that does not follow redirects, so
// each step can be checked.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) user(email, phone string) *store.User {
	e.t.Helper()
	return e.User(e.t, login.NewAccount{Email: email, Name: "Pat Provider", Password: testPassword}, phone)
}

type response struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (e *env) do(c *http.Client, method, path string, form url.Values, hdr ...string) response {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// Bodies are compared as a person reads them: entities decoded.
	return response{resp.StatusCode, resp.Header.Get("Location"), html.UnescapeString(string(b)), resp.Header}
}

func (e *env) get(c *http.Client, path string) response { return e.do(c, "GET", path, nil) }
func (e *env) post(c *http.Client, path string, kv ...string) response {
	f := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return e.do(c, "POST", path, f)
}

func (e *env) lastCode(to string) string { e.t.Helper(); return e.LastCode(e.t, to) }

// loginFull logs c in with password and SMS code.
func (e *env) loginFull(c *http.Client, email, phone string) {
	e.t.Helper()
	r := e.post(c, "/login", "email", email, "password", testPassword)
	if r.status != http.StatusSeeOther || r.location != "/login/code" {
		e.t.Fatalf("login: %d %s", r.status, r.location)
	}
	r = e.post(c, "/login/code", "code", e.lastCode(phone))
	if r.status != http.StatusSeeOther || r.location != "/" {
		e.t.Fatalf("code: %d %s %s", r.status, r.location, r.body)
	}
}

// setClock gives the service a clock the test moves, set to start.
func (e *env) setClock(start time.Time) *logintest.Clock {
	c := logintest.NewClock(start)
	e.Login.Clock = c.Now
	return c
}

// pastPassword is a new browser that has given email's password: at the
// login's next step (the code, or Update Phone Number).
func (e *env) pastPassword(email string) *http.Client {
	e.t.Helper()
	c := e.browser()
	e.post(c, "/login", "email", email, "password", testPassword)
	return c
}

// loggedIn is a new browser logged in as email, with password and the
// code sent to phone.
func (e *env) loggedIn(email, phone string) *http.Client {
	e.t.Helper()
	c := e.browser()
	e.loginFull(c, email, phone)
	return c
}

func TestLoginPageLabelsAndAutocomplete(t *testing.T) {
	e := newEnv(t)
	e.user("a@example.org", "")
	r := e.get(e.browser(), "/login")
	for _, want := range []string{
		`<label for="email">Email</label>`,
		`<label for="password">Password</label>`,
		`autocomplete="username"`,
		`autocomplete="current-password"`,
		`<button type="submit" class="primary">Login</button>`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	e.user("a@example.org", "")
	r := e.get(e.browser(), "/login")
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	}
	for h, v := range want {
		if !strings.Contains(r.header.Get(h), v) {
			t.Errorf("%s = %q, want it to contain %q", h, r.header.Get(h), v)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP too loose: %s", csp)
	}
	if strings.Contains(r.body, "<script>") || strings.Contains(r.body, "style=") {
		t.Error("inline script or style would be blocked by the CSP")
	}
}

// TestEveryDynamicAnswerIsNoStore: no dynamic answer may be kept by the
// browser, redirects included (a remembered "/login → /" from while
// logged in loops with "/ → /login" after logout: cmd/portal's
// TestBrowserBackAfterLogout); only the static files may be cached.
func TestEveryDynamicAnswerIsNoStore(t *testing.T) {
	e := newEnv(t)
	e.user("a@example.org", "")
	c := e.browser()
	answers := map[string]response{
		"GET / without a session (redirect)": e.get(c, "/"),
		"GET /login":                         e.get(c, "/login"),
		"GET /no/such/page":                  e.get(c, "/no/such/page"),
		"GET /healthz":                       e.get(c, "/healthz"),
		"GET /readyz":                        e.get(c, "/readyz"),
		"POST /login, wrong password":        e.post(c, "/login", "email", "a@example.org", "password", "not the password"),
		"POST /login from another site":      e.do(c, "POST", "/login", url.Values{"email": {"a@example.org"}}, "Sec-Fetch-Site", "cross-site"),
	}
	answers["POST /login (redirect)"] = e.post(c, "/login", "email", "a@example.org", "password", testPassword)
	answers["GET /login while logged in (redirect)"] = e.get(c, "/login")
	answers["POST /logout (redirect)"] = e.post(c, "/logout")
	for what, r := range answers {
		if got := r.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s (%d): Cache-Control %q, want no-store", what, r.status, got)
		}
	}
	if r := e.get(c, "/static/portal.css"); r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Cache-Control"), "public") {
		t.Errorf("the stylesheet: %d, Cache-Control %q; want it cacheable", r.status, r.header.Get("Cache-Control"))
	}
}

func TestCrossOriginPostRefused(t *testing.T) { onEngines(t, testCrossOriginPostRefused) }

func testCrossOriginPostRefused(t *testing.T, e *env) {
	e.user("a@example.org", "+447546123456")
	c := e.browser()
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		f := url.Values{"email": {"a@example.org"}, "password": {testPassword}}
		r := e.do(c, "POST", "/login", f, hdr...)
		if r.status != http.StatusForbidden {
			t.Errorf("cross-origin POST with %s: %d, want 403", hdr[0], r.status)
		}
	}
	if n := len(e.Outbox.Messages()); n != 0 {
		t.Fatalf("a cross-origin login sent %d codes", n)
	}
	// Same-origin posts from a browser go through.
	f := url.Values{"email": {"a@example.org"}, "password": {testPassword}}
	if r := e.do(c, "POST", "/login", f, "Sec-Fetch-Site", "same-origin"); r.status != http.StatusSeeOther {
		t.Fatalf("same-origin POST: %d", r.status)
	}
}

func TestSessionCookieFlags(t *testing.T) { onEngines(t, testSessionCookieFlags) }

func testSessionCookieFlags(t *testing.T, e *env) {
	e.user("a@example.org", "+447546123456")
	req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader("email=a%40example.org&password="+url.QueryEscape(testPassword)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies: %v", cookies)
	}
	c := cookies[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || len(c.Value) < 43 {
		t.Fatalf("session cookie %+v", c)
	}
	raw := resp.Header.Get("Set-Cookie")
	if strings.Contains(raw, "Expires") || strings.Contains(raw, "Max-Age") {
		t.Errorf("session cookie persists on disk: %s", raw)
	}
}

// httpsLogin posts the password of a@example.org to the portal served at
// https://portal.example.org, on SQLite, and returns the answer; exempt
// spares the account its code, so that the password completes the login.
func httpsLogin(t *testing.T, exempt bool) *httptest.ResponseRecorder {
	t.Helper()
	st := logintest.New(t, enginetest.SQLite.Open(t), nil)
	u := st.User(t, login.NewAccount{Email: "a@example.org", Name: "A", Password: testPassword}, "")
	if exempt {
		if err := st.Store.SetMFA(context.Background(), u.ID, store.MFAExempt); err != nil {
			t.Fatal(err)
		}
	}
	s, err := web.New(web.Config{Login: st.Login, Admin: &admin.Service{Store: st.Store, Login: st.Login}, Records: st.Store, BaseURL: "https://portal.example.org", PortalName: "P"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "https://portal.example.org/login", strings.NewReader("email=a%40example.org&password="+url.QueryEscape(testPassword)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func TestHTTPSCookieIsHostPrefixedAndSecure(t *testing.T) {
	rec := httpsLogin(t, false)
	set := rec.Header().Get("Set-Cookie")
	for _, want := range []string{"__Host-portal_session=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
	if !strings.Contains(rec.Header().Get("Strict-Transport-Security"), "max-age=") {
		t.Error("no HSTS over HTTPS")
	}
}

func TestHalfFinishedLoginReachesNothing(t *testing.T) {
	onEngines(t, testHalfFinishedLoginReachesNothing)
}

func testHalfFinishedLoginReachesNothing(t *testing.T, e *env) {
	e.user("half@example.org", "+447546123456")
	e.user("new@example.org", "")
	for _, tc := range []struct{ email, stage string }{{"half@example.org", "/login/code"}, {"new@example.org", "/login/phone"}} {
		c := e.browser()
		if r := e.post(c, "/login", "email", tc.email, "password", testPassword); r.location != tc.stage {
			t.Fatalf("login %s: %s", tc.email, r.location)
		}
		for _, path := range []string{"/", "/my-details", "/my-details/phone/verify"} {
			if r := e.get(c, path); r.status != http.StatusSeeOther || r.location != tc.stage {
				t.Errorf("%s at %s: GET %s = %d → %q, want back to %s", tc.email, tc.stage, path, r.status, r.location, tc.stage)
			}
		}
		if r := e.post(c, "/my-details/phone", "phone", "+447546999888"); r.location != tc.stage {
			t.Errorf("%s: POST /my-details/phone = %d → %q", tc.email, r.status, r.location)
		}
	}
}

func TestWithoutSessionEverythingGoesToLogin(t *testing.T) {
	onEngines(t, testWithoutSessionEverythingGoesToLogin)
}

func testWithoutSessionEverythingGoesToLogin(t *testing.T, e *env) {
	e.user("a@example.org", "")
	c := e.browser()
	for _, path := range []string{"/", "/my-details", "/login/code", "/login/phone"} {
		r := e.get(c, path)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
			t.Errorf("GET %s without a session: %d → %q", path, r.status, r.location)
		}
	}
	// A forged cookie is no session either.
	c.Jar.SetCookies(mustURL(e.srv.URL), []*http.Cookie{{Name: "portal_session", Value: strings.Repeat("A", 43)}})
	if r := e.get(c, "/"); !strings.HasPrefix(r.location, "/login") {
		t.Errorf("forged cookie: %d → %q", r.status, r.location)
	}
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

func TestPhoneInputErrorsKeepTheValueAndSendNothing(t *testing.T) {
	onEngines(t, testPhoneInputErrorsKeepTheValueAndSendNothing)
}

func testPhoneInputErrorsKeepTheValueAndSendNothing(t *testing.T, e *env) {
	e.user("new@example.org", "")
	c := e.pastPassword("new@example.org")
	for _, raw := range []string{"07546123456", "+4407546123456"} {
		r := e.post(c, "/login/phone", "phone", raw)
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: status %d", raw, r.status)
		}
		if !strings.Contains(r.body, "+447546123456") || !strings.Contains(r.body, `value="`+raw+`"`) {
			t.Errorf("%s: the page does not spell out the fix or lost the input:\n%s", raw, r.body)
		}
		if !strings.Contains(r.body, `aria-invalid="true"`) || !strings.Contains(r.body, `href="#phone"`) {
			t.Errorf("%s: error not tied to the field", raw)
		}
	}
	if n := len(e.Outbox.Messages()); n != 0 {
		t.Fatalf("%d messages sent for refused numbers", n)
	}
}

func TestCodeScreen(t *testing.T) { onEngines(t, testCodeScreen) }

func testCodeScreen(t *testing.T, e *env) {
	e.user("code@example.org", "+447546123456")
	c := e.pastPassword("code@example.org")
	code := e.lastCode("+447546123456")
	r := e.get(c, "/login/code")
	for _, want := range []string{
		"•••• 3456", `<label for="code">Code</label>`, `autocomplete="one-time-code"`, `inputmode="numeric"`,
		">Verify Code</button>", ">Send code to email</button>", ">Send a new code</button>",
		"You can ask for a new code in 30 seconds.",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("code screen lacks %q", want)
		}
	}
	if strings.Contains(r.body, code) {
		t.Fatal("the code screen contains the code")
	}
	r = e.post(c, "/login/code", "code", "000000")
	if code != "000000" && (r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "4 tries left")) {
		t.Fatalf("wrong code: %d\n%s", r.status, r.body)
	}
	r = e.post(c, "/login/code/resend")
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "You can ask for another in") {
		t.Fatalf("resend within the cooldown: %d", r.status)
	}
	r = e.post(c, "/login/code", "code", code)
	if r.status != http.StatusSeeOther || r.location != "/" {
		t.Fatalf("right code: %d %s", r.status, r.location)
	}
	r = e.get(c, "/")
	if !strings.Contains(r.body, `href="/my-details"`) || !strings.Contains(r.body, ">Log out</button>") {
		t.Fatal("home page lacks My Details or Log out")
	}
}

func TestExhaustedCodeSendsBackToLogin(t *testing.T) { onEngines(t, testExhaustedCodeSendsBackToLogin) }

func testExhaustedCodeSendsBackToLogin(t *testing.T, e *env) {
	e.user("x@example.org", "+447546123456")
	c := e.pastPassword("x@example.org")
	code := e.lastCode("+447546123456")
	bad := "000000"
	if code == bad {
		bad = "111111"
	}
	var r response
	for i := 0; i < 5; i++ {
		r = e.post(c, "/login/code", "code", bad)
	}
	if r.status != http.StatusSeeOther || r.location != "/login?m=code-exhausted" {
		t.Fatalf("fifth wrong code: %d %s", r.status, r.location)
	}
	if r := e.get(c, "/login/code"); !strings.HasPrefix(r.location, "/login") {
		t.Fatal("the exhausted login is still open")
	}
	if r := e.get(c, "/login?m=code-exhausted"); !strings.Contains(r.body, "Log in again to get a new code") {
		t.Fatal("no explanation on the login screen")
	}
}

func TestMyDetailsChangePhone(t *testing.T) { onEngines(t, testMyDetailsChangePhone) }

func testMyDetailsChangePhone(t *testing.T, e *env) {
	e.user("me@example.org", "+447546123456")
	c := e.loggedIn("me@example.org", "+447546123456")
	r := e.get(c, "/my-details")
	for _, want := range []string{"<h1>My Details</h1>", "Multi-factor Authentication", "•••• 3456", ">Update</button>", `autocomplete="tel"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("My Details lacks %q", want)
		}
	}
	r = e.post(c, "/my-details/phone", "phone", "07546654321")
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "+447546654321") {
		t.Fatalf("trunk-zero number: %d", r.status)
	}
	r = e.post(c, "/my-details/phone", "phone", "+44 7546 654321")
	if r.location != "/my-details/phone/verify" {
		t.Fatalf("Update: %d %s %s", r.status, r.location, r.body)
	}
	r = e.get(c, "/my-details/phone/verify")
	if !strings.Contains(r.body, "•••• 4321") {
		t.Fatal("verify page does not say where the code went")
	}
	r = e.post(c, "/my-details/phone/verify", "code", e.lastCode("+447546654321"))
	if r.location != "/my-details?m=phone-changed" {
		t.Fatalf("Verify Code: %d %s", r.status, r.location)
	}
	if r := e.get(c, "/my-details?m=phone-changed"); !strings.Contains(r.body, "•••• 4321") {
		t.Fatal("the new number is not shown")
	}
}

func TestReauthKeepsTypedNumber(t *testing.T) { onEngines(t, testReauthKeepsTypedNumber) }

func testReauthKeepsTypedNumber(t *testing.T, e *env) {
	e.user("old@example.org", "+447546123456")
	clk := e.setClock(time.Now())
	c := e.loggedIn("old@example.org", "+447546123456")
	clk.Advance(20 * time.Minute)
	e.get(c, "/") // still active (idle < 30 min)
	r := e.post(c, "/my-details/phone", "phone", "+447546654321")
	if r.status != http.StatusOK || !strings.Contains(r.body, `name="password"`) || !strings.Contains(r.body, `value="+447546654321"`) {
		t.Fatalf("stale login did not ask for the password while keeping the number: %d\n%s", r.status, r.body)
	}
	r = e.post(c, "/my-details/phone", "phone", "+447546654321", "password", "wrong wrong wrong")
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `value="+447546654321"`) {
		t.Fatalf("wrong password: %d", r.status)
	}
	r = e.post(c, "/my-details/phone", "phone", "+447546654321", "password", testPassword)
	if r.location != "/my-details/phone/verify" {
		t.Fatalf("with the password: %d %s", r.status, r.location)
	}
}

func TestEndedSessionIsExplained(t *testing.T) { onEngines(t, testEndedSessionIsExplained) }

func testEndedSessionIsExplained(t *testing.T, e *env) {
	e.user("two@example.org", "+447546123456")
	laptop, phone := e.browser(), e.browser()
	e.loginFull(laptop, "two@example.org", "+447546123456")
	e.loginFull(phone, "two@example.org", "+447546123456")
	e.post(phone, "/my-details/phone", "phone", "+447546654321")
	if r := e.post(phone, "/my-details/phone/verify", "code", e.lastCode("+447546654321")); r.location != "/my-details?m=phone-changed" {
		t.Fatalf("change: %d %s", r.status, r.location)
	}
	r := e.get(laptop, "/my-details")
	if r.location != "/login?m=ended" {
		t.Fatalf("the other device: %d → %q, want /login?m=ended", r.status, r.location)
	}
	if r := e.get(laptop, r.location); !strings.Contains(r.body, "ended on another device") {
		t.Fatal("the login screen does not say why")
	}
	// After logging out there is nothing to explain.
	e.post(phone, "/logout")
	if r := e.get(phone, "/"); r.location != "/login" {
		t.Fatalf("after logout: %q", r.location)
	}
}

func TestBodyLimit(t *testing.T) { onEngines(t, testBodyLimit) }

func testBodyLimit(t *testing.T, e *env) {
	e.user("a@example.org", "")
	big := url.Values{"email": {strings.Repeat("a", 100<<10)}, "password": {"x"}}
	r := e.do(e.browser(), "POST", "/login", big)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("100 KiB form: %d", r.status)
	}
	if strings.Contains(r.body, "http:") || strings.Contains(r.body, "request body too large") {
		t.Fatalf("internal error text shown: %s", r.body)
	}
}

func TestDevOutboxOnlyOnLoopback(t *testing.T) { onEngines(t, testDevOutboxOnlyOnLoopback) }

func testDevOutboxOnlyOnLoopback(t *testing.T, e *env) {
	e.user("a@example.org", "+447546123456")
	c := e.pastPassword("a@example.org")
	r := e.get(c, "/dev/outbox")
	if r.status != http.StatusOK || !strings.Contains(r.body, e.lastCode("+447546123456")) {
		t.Fatalf("outbox from loopback: %d", r.status)
	}
	// Through a proxy: any header a proxy adds, or a Host that is not
	// this machine's (a same-host proxy that adds no header still passes
	// on the public name).
	for _, h := range [][2]string{
		{"X-Forwarded-For", "203.0.113.1"},
		{"X-Real-IP", "203.0.113.1"},
		{"CF-Connecting-IP", "203.0.113.1"},
		{"Fastly-Client-IP", "203.0.113.1"},
		{"X-Forwarded", "for=203.0.113.1"},
		{"X-Forwarded-Host", "portal.example.org"},
		{"X-Forwarded-Proto", "https"},
		{"Forwarded", "for=203.0.113.1"},
		{"Via", "1.1 proxy"},
		{"Host", "portal.example.org"},
		{"Host", "127.0.0.1.example.org"},
		{"Host", "localhost.example.org:8080"},
	} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/dev/outbox", nil)
		if h[0] == "Host" {
			req.Host = h[1]
		} else {
			req.Header.Set(h[0], h[1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("outbox with %s: %s: %d, want 404", h[0], h[1], resp.StatusCode)
		}
	}
	for _, host := range []string{"localhost", "localhost:8080", "dev.localhost:8080", "[::1]:8080", "127.0.0.1"} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/dev/outbox", nil)
		req.Host = host
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("outbox with Host: %s from this machine: %d, want 200", host, resp.StatusCode)
		}
	}
}

func TestHealth(t *testing.T) { onEngines(t, testHealth) }

func testHealth(t *testing.T, e *env) {
	if r := e.get(e.browser(), "/healthz"); r.status != 200 {
		t.Fatal(r.status)
	}
	if r := e.get(e.browser(), "/readyz"); r.status != 200 {
		t.Fatal(r.status)
	}
	e.Store.Close()
	if r := e.get(e.browser(), "/readyz"); r.status != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database closed: %d", r.status)
	}
	r := e.get(e.browser(), "/login")
	if r.status != http.StatusInternalServerError || strings.Contains(r.body, "sql") || !strings.Contains(r.body, "reference") {
		t.Fatalf("page with the database closed: %d\n%s", r.status, r.body)
	}
}

func TestSecretsNeverInResponsesOrLogs(t *testing.T) { onEngines(t, testSecretsNeverInResponsesOrLogs) }

func testSecretsNeverInResponsesOrLogs(t *testing.T, e *env) {
	e.user("s@example.org", "+447546123456")
	c := e.browser()
	var bodies strings.Builder
	r := e.post(c, "/login", "email", "s@example.org", "password", testPassword)
	bodies.WriteString(r.location)
	code := e.lastCode("+447546123456")
	for _, p := range []string{"/login/code"} {
		bodies.WriteString(e.get(c, p).body)
	}
	r = e.post(c, "/login/code", "code", code)
	bodies.WriteString(r.body + r.location)
	bodies.WriteString(e.get(c, "/").body)
	bodies.WriteString(e.get(c, "/my-details").body)
	for _, secret := range []string{testPassword, code} {
		if strings.Contains(bodies.String(), secret) {
			t.Errorf("a response contains %q", secret)
		}
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
}

func TestSetupPage(t *testing.T) { onEngines(t, testSetupPage) }

func testSetupPage(t *testing.T, e *env) {
	token, _, _ := e.Login.EnsureSetupToken(context.Background())
	c := e.browser()
	if r := e.get(c, "/login"); !strings.Contains(r.body, "set-up link") {
		t.Fatal("an empty portal does not point to the set-up link")
	}
	r := e.post(c, "/setup", "token", token, "name", "Ada", "email", "ada@example.org", "password", "short")
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "12 characters") || !strings.Contains(r.body, `value="ada@example.org"`) {
		t.Fatalf("short password: %d", r.status)
	}
	r = e.post(c, "/setup", "token", token, "name", "Ada", "email", "ada@example.org", "password", testPassword)
	if r.location != "/login?m=setup-done" {
		t.Fatalf("setup: %d %s", r.status, r.location)
	}
	// Set-up is over: the address answers like any unknown one.
	r = e.post(c, "/setup", "token", token, "name", "Eve", "email", "eve@example.org", "password", testPassword)
	if r.status != http.StatusNotFound {
		t.Fatalf("second use of the link: %d", r.status)
	}
	if r := e.get(c, "/setup?token="+token); r.status != http.StatusNotFound {
		t.Fatalf("set-up page after set-up: %d %s", r.status, r.location)
	}
}

func TestNotFoundIsAPage(t *testing.T) {
	e := newEnv(t)
	r := e.get(e.browser(), "/no/such/page")
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "Page not found") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}
