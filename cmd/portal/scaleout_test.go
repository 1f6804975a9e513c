package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/providerportal/portal/internal/delivery/smtptest"
	"github.com/providerportal/portal/internal/delivery/twiliotest"
	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/testlog"
)

// Scale-out: instances of the portal sharing one PostgreSQL database, as
// behind a load balancer without sticky sessions. The journeys send each
// request to the instance the test names, carrying the session cookie from
// one to the other; the races are spread over both. Without a PostgreSQL
// server the tests skip, unless PORTAL_REQUIRE_POSTGRES=1 (see pgtest).

// cluster is several portals on one database, sharing the secret key and
// the stand-ins for Twilio and SMTP.
type cluster struct {
	Portals []*testPortal
	Logs    []*testlog.Buffer // each instance's log
	Twilio  *twiliotest.Server
	SMTP    *smtptest.Server
	// OpenTook is how long the instances' concurrent Open took.
	OpenTook time.Duration
	// finished counts, per instance, the messages its dispatcher brought
	// to a final status (sent, failed, expired).
	finished []atomic.Int64
}

// clusterEnv sets a PORTAL_* variable for every instance of a cluster,
// over startCluster's defaults.
type clusterEnv struct{ name, value string }

// startCluster starts n portals in-process on the PostgreSQL database at
// dbURL. They Open at the same time, as instances that an orchestrator
// starts together do, so on an empty database they race to migrate it.
// Everything stops when the test ends; the portals' logs are shown only if
// the test failed.
func startCluster(t *testing.T, dbURL string, n int, envs ...clusterEnv) *cluster {
	t.Helper()
	tw, sm, env := startProviders(t)
	env["PORTAL_DATABASE_URL"] = dbURL
	env["PORTAL_SECRET_KEY"] = randomHex(t, 32) // the same for every instance
	for _, e := range envs {
		env[e.name] = e.value
	}
	c := &cluster{Twilio: tw, SMTP: sm, finished: make([]atomic.Int64, n)}

	apps := make([]*App, n)
	for i := range apps {
		app, logs := listeningApp(t, env, "log of instance "+instanceName(i))
		app.Config.BaseURL = "http://" + app.Addr()
		apps[i] = app
		c.Logs = append(c.Logs, logs)
	}

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i, app := range apps {
		wg.Go(func() { errs[i] = app.Open(ctx) })
	}
	wg.Wait()
	c.OpenTook = time.Since(start)
	if err := errors.Join(errs...); err != nil {
		cancel()
		for _, app := range apps {
			app.Close()
		}
		t.Fatalf("open %d instances at once: %v", n, err)
	}

	for i, app := range apps {
		onFinal := app.Dispatch.OnFinal
		app.Dispatch.OnFinal = func(ctx context.Context, m *store.Message) {
			c.finished[i].Add(1)
			onFinal(ctx, m)
		}
		serveUntilCleanup(t, ctx, cancel, app, "instance "+instanceName(i))
		c.Portals = append(c.Portals, &testPortal{App: app, Twilio: tw, SMTP: sm,
			BaseURL: app.Config.BaseURL, Host: "127.0.0.1"})
	}
	return c
}

// instanceName is A, B, … for the instances of a cluster.
func instanceName(i int) string { return string(rune('A' + i)) }

// on is the same person (the same cookie jar) talking to the instance p.
// Cookies do not depend on the port, so the session cookie one instance
// sets goes to the other as well, as it does behind a load balancer.
func (h *httpClient) on(p *testPortal) *httpClient {
	c := *h
	c.base = p.BaseURL
	return &c
}

// step sends a request and fails unless the answer has the status and,
// for a redirect, the location, and its body says each of says. It
// returns the body.
func (h *httpClient) step(what, method, path string, form url.Values, want int, wantLoc string, says ...string) string {
	h.t.Helper()
	status, loc, body := h.do(method, path, form)
	if status != want || loc != wantLoc {
		h.t.Fatalf("%s: %d %q, want %d %q\n%s", what, status, loc, want, wantLoc, body)
	}
	for _, s := range says {
		if !strings.Contains(body, s) {
			h.t.Errorf("%s does not say %q:\n%s", what, s, body)
		}
	}
	return body
}

func loginForm(email, password string) url.Values {
	return url.Values{"email": {email}, "password": {password}}
}

func codeForm(code string) url.Values { return url.Values{"code": {code}} }

func phoneForm(phone string) url.Values { return url.Values{"phone": {phone}} }

// TestScaleOut runs two instances on one fresh database: the help article's
// journeys with every request alternating between them, and the races that
// only the database can settle.
func TestScaleOut(t *testing.T) {
	// Not parallel: its races (50 wrong passwords at once, 20 submissions of
	// one code) want the hashing slots free of other tests' logins.
	db := pgtest.NewDatabase(t)
	c := startCluster(t, db.URL, 2)
	A, B := c.Portals[0], c.Portals[1]
	t.Logf("two instances opened (and migrated) one fresh database at the same time in %v", c.OpenTook.Round(time.Millisecond))
	for i, p := range c.Portals {
		v, err := p.App.DB.Version(t.Context())
		if err != nil || v == 0 {
			t.Fatalf("instance %s: schema version %d (%v)", instanceName(i), v, err)
		}
		if i > 0 {
			if v0, _ := c.Portals[0].App.DB.Version(t.Context()); v != v0 {
				t.Fatalf("instance %s is at schema version %d, A at %d", instanceName(i), v, v0)
			}
		}
	}

	t.Run("login with MFA and change phone", func(t *testing.T) {
		A.createUser(t, "florence@example.org", "Florence Nightingale", "+447546123456")
		h := newHTTPClient(t, A.BaseURL)

		// Password on A; the code screen and the code on B; My Details on A.
		h.on(A).step("password on A", "POST", "/login", loginForm("florence@example.org", e2ePassword), 303, "/login/code")
		code := A.smsCode(t, "+447546123456")
		h.on(B).step("the code screen on B", "GET", "/login/code", nil, 200, "", "•••• 3456")
		h.on(B).step("Verify Code on B", "POST", "/login/code", codeForm(code), 303, "/")
		h.on(A).step("the home page on A", "GET", "/", nil, 200, "", "Welcome, Florence Nightingale")
		h.on(A).step("My Details on A", "GET", "/my-details", nil, 200, "", "Multi-factor Authentication", "•••• 3456")

		// Update on B sends a code to the new number; Verify Code on A.
		h.on(B).step("Update on B", "POST", "/my-details/phone", phoneForm("+44 7546 654321"), 303, "/my-details/phone/verify")
		h.on(A).step("the confirmation screen on A", "GET", "/my-details/phone/verify", nil, 200, "", "•••• 4321")
		code = A.smsCode(t, "+447546654321")
		h.on(A).step("Verify Code on A", "POST", "/my-details/phone/verify", codeForm(code), 303, "/my-details?m=phone-changed")
		h.on(B).step("My Details on B", "GET", "/my-details", nil, 200, "", "•••• 4321")
		if u := B.user(t, "florence@example.org"); u.Phone != "+447546654321" {
			t.Errorf("phone after the change: %q", u.Phone)
		}
		if m := A.email(t, "florence@example.org"); !strings.Contains(m.Text, "•••• 3456") || !strings.Contains(m.Text, "•••• 4321") {
			t.Errorf("the notice of the changed phone does not name both numbers: %q", m.Text)
		}

		// Log out on B; the session is gone on A too.
		h.on(B).step("Log out on B", "POST", "/logout", url.Values{}, 303, "/login?m=logged-out")
		h.on(A).step("My Details on A after logging out", "GET", "/my-details", nil, 303, "/login")

		// Codes now go to the new number, whichever instance sends them.
		h.on(B).step("password on B", "POST", "/login", loginForm("florence@example.org", e2ePassword), 303, "/login/code")
		h.on(A).step("Verify Code on A", "POST", "/login/code", codeForm(B.smsCode(t, "+447546654321")), 303, "/")
	})

	t.Run("first login registers phone", func(t *testing.T) {
		A.createUser(t, "ada@example.org", "Ada Lovelace", "")
		h := newHTTPClient(t, A.BaseURL)

		h.on(B).step("password on B", "POST", "/login", loginForm("ada@example.org", e2ePassword), 303, "/login/phone")
		h.on(A).step("Update Phone Number on A", "GET", "/login/phone", nil, 200, "", "Update Phone Number")
		// The article's Important note: the country code is needed.
		h.on(A).step("a number without country code on A", "POST", "/login/phone", phoneForm("07546123456"), 422, "", "country code", "leading zero")
		h.on(B).step("Send Verification Code on B", "POST", "/login/phone", phoneForm("+44 7546 123456"), 303, "/login/phone")
		h.on(A).step("the code field on A", "GET", "/login/phone", nil, 200, "", "•••• 3456")
		code := A.smsCode(t, "+447546123456")
		h.on(B).step("Verify Code on B", "POST", "/login/phone/verify", codeForm(code), 303, "/login?m=phone-registered")

		// Log in again: password on A, code on B, home on A.
		h.on(A).step("password on A", "POST", "/login", loginForm("ada@example.org", e2ePassword), 303, "/login/code")
		h.on(B).step("Verify Code on B", "POST", "/login/code", codeForm(A.smsCode(t, "+447546123456")), 303, "/")
		h.on(A).step("the home page on A", "GET", "/", nil, 200, "", "Welcome, Ada Lovelace")
	})

	t.Run("20 submissions of one code log in once", func(t *testing.T) {
		id := A.createUser(t, "mary@example.org", "Mary Seacole", "+447700900123")
		h := newHTTPClient(t, A.BaseURL)
		h.on(A).step("password on A", "POST", "/login", loginForm("mary@example.org", e2ePassword), 303, "/login/code")
		code := A.smsCode(t, "+447700900123")

		results := race(t, c.Portals, 20, h.cookies(A), "/login/code", codeForm(code))
		logins := results["303 /"]
		t.Logf("20 concurrent submissions of one correct code, 10 on each instance: %d logged in; all answers: %v", logins, results)
		if logins != 1 {
			t.Errorf("%d of 20 submissions of one code logged in, want exactly 1", logins)
		}
		if n := countAudit(t, A, id, "login", "success"); n != 1 {
			t.Errorf("the audit log has %d completed logins, want 1", n)
		}
	})

	t.Run("outbox dispatchers send each message once", func(t *testing.T) {
		id := A.createUser(t, "outbox@example.org", "Outbox Test", "")
		waitOutboxIdle(t, db.URL)
		before := make([]int64, len(c.Portals))
		for i := range c.Portals {
			before[i] = c.finished[i].Load()
		}
		twilioBefore, smtpBefore := len(c.Twilio.Messages()), len(c.SMTP.Messages())

		// 200 notices, 100 by SMS and 100 by email, queued through both
		// instances; then both dispatchers are woken at once.
		const notices = 200
		start := time.Now()
		for i := range notices {
			p := c.Portals[i%2]
			m := &store.Message{UserID: id, Channel: store.ChannelSMS, To: fmt.Sprintf("+4477009%05d", i), CreatedAt: time.Now()}
			if i%4 >= 2 {
				m.Channel, m.To = store.ChannelEmail, fmt.Sprintf("notice-%d@example.org", i)
			}
			content := dispatch.Content{Subject: fmt.Sprintf("Notice %d", i), Text: fmt.Sprintf("Notice %d from the scale-out test.", i)}
			if err := p.App.Dispatch.Queue(t.Context(), m, content); err != nil {
				t.Fatalf("queue notice %d: %v", i, err)
			}
		}
		for _, p := range c.Portals {
			p.App.Dispatch.Kick(t.Context())
		}
		waitOutboxIdle(t, db.URL)
		took := time.Since(start)

		sms := slices.Clone(c.Twilio.Messages()[twilioBefore:])
		mail := slices.Clone(c.SMTP.Messages()[smtpBefore:])
		got := map[string]int{}
		for _, m := range sms {
			got[m.To]++
		}
		for _, m := range mail {
			got[strings.Join(m.To, ",")]++
		}
		var missing, twice []string
		for i := range notices {
			to := fmt.Sprintf("+4477009%05d", i)
			if i%4 >= 2 {
				to = fmt.Sprintf("notice-%d@example.org", i)
			}
			switch got[to] {
			case 1:
			case 0:
				missing = append(missing, to)
			default:
				twice = append(twice, fmt.Sprintf("%s ×%d", to, got[to]))
			}
		}
		var shares []string
		for i := range c.Portals {
			shares = append(shares, fmt.Sprintf("%s sent %d", instanceName(i), c.finished[i].Load()-before[i]))
		}
		t.Logf("%d notices queued through both instances: Twilio received %d, SMTP %d, in %v; %s",
			notices, len(sms), len(mail), took.Round(time.Millisecond), strings.Join(shares, ", "))
		if len(missing) > 0 || len(twice) > 0 || len(sms)+len(mail) != notices {
			t.Errorf("each notice should arrive exactly once: missing %q, more than once %q", missing, twice)
		}
		for i := range c.Portals {
			if c.finished[i].Load() == before[i] {
				t.Errorf("the dispatcher of instance %s sent none of the %d: the test did not race two dispatchers", instanceName(i), notices)
			}
		}
	})

	// Last: it throttles the test's client address, 127.0.0.1.
	t.Run("50 wrong passwords stay within the lockout", func(t *testing.T) {
		const email = "edith@example.org"
		A.createUser(t, email, "Edith Cavell", "+447700900456")
		rules := A.App.Login.Rules

		results := race(t, c.Portals, 50, nil, "/login", loginForm(email, "not the password"))
		th, err := A.App.DB.Throttle(t.Context(), login.AccountThrottleKey(email))
		if err != nil {
			t.Fatal(err)
		}
		// As many as one person typing one after the other could make
		// before the first wait: the free failures, then the one that
		// starts the backoff. Every other try must be refused unread.
		allowed := rules.PasswordFreeAccount + 1
		t.Logf("50 concurrent wrong passwords, 25 on each instance: %d counted (allowed %d, lockout after %d), locked for %v; all answers: %v",
			th.Failures, allowed, rules.PasswordLockAccount, time.Until(th.LockedUntil).Round(time.Second), results)
		if th.Failures > allowed || th.Failures > rules.PasswordLockAccount {
			t.Errorf("%d wrong passwords were counted, more than the %d the rules allow", th.Failures, allowed)
		}
		if n := results["422 "]; n != th.Failures {
			t.Errorf("%d tries were answered as wrong passwords, but %d were counted", n, th.Failures)
		}

		// The right password is refused while the account is locked.
		newHTTPClient(t, B.BaseURL).step("the right password while locked", "POST", "/login", loginForm(email, e2ePassword), 429, "", "Too many attempts")
	})
}

// cookies are the cookies the person's jar sends to p.
func (h *httpClient) cookies(p *testPortal) []*http.Cookie {
	u, _ := url.Parse(p.BaseURL)
	return h.c.Jar.Cookies(u)
}

// race posts form to path n times at once, spread evenly over the portals,
// each with the cookies given, and counts the answers by status and
// location ("303 /", "422 ").
func race(t *testing.T, portals []*testPortal, n int, cookies []*http.Cookie, path string, form url.Values) map[string]int {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	answers := make([]string, n)
	errs := make([]error, n)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		p := portals[i%len(portals)]
		req, err := formRequest("POST", p.BaseURL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		wg.Go(func() {
			<-ready
			resp, err := client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			answers[i] = fmt.Sprintf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
		})
	}
	close(ready)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, a := range answers {
		counts[a]++
	}
	return counts
}

// countAudit counts the user's audit events of one name and outcome.
func countAudit(t *testing.T, p *testPortal, userID int64, event, outcome string) int {
	t.Helper()
	events, err := p.App.DB.ListAudit(t.Context(), store.AuditQuery{UserID: userID, Event: event, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Outcome == outcome {
			n++
		}
	}
	return n
}

// waitOutboxIdle waits until no message of the database is waiting to be
// sent or being sent.
func waitOutboxIdle(t *testing.T, dbURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for {
		var pending int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM messages WHERE status IN ('queued', 'sending')`).Scan(&pending)
		if err != nil {
			t.Fatalf("outbox still has messages to send (%v)", err)
		}
		if pending == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
