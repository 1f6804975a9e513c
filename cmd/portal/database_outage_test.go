package main

import (
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/testlog"
)

// dbProxy stands between the portal and PostgreSQL, so that a test can
// take the database away from the portal without stopping the server that
// other tests use: Cut closes every connection it carries and refuses new
// ones (closing them as soon as they are accepted), as a database that
// went down does; Restore lets connections through again.
type dbProxy struct {
	l      net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// startDBProxy forwards a free port of 127.0.0.1 to target (host:port)
// until the test ends.
func startDBProxy(t *testing.T, target string) *dbProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{l: l, target: target, conns: map[net.Conn]bool{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		l.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

// Addr is the proxy's address, host:port.
func (p *dbProxy) Addr() string { return p.l.Addr().String() }

func (p *dbProxy) accept() {
	for {
		client, err := p.l.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			client.Close()
			continue
		}
		server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			client.Close()
			continue
		}
		if !p.track(client, server) {
			continue
		}
		pipe := func(dst, src net.Conn) {
			io.Copy(dst, src)
			// Either side ending ends the connection.
			p.untrack(client, server)
		}
		p.wg.Go(func() { pipe(server, client) })
		p.wg.Go(func() { pipe(client, server) })
	}
}

// track registers a connection's two ends; false (and both closed) if the
// proxy was cut meanwhile.
func (p *dbProxy) track(a, b net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		a.Close()
		b.Close()
		return false
	}
	p.conns[a], p.conns[b] = true, true
	return true
}

func (p *dbProxy) untrack(a, b net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a.Close()
	b.Close()
	delete(p.conns, a)
	delete(p.conns, b)
}

// Cut closes every connection and refuses new ones until Restore.
func (p *dbProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore lets connections through again.
func (p *dbProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// TestDatabaseOutage takes the database away from a running portal and
// brings it back: while it is away /readyz says so, pages answer with the
// friendly error page, /healthz still answers and the dispatcher keeps
// trying; once it is back, the portal serves again without a restart, and
// a login begun before the outage can be finished.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	dbURL, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startDBProxy(t, dbURL.Host)
	dbURL.Host = proxy.Addr()
	c := startCluster(t, dbURL.String(), 1)
	p, logs := c.Portals[0], c.Logs[0]
	p.createUser(t, "grace@example.org", "Grace Hopper", "+447546123456")
	p.createUser(t, "mary@example.org", "Mary Seacole", "+447546654321")
	anon := newHTTPClient(t, p.BaseURL)
	anon.step("readyz before the outage", "GET", "/readyz", nil, 200, "", "ready")

	// A login half done when the database goes: password accepted, code sent.
	grace := newHTTPClient(t, p.BaseURL)
	grace.step("password before the outage", "POST", "/login", loginForm("grace@example.org", e2ePassword), 303, "/login/code")
	code := p.smsCode(t, "+447546123456")
	dispatchErrors := func() int { return strings.Count(logs.String(), "msg=dispatch ") }
	errorsBefore := dispatchErrors()

	proxy.Cut()
	cutAt := time.Now()
	anon.step("readyz while the database is away", "GET", "/readyz", nil, 503, "", "database unreachable")
	readyTook := time.Since(cutAt)
	anon.step("healthz while the database is away", "GET", "/healthz", nil, 200, "", "ok")

	// Pages fail with the portal's own error page, naming a reference that
	// the log has, and nothing of the error itself.
	pageAt := time.Now()
	status, _, body := anon.do("GET", "/login", nil)
	pageTook := time.Since(pageAt)
	checkErrorPage(t, "the login screen while the database is away", status, body, logs)
	status, _, body = grace.do("POST", "/login/code", codeForm(code))
	checkErrorPage(t, "Verify Code while the database is away", status, body, logs)

	// The dispatcher logs and keeps trying: two failed rounds at least.
	deadline := time.Now().Add(10 * time.Second)
	for dispatchErrors() < errorsBefore+2 {
		if time.Now().After(deadline) {
			t.Fatalf("the dispatcher did not report the database twice within 10s of the outage")
		}
		time.Sleep(50 * time.Millisecond)
	}

	proxy.Restore()
	restoredAt := time.Now()
	for {
		status, _, _ := anon.do("GET", "/readyz", nil)
		if status == 200 {
			break
		}
		if time.Since(restoredAt) > 10*time.Second {
			t.Fatalf("readyz still %d 10s after the database came back", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	readyAgain := time.Since(restoredAt)

	// The login begun before the outage goes on where it stopped; a whole
	// new one works, its code sent by the same dispatcher.
	grace.step("Verify Code after the outage", "POST", "/login/code", codeForm(code), 303, "/")
	mary := newHTTPClient(t, p.BaseURL)
	mary.step("password after the outage", "POST", "/login", loginForm("mary@example.org", e2ePassword), 303, "/login/code")
	mary.step("Verify Code after the outage", "POST", "/login/code", codeForm(p.smsCode(t, "+447546654321")), 303, "/")
	mary.step("the home page after the outage", "GET", "/", nil, 200, "", "Welcome, Mary Seacole")
	t.Logf("database away for %v: /readyz answered 503 in %v, /login the error page in %v, the dispatcher logged %d failed rounds and went on; back: /readyz 200 after %v, logins work without a restart",
		restoredAt.Sub(cutAt).Round(time.Millisecond), readyTook.Round(100*time.Microsecond), pageTook.Round(100*time.Microsecond),
		dispatchErrors()-errorsBefore, readyAgain.Round(100*time.Microsecond))
}

var referenceRE = regexp.MustCompile(`the reference ([0-9a-f]{16})`)

// checkErrorPage fails unless a response is the portal's internal error
// page: status 500, the page's words, a reference that the log names with
// the error, and no error text.
func checkErrorPage(t *testing.T, what string, status int, body string, logs *testlog.Buffer) {
	t.Helper()
	if status != 500 || !strings.Contains(body, "Something went wrong") {
		t.Errorf("%s: %d, want 500 with the error page:\n%s", what, status, body)
		return
	}
	m := referenceRE.FindStringSubmatch(body)
	if m == nil {
		t.Errorf("%s: the error page gives no reference:\n%s", what, body)
	} else if !strings.Contains(logs.String(), "msg=\"internal error\" id="+m[1]) {
		t.Errorf("%s: the log has no internal error with the reference %s", what, m[1])
	}
	for _, leak := range []string{"postgres", "pgx", "pgconn", "dial", "EOF", "connection", "login:"} {
		if strings.Contains(body, leak) {
			t.Errorf("%s: the error page shows %q:\n%s", what, leak, body)
		}
	}
}
