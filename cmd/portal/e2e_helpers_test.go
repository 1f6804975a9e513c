package main

import (
	"bytes"
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
}

// startPortal starts the portal in-process, sending text messages to a
// twiliotest server and email to an smtptest server. Everything stops when
// the test ends; the portal's log is shown only if the test failed.
func startPortal(t *testing.T) *testPortal {
	t.Helper()
	sid := "AC" + randomHex(t, 16)
	token := randomHex(t, 16)
	tw := twiliotest.NewServer(sid, token)
	t.Cleanup(tw.Close)
	sm, err := smtptest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sm.Close)

	env := map[string]string{
		"PORTAL_DATABASE_URL":       filepath.Join(t.TempDir(), "portal.db"),
		"PORTAL_SMS_PROVIDER":       "twilio",
		"PORTAL_TWILIO_ACCOUNT_SID": sid,
		"PORTAL_TWILIO_AUTH_TOKEN":  token,
		"PORTAL_TWILIO_FROM":        "+15005550006",
		"PORTAL_TWILIO_API_URL":     tw.URL(),
		"PORTAL_SMTP_URL":           sm.URL(),
		"PORTAL_MAIL_FROM":          "Provider Portal <portal@example.org>",
		"PORTAL_LOG_LEVEL":          "debug",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := new(e2eLogBuffer)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("portal log:\n%s", logs)
		}
	})
	app := &App{Config: cfg, Log: newLogger(cfg, logs)}
	cfg.Addr = "127.0.0.1:0"
	if err := app.Listen(); err != nil {
		t.Fatal(err)
	}
	// The base URL names the bound port before Open, so links, cookies and
	// the WebOTP line of text messages are right.
	cfg.BaseURL = "http://" + app.Addr()
	ctx, cancel := context.WithCancel(context.Background())
	if err := app.Open(ctx); err != nil {
		cancel()
		app.Close()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("portal stopped: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("portal did not shut down within 15s")
		}
		if err := app.Close(); err != nil {
			t.Errorf("close portal: %v", err)
		}
	})
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	return &testPortal{App: app, Twilio: tw, SMTP: sm, BaseURL: cfg.BaseURL, Host: u.Hostname()}
}

// createUser makes a provider account with e2ePassword; with a phone
// (E.164), it is registered as if the first login had been done already.
func (p *testPortal) createUser(t *testing.T, email, name, phone string) {
	t.Helper()
	ctx := t.Context()
	u, err := p.App.Login.CreateAccount(ctx, login.NewAccount{Email: email, Name: name, Password: e2ePassword}, login.Client{})
	if err != nil {
		t.Fatalf("create account %s: %v", email, err)
	}
	if phone != "" {
		if err := p.App.DB.SetPhone(ctx, u.ID, phone); err != nil {
			t.Fatalf("register phone of %s: %v", email, err)
		}
	}
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
func (p *testPortal) email(t *testing.T, to string) smtptest.Message {
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

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// e2eLogBuffer is a log destination that the server's goroutines and the
// test can share.
type e2eLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *e2eLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *e2eLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startBrowser starts one headless Chromium for the test and returns a
// context that has it; each journey opens its own tab in a fresh browser
// context (no shared cookies) with newTab. Without Chromium the test is
// skipped, unless PORTAL_REQUIRE_BROWSER=1.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		path, err = exec.LookPath("/usr/bin/chromium")
	}
	if err != nil {
		if os.Getenv("PORTAL_REQUIRE_BROWSER") == "1" {
			t.Fatal("PORTAL_REQUIRE_BROWSER=1 but chromium is not installed")
		}
		t.Skip("chromium not found; set PORTAL_REQUIRE_BROWSER=1 to make this a failure")
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

const (
	noticeBox = "//div[@role='status']"
	errorBox  = "//div[@id='error-summary']"
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
	// Emptied by script, as a person would select what is there and type
	// over it. (chromedp's SetValue cannot set "".)
	clear := "document.evaluate(" + strconv.Quote(field(label)) +
		", document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue.value = ''"
	b.run("type into "+label,
		chromedp.WaitVisible(field(label)),
		chromedp.Evaluate[chromedp.Void](clear),
		chromedp.SendKeys(field(label), value))
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
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Value(field(label), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("read field %s: %v\n%s", label, err, b.describe())
	}
	return s
}

// path is the path of the page the tab shows.
func (b *tab) path() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("read location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatalf("location %q: %v", loc, err)
	}
	return u.Path
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
