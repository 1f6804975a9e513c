package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/delivery/smtptest"
	"github.com/providerportal/portal/internal/delivery/twiliotest"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/testenv"
	"github.com/providerportal/portal/internal/testlog"
)

// End-to-end helpers: the real portal on a free port with local stand-ins
// for Twilio and SMTP, and a Chromium tab driven the way a person uses the
// pages (by label, button and link text).

// e2ePassword is the password of every account the browser tests create.
const e2ePassword = "correct horse battery staple"

// stepTimeout bounds one wait in the browser, so a missing element fails
// with the page's contents instead of hanging until the journey's timeout.
const stepTimeout = 15 * time.Second

// testPortal is a running portal and the servers standing in for the
// outside world.
type testPortal struct {
	App     *App
	Twilio  *twiliotest.Server
	SMTP    *smtptest.Server
	BaseURL string // http://127.0.0.1:PORT
	// Host is the host of the base URL without port, as the WebOTP line of
	// text messages names it ("@127.0.0.1 #123456"): the format binds a
	// code to an https origin on the default port, so it takes no port.
	Host string
	// Clock is the portal's clock when the test asked for one (withClock),
	// else nil: the portal then runs on the real time.
	Clock *testClock

	people int // accounts made by rp.signIn so far
}

// testClock is a clock the test moves by hand: the real time plus an
// offset that only Advance changes, so time still passes between steps
// (as it does for the portal in production) and a test can jump past a
// deadline at once.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the clock's time; give it to the portal as its Now.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// portalOption changes how startPortal sets up the portal.
type portalOption func(*portalSetup)

type portalSetup struct {
	clock  *testClock
	env    map[string]string
	before []func(*App)
	tune   []func(*App)
}

// onPostgres runs the portal on a new schema of the test PostgreSQL
// server (the test skips without one), with a secret key of its own.
func onPostgres(t testing.TB) portalOption {
	dbURL, key := pgtest.NewDatabase(t).NewSchema(t), randomHex(t, 32)
	return func(s *portalSetup) {
		withEnv("PORTAL_DATABASE_URL", dbURL)(s)
		withEnv("PORTAL_SECRET_KEY", key)(s)
	}
}

// onPortals runs test on a portal of each storage engine, as the parallel
// subtests "sqlite" and "postgres".
func onPortals(t *testing.T, test func(t *testing.T, p *testPortal)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, startPortal(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, startPortal(t, onPostgres(t)))
	})
}

// withEnv sets a PORTAL_* variable for the portal (over the defaults).
func withEnv(name, value string) portalOption {
	return func(s *portalSetup) {
		if s.env == nil {
			s.env = map[string]string{}
		}
		s.env[name] = value
	}
}

// withApp changes the wired portal before it serves, e.g. the
// dispatcher's backoff.
func withApp(f func(*App)) portalOption {
	return func(s *portalSetup) { s.tune = append(s.tune, f) }
}

// withClock runs the portal on c: the login service's clock, which the
// administration service and the pages use too.
func withClock(c *testClock) portalOption {
	return func(s *portalSetup) { s.clock = c }
}

// startProviders starts a twiliotest and an smtptest server, stopped when
// the test ends, and returns them with the PORTAL_* variables that send a
// portal's text messages and email to them, logging at debug.
func startProviders(t testing.TB) (*twiliotest.Server, *smtptest.Server, map[string]string) {
	t.Helper()
	tw, env := startTwilio(t)
	sm := smtptest.Start(t)
	env["PORTAL_SMTP_URL"] = sm.URL()
	env["PORTAL_MAIL_FROM"] = "Provider Portal <portal@example.org>"
	env["PORTAL_LOG_LEVEL"] = "debug"
	return tw, sm, env
}

// startTwilio starts a twiliotest server, stopped when the test ends, and
// returns it with the PORTAL_* variables that send a portal's text
// messages to it.
func startTwilio(t testing.TB) (*twiliotest.Server, map[string]string) {
	t.Helper()
	sid := "AC" + randomHex(t, 16)
	token := randomHex(t, 16)
	tw := twiliotest.NewServer(sid, token)
	t.Cleanup(tw.Close)
	return tw, map[string]string{
		"PORTAL_SMS_PROVIDER":       "twilio",
		"PORTAL_TWILIO_ACCOUNT_SID": sid,
		"PORTAL_TWILIO_AUTH_TOKEN":  token,
		"PORTAL_TWILIO_FROM":        "+15005550006",
		"PORTAL_TWILIO_API_URL":     tw.URL(),
	}
}

// processEnv is the environment of a `portal serve` process (or command)
// whose text messages go to the twiliotest server returned and whose email
// stays in the outbox (these tests read no email), logging warnings only;
// more are further variables, which win over these.
func processEnv(t testing.TB, more ...string) (*twiliotest.Server, []string) {
	t.Helper()
	tw, vars := startTwilio(t)
	env := os.Environ()
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	env = append(env, "PORTAL_ALLOW_EMAIL_OUTBOX=true", "PORTAL_LOG_LEVEL=warn")
	return tw, append(env, more...)
}

// startPortal starts the portal in-process, sending text messages to a
// twiliotest server and email to an smtptest server. Everything stops when
// the test ends; the portal's log is shown only if the test failed.
func startPortal(t testing.TB, opts ...portalOption) *testPortal {
	t.Helper()
	var setup portalSetup
	for _, o := range opts {
		o(&setup)
	}
	tw, sm, env := startProviders(t)
	env["PORTAL_DATABASE_URL"] = filepath.Join(t.TempDir(), "portal.db")
	for k, v := range setup.env {
		env[k] = v
	}
	app, _ := listeningApp(t, env, "portal log")
	cfg := app.Config
	// The base URL names the bound port before Open, so links, cookies and
	// the WebOTP line of text messages are right; unless the test gave
	// one (a portal behind a proxy).
	if setup.env["PORTAL_BASE_URL"] == "" {
		cfg.BaseURL = "http://" + app.Addr()
	}
	for _, f := range setup.before {
		f(app)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := app.Open(ctx); err != nil {
		cancel()
		app.Close()
		t.Fatal(err)
	}
	if setup.clock != nil {
		// Set before the server starts, so no request sees the real
		// clock; the web and administration layers read the login
		// service's clock at each use.
		app.Login.Clock = setup.clock.Now
	}
	for _, f := range setup.tune {
		f(app)
	}
	serveUntilCleanup(t, ctx, cancel, app, "portal")
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	return &testPortal{App: app, Twilio: tw, SMTP: sm, BaseURL: cfg.BaseURL, Host: u.Hostname(), Clock: setup.clock}
}

// listeningApp wires a portal configured by env and has it listen on a
// free loopback port, not yet open. Its log, in the buffer returned, is
// shown under the heading logName if the test fails.
func listeningApp(t testing.TB, env map[string]string, logName string) (*App, *testlog.Buffer) {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := new(testlog.Buffer)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s:\n%s", logName, logs)
		}
	})
	app := &App{Config: cfg, Log: newLogger(cfg, logs)}
	cfg.Addr = "127.0.0.1:0"
	if err := app.Listen(); err != nil {
		t.Fatal(err)
	}
	return app, logs
}

// serveUntilCleanup serves the opened app in the background until the
// test ends, then cancels ctx (by cancel) and closes the app; it fails the
// test if the app stopped with an error or took over 15 s to shut down.
// name is how the messages call it ("portal", "instance A").
func serveUntilCleanup(t testing.TB, ctx context.Context, cancel context.CancelFunc, app *App, name string) {
	t.Helper()
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("%s stopped: %v", name, err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("%s did not shut down within 15s", name)
		}
		if err := app.Close(); err != nil {
			t.Errorf("close %s: %v", name, err)
		}
	})
}

// createUser makes a provider account with e2ePassword; with a phone
// (E.164), it is registered as if the first login had been done already.
// It returns the account's id.
func (p *testPortal) createUser(t testing.TB, email, name, phone string) int64 {
	t.Helper()
	return p.createAccount(t, login.NewAccount{Email: email, Name: name, Password: e2ePassword}, phone)
}

// createAdmin is createUser for an administrator.
func (p *testPortal) createAdmin(t *testing.T, email, name, phone string) int64 {
	t.Helper()
	return p.createAccount(t, login.NewAccount{Email: email, Name: name, Password: e2ePassword, Admin: true}, phone)
}

func (p *testPortal) createAccount(t testing.TB, a login.NewAccount, phone string) int64 {
	t.Helper()
	ctx := t.Context()
	u, err := p.App.Login.CreateAccount(ctx, a, login.Client{})
	if err != nil {
		t.Fatalf("create account %s: %v", a.Email, err)
	}
	if phone != "" {
		if err := engine(t, p.App.DB).SetPhone(ctx, u.ID, phone); err != nil {
			t.Fatalf("register phone of %s: %v", a.Email, err)
		}
	}
	return u.ID
}

// user reads an account as it is stored now.
func (p *testPortal) user(t testing.TB, email string) *store.User {
	t.Helper()
	u, err := p.App.DB.UserByEmail(t.Context(), email)
	if err != nil {
		t.Fatalf("read account %s: %v", email, err)
	}
	return u
}

// logInWithCode logs in on b with email and password, then the code sent
// by text message to phone, and waits for the home page.
func (p *testPortal) logInWithCode(t *testing.T, b *tab, email, password, phone string) {
	t.Helper()
	b.logInToCode(email, password)
	b.verifyCodeToHome(p.smsCode(t, phone))
}

// linkPath is the path and query of the link of the portal that an email
// gives, failing unless the email has one to path.
func (p *testPortal) linkPath(t *testing.T, m smtptest.Message, path string) string {
	t.Helper()
	i := strings.Index(m.Text, p.BaseURL+path+"?")
	if i < 0 {
		t.Fatalf("email %q has no link to %s%s: %q", m.Subject, p.BaseURL, path, m.Text)
	}
	link := m.Text[i:]
	if j := strings.IndexFunc(link, func(r rune) bool { return r == ' ' || r == '\n' || r == '\r' }); j >= 0 {
		link = link[:j]
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("link %q in email %q: %v", link, m.Subject, err)
	}
	return u.RequestURI()
}

// sms waits for the next text message to the number to.
func (p *testPortal) sms(t *testing.T, to string) twiliotest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), stepTimeout)
	defer cancel()
	m, err := p.Twilio.Wait(ctx, to)
	if err != nil {
		t.Fatalf("no text message to %s (%v); all messages: %+v", to, err, p.Twilio.Messages())
	}
	return m
}

// smsCode waits for the next text message to to and returns its code,
// checking that the message ends with the WebOTP line for the portal.
func (p *testPortal) smsCode(t *testing.T, to string) string {
	t.Helper()
	m := p.sms(t, to)
	code := twiliotest.ExtractCode(m.Body)
	if code == "" {
		t.Fatalf("text message to %s has no six-digit code: %q", to, m.Body)
	}
	if want := "@" + p.Host + " #" + code; !strings.HasSuffix(m.Body, "\n"+want) {
		t.Errorf("text message to %s does not end with the WebOTP line %q: %q", to, want, m.Body)
	}
	return code
}

// email waits for the next email to the address to.
func (p *testPortal) email(t testing.TB, to string) smtptest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), stepTimeout)
	defer cancel()
	m, err := p.SMTP.Wait(ctx, to)
	if err != nil {
		var got []string
		for _, m := range p.SMTP.Messages() {
			got = append(got, strings.Join(m.To, ",")+": "+m.Subject)
		}
		t.Fatalf("no email to %s (%v); all messages: %q", to, err, got)
	}
	return m
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// startBrowser starts one headless Chromium for the test and returns a
// context that has it; each journey opens its own tab in a fresh browser
// context (no shared cookies) with newTab. Without Chromium the test is
// skipped, unless PORTAL_REQUIRE_BROWSER=1. extra are further options,
// e.g. host resolver rules.
func startBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		path, err = exec.LookPath("/usr/bin/chromium")
	}
	if err != nil {
		testenv.Browser.Unavailable(t, "chromium not found")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(1024, 900),
		chromedp.UserDataDir(t.TempDir()),
	}
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// Start the browser now, with no timeout: the first Run binds the
	// browser's life to its context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	return ctx
}

// tab is one browser tab of a journey, in its own browser context.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// newTab opens a tab in a new browser context (like a private window)
// that closes when the test ends or after timeout.
func newTab(t *testing.T, browser context.Context, base string, timeout time.Duration) *tab {
	t.Helper()
	ctx, cancelTimeout := context.WithTimeout(browser, timeout)
	ctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(func() {
		cancel()
		cancelTimeout()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return &tab{t: t, ctx: ctx, base: base}
}

// xpathString quotes s as an XPath string literal.
func xpathString(s string) string {
	switch {
	case !strings.Contains(s, "'"):
		return "'" + s + "'"
	case !strings.Contains(s, `"`):
		return `"` + s + `"`
	}
	return "concat('" + strings.Join(strings.Split(s, "'"), `', "'", '`) + "')"
}

// Selectors by what a person sees.

// field is the input that the <label> with exactly this text is for.
func field(label string) string {
	return "//*[self::input or self::textarea or self::select][@id=//label[normalize-space()=" + xpathString(label) + "]/@for]"
}

func button(text string) string { return "//button[normalize-space()=" + xpathString(text) + "]" }

func link(text string) string { return "//a[normalize-space()=" + xpathString(text) + "]" }

func heading(text string) string {
	return "//*[self::h1 or self::h2][normalize-space()=" + xpathString(text) + "]"
}

// fieldIn is the field labelled label inside the element scope selects
// (an XPath location path), for pages where several forms have a field of
// the same name.
func fieldIn(scope, label string) string {
	return scope + "//*[self::input or self::textarea or self::select][@id=" + scope + "//label[normalize-space()=" + xpathString(label) + "]/@for]"
}

const (
	noticeBox = "//div[@role='status']"
	errorBox  = "//div[@id='error-summary']"
	homePage  = "//h1[starts-with(normalize-space(), 'Welcome, ')]"
)

// run runs browser steps with the step timeout and fails the test, showing
// where the browser is and what it shows, if one fails.
func (b *tab) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\n%s", what, err, b.describe())
	}
}

// describe is the address and the visible text of the page, for failures.
func (b *tab) describe() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n----\n" + document.body.innerText`))
	if err != nil {
		return "(page unreadable: " + err.Error() + ")"
	}
	return "page now at " + s
}

// open navigates to a path of the portal.
func (b *tab) open(path string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path))
}

// fill types value into the field labelled label, replacing what was
// there.
func (b *tab) fill(label, value string) {
	b.t.Helper()
	if label == "Code" {
		// While a text is on its way the code screen asks for its
		// status and shows itself again once it has gone out, unless
		// something is typed already. A test reads the code the moment
		// the text leaves, so it could type into the page just as that
		// reload replaces it; a person takes longer. Wait for it.
		b.run("wait for the delivery status to settle", chromedp.WaitNotPresent(chromedp.CSS("[data-delivery-poll]")))
	}
	b.fillField(label, field(label), value)
}

// fillIn is fill for the field labelled label inside scope (see fieldIn).
func (b *tab) fillIn(scope, label, value string) {
	b.t.Helper()
	b.fillField(label, fieldIn(scope, label), value)
}

func (b *tab) fillField(label, sel, value string) {
	b.t.Helper()
	// Emptied by script, as a person would select what is there and type
	// over it. (chromedp's SetValue cannot set "".)
	clear := "document.evaluate(" + strconv.Quote(sel) +
		", document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue.value = ''"
	b.run("type into "+label,
		chromedp.WaitVisible(sel),
		chromedp.Evaluate[chromedp.Void](clear),
		chromedp.SendKeys(sel, value))
}

// logIn enters email and password on the login screen and clicks Login.
func (b *tab) logIn(email, password string) {
	b.t.Helper()
	b.open("/login")
	b.waitHeading("Log in")
	b.submitLogin(email, password)
}

// verifyCodeToHome types code in Code, clicks Verify Code and waits for
// the home page of a completed login.
func (b *tab) verifyCodeToHome(code string) {
	b.t.Helper()
	b.enterCode(code)
	b.waitFor("the home page", homePage)
}

// click clicks the button with this text.
func (b *tab) click(text string) {
	b.t.Helper()
	b.run("click "+text, chromedp.Click(button(text)))
}

// follow clicks the link with this text.
func (b *tab) follow(text string) {
	b.t.Helper()
	b.run("follow link "+text, chromedp.Click(link(text)))
}

// waitFor waits until the element is visible.
func (b *tab) waitFor(what, sel string) {
	b.t.Helper()
	b.run("wait for "+what, chromedp.WaitVisible(sel))
}

// waitHeading waits for a page whose heading is exactly text.
func (b *tab) waitHeading(text string) {
	b.t.Helper()
	b.waitFor("heading "+text, heading(text))
}

// text is the visible text of the first element sel selects.
func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(sel, chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("read %s: %v\n%s", sel, err, b.describe())
	}
	return strings.Join(strings.Fields(s), " ")
}

// value is what the field labelled label holds.
func (b *tab) value(label string) string {
	b.t.Helper()
	return b.valueOf(field(label))
}

// valueOf is what the field sel selects holds.
func (b *tab) valueOf(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Value(sel, chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("read field %s: %v\n%s", sel, err, b.describe())
	}
	return s
}

// openStatus navigates to a path of the portal and returns the HTTP
// status of the page it ends on (after redirects).
func (b *tab) openStatus(path string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v\n%s", path, err, b.describe())
	}
	return resp.Status
}

// count is how many elements sel selects now; it does not wait.
func (b *tab) count(sel string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.evaluate("+strconv.Quote("count("+sel+")")+
		", document, null, XPathResult.NUMBER_TYPE, null).numberValue"))
	if err != nil {
		b.t.Fatalf("count %s: %v\n%s", sel, err, b.describe())
	}
	return n
}

// path is the path of the page the tab shows.
func (b *tab) path() string {
	b.t.Helper()
	loc := b.location()
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatalf("location %q: %v", loc, err)
	}
	return u.Path
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

// expectText fails unless the element sel shows text containing each of
// want.
func (b *tab) expectText(what, sel string, want ...string) {
	b.t.Helper()
	got := b.text(sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.t.Errorf("%s says %q, want it to contain %q", what, got, w)
		}
	}
}

// screenshot saves the whole page as $PORTAL_SCREENSHOTS/name.png when that
// variable is set, for people to look at; otherwise it does nothing.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("PORTAL_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
	}
}

// engine is the whole store behind a portal's database, for tests that
// set up what no command does (a phone registered, an administrator
// made): the portal itself takes only what its parts need (database).
func engine(t testing.TB, db database) store.Store {
	t.Helper()
	s, ok := db.(store.Store)
	if !ok {
		t.Fatalf("%T is not a whole store", db)
	}
	return s
}
