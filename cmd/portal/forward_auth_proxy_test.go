package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/testlog"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/delivery/twiliotest"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/testenv"
)

// Forward-auth through real reverse proxies, with the configurations
// shipped in deploy/ (and docs/forward-auth.md) changed only in their
// names, ports and paths: https://portal.test is the portal and
// https://app.portal.test an application behind auth_request (nginx) or
// forward_auth (Caddy) that echoes the Remote-* headers it is given.

// proxySetup is the portal, the application and the certificate, before
// the proxy starts.
type proxySetup struct {
	dir       string
	port      int // the proxy's https port on 127.0.0.1
	portal    *testPortal
	app       *httptest.Server
	cert, key string // PEM files
	spki      string // base64 SHA-256 of the certificate's public key, for Chromium
	pool      *x509.CertPool
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// newProxySetup is the portal, the application and (started by the test)
// the proxy; opts change the application's registration.
func newProxySetup(t *testing.T, opts ...func(*apps.Registration)) *proxySetup {
	t.Helper()
	s := &proxySetup{dir: t.TempDir(), port: freePort(t)}
	s.writeCertificate(t)
	s.app = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>App</title><h1>App</h1><p id=user>Remote-User: %s</p><p id=groups>Remote-Groups: %s</p><p id=uri>%s</p>",
			htmlEscape(r.Header.Get("Remote-User")), htmlEscape(r.Header.Get("Remote-Groups")), htmlEscape(r.URL.RequestURI()))
	}))
	t.Cleanup(s.app.Close)
	s.portal = startPortal(t,
		withEnv("PORTAL_BASE_URL", "https://portal.test:"+strconv.Itoa(s.port)),
		withEnv("PORTAL_COOKIE_DOMAIN", "portal.test"),
		withEnv("PORTAL_TRUSTED_PROXIES", "127.0.0.1"))
	// app.portal.test, on the proxy's port, is registered as the operator
	// would (portal app create --name Records --forward-auth-host
	// app.portal.test:PORT), so the way back after login goes through the
	// real registry.
	reg := apps.Registration{Name: "Records", ForwardAuthHosts: []string{"app.portal.test:" + strconv.Itoa(s.port)}}
	for _, o := range opts {
		o(&reg)
	}
	if err := reg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, _ := apps.New(reg, time.Now())
	if err := s.portal.App.DB.CreateApplication(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	return s
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// writeCertificate makes a self-signed certificate for both names.
func (s *proxySetup) writeCertificate(t *testing.T) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "portal.test"},
		DNSNames:  []string{"portal.test", "app.portal.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	s.cert, s.key = filepath.Join(s.dir, "cert.pem"), filepath.Join(s.dir, "key.pem")
	if err := os.WriteFile(s.cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	s.spki = base64.StdEncoding.EncodeToString(sum[:])
	s.pool = x509.NewCertPool()
	s.pool.AddCert(c)
}

// shipped reads a configuration from deploy/ and changes its names, ports
// and paths for this test; each must occur in it, so that the test follows
// the file as shipped.
func (s *proxySetup) shipped(t *testing.T, file string, extra ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", file))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	pairs := append([]string{
		"app.example.org", "app.portal.test",
		"portal.example.org", "portal.test",
		"127.0.0.1:8080", s.portal.App.Addr(),
		"127.0.0.1:3000", strings.TrimPrefix(s.app.URL, "http://"),
		"/etc/ssl/portal/fullchain.pem", s.cert,
		"/etc/ssl/portal/privkey.pem", s.key,
	}, extra...)
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			t.Fatalf("deploy/%s no longer has %q: change the test with it", file, pairs[i])
		}
		text = strings.ReplaceAll(text, pairs[i], pairs[i+1])
	}
	return text
}

// needProxy finds a proxy's binary, or skips (fails if suite is required).
func needProxy(t *testing.T, suite testenv.Suite, name string, paths ...string) string {
	t.Helper()
	for _, p := range append([]string{name}, paths...) {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	suite.Unavailable(t, name+" not found")
	return ""
}

// startProcess runs a proxy until the test ends and waits for its port.
func (s *proxySetup) startProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	out := &testlog.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s:\n%s", filepath.Base(cmd.Path), out)
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(s.port)); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %d:\n%s", cmd.Path, s.port, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *proxySetup) startNginx(t *testing.T) {
	t.Helper()
	bin := needProxy(t, testenv.Nginx, "nginx", "/usr/sbin/nginx")
	site := s.shipped(t, "nginx/forward-auth.conf", "listen 443 ssl;", "listen 127.0.0.1:"+strconv.Itoa(s.port)+" ssl;")
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;\n" // workers keep to the test's temporary directory
	}
	conf := fmt.Sprintf(`%sdaemon off;
master_process off;
pid %[2]s/nginx.pid;
error_log stderr info;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    include %[2]s/site.conf;
}
`, user, s.dir)
	if err := os.WriteFile(filepath.Join(s.dir, "site.conf"), []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "nginx.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s.startProcess(t, exec.Command(bin, "-p", s.dir, "-c", filepath.Join(s.dir, "nginx.conf"), "-e", "stderr")) // #nosec G204 -- the test's own nginx and config
}

func (s *proxySetup) startCaddy(t *testing.T) {
	t.Helper()
	bin := needProxy(t, testenv.Caddy, "caddy")
	conf := s.shipped(t, "caddy/Caddyfile",
		"https_port 443", "https_port "+strconv.Itoa(s.port),
		"http_port 80", "http_port "+strconv.Itoa(freePort(t)))
	path := filepath.Join(s.dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", path, "--adapter", "caddyfile") // #nosec G204 -- the test's own caddy and config
	cmd.Env = append(os.Environ(), "HOME="+s.dir, "XDG_DATA_HOME="+s.dir, "XDG_CONFIG_HOME="+s.dir)
	s.startProcess(t, cmd)
}

// client is a person's HTTP client through the proxy: portal.test and
// app.portal.test are the proxy's port on loopback, its certificate
// trusted, redirects not followed.
func (s *proxySetup) client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	addr := "127.0.0.1:" + strconv.Itoa(s.port)
	return &http.Client{
		Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
			TLSClientConfig: &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12},
		},
	}
}

func (s *proxySetup) url(host, path string) string {
	return "https://" + host + ":" + strconv.Itoa(s.port) + path
}

// proxyDo sends a request and returns status, Location and body.
func proxyDo(t *testing.T, c *http.Client, method, u string, form url.Values, hdr ...string) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// journeyOverHTTP: the application sends a person without a session to
// log in, and back afterwards with the Remote-* headers the portal set
// (never those the client sent); after logout the application is closed
// again.
func (s *proxySetup) journeyOverHTTP(t *testing.T) {
	p := s.portal
	p.createUser(t, "grace@example.org", "Grace Hopper", "+447546123456")
	c := s.client(t)
	target := s.url("app.portal.test", "/rotas?week=3")
	login := s.url("portal.test", "/login?"+url.Values{"rd": {target}}.Encode())

	status, loc, body := proxyDo(t, c, "GET", target, nil, "Remote-User", "admin@evil.example")
	if status != http.StatusFound || loc != login {
		t.Fatalf("the application without a session: %d %q, want 302 %q\n%s", status, loc, login, body)
	}
	if status, _, _ = proxyDo(t, c, "GET", loc, nil); status != http.StatusOK {
		t.Fatalf("the login page: %d", status)
	}
	status, loc, _ = proxyDo(t, c, "POST", s.url("portal.test", "/login"), url.Values{"email": {"grace@example.org"}, "password": {e2ePassword}})
	if status != http.StatusSeeOther || loc != "/login/code" {
		t.Fatalf("password: %d %q", status, loc)
	}
	code := twiliotest.ExtractCode(p.sms(t, "+447546123456").Body)
	status, loc, _ = proxyDo(t, c, "POST", s.url("portal.test", "/login/code"), url.Values{"code": {code}})
	if status != http.StatusSeeOther || loc != target {
		t.Fatalf("code: %d %q, want back to %q", status, loc, target)
	}
	status, _, body = proxyDo(t, c, "GET", target, nil, "Remote-User", "admin@evil.example", "Remote-Groups", "admin")
	if status != http.StatusOK || !strings.Contains(body, "Remote-User: grace@example.org<") || !strings.Contains(body, "Remote-Groups: provider<") {
		t.Fatalf("the application after login: %d\n%s", status, body)
	}
	status, _, _ = proxyDo(t, c, "POST", s.url("portal.test", "/logout"), url.Values{}, "Origin", s.url("portal.test", ""))
	if status != http.StatusSeeOther {
		t.Fatalf("logout: %d", status)
	}
	if status, loc, _ = proxyDo(t, c, "GET", target, nil); status != http.StatusFound || !strings.HasPrefix(loc, s.url("portal.test", "/login?")) {
		t.Errorf("the application after logout: %d %q, want a redirect to log in", status, loc)
	}
}

// TestForwardAuthNginx: nginx's auth_request in front of the application,
// over HTTP and then in Chromium.
func TestForwardAuthNginx(t *testing.T) {
	s := newProxySetup(t)
	s.startNginx(t)
	t.Run("http", s.journeyOverHTTP)
	t.Run("browser", func(t *testing.T) {
		browser := startBrowser(t,
			chromedp.Flag("host-resolver-rules", "MAP portal.test 127.0.0.1, MAP app.portal.test 127.0.0.1"),
			chromedp.Flag("ignore-certificate-errors-spki-list", s.spki))
		s.portal.createUser(t, "ada@example.org", "Ada Lovelace", "+447546123457")
		b := newTab(t, browser, s.url("app.portal.test", ""), journeyTimeout)
		b.open("/records/7?tab=notes")
		b.waitHeading("Log in")
		b.submitLogin("ada@example.org", e2ePassword)
		b.waitHeading("Enter your code")
		b.enterCode(twiliotest.ExtractCode(s.portal.sms(t, "+447546123457").Body))
		b.waitHeading("App")
		b.expectText("the application", "//p[@id='user']", "Remote-User: ada@example.org")
		b.expectText("the application", "//p[@id='uri']", "/records/7?tab=notes")
		b.expectPath("after the login the browser", "/records/7")
		// Signed in once: the portal's own pages know the person too.
		b.run("open the portal", chromedp.Navigate(s.url("portal.test", "/")))
		b.waitFor("the home page", homePage)
		b.logOut()
		b.run("open the application", chromedp.Navigate(s.url("app.portal.test", "/records/7")))
		b.waitHeading("Log in")
	})
}

// TestForwardAuthNginxAdminsOnly: through nginx as shipped, an
// application registered --admins-only answers 403 to a complete login
// that is not an administrator's, and opens for an administrator.
func TestForwardAuthNginxAdminsOnly(t *testing.T) {
	s := newProxySetup(t, func(r *apps.Registration) { r.AdminsOnly = true })
	s.startNginx(t)
	p := s.portal
	p.createUser(t, "pat@example.org", "Pat Provider", "+447546123456")
	boss := p.createUser(t, "ida@example.org", "Ida Admin", "+447546123457")
	if err := engine(t, p.App.DB).SetAdmin(t.Context(), boss, true); err != nil {
		t.Fatal(err)
	}
	target := s.url("app.portal.test", "/settings")
	open := func(email, phone string) (int, string) {
		t.Helper()
		c := s.client(t)
		proxyDo(t, c, "GET", s.url("portal.test", "/login?"+url.Values{"rd": {target}}.Encode()), nil)
		if status, loc, _ := proxyDo(t, c, "POST", s.url("portal.test", "/login"), url.Values{"email": {email}, "password": {e2ePassword}}); status != http.StatusSeeOther || loc != "/login/code" {
			t.Fatalf("%s's password: %d %q", email, status, loc)
		}
		code := twiliotest.ExtractCode(p.sms(t, phone).Body)
		if status, loc, _ := proxyDo(t, c, "POST", s.url("portal.test", "/login/code"), url.Values{"code": {code}}); status != http.StatusSeeOther || loc != target {
			t.Fatalf("%s's code: %d %q, want back to %q", email, status, loc, target)
		}
		status, _, body := proxyDo(t, c, "GET", target, nil)
		return status, body
	}
	if status, body := open("pat@example.org", "+447546123456"); status != http.StatusForbidden || strings.Contains(body, "Remote-User") {
		t.Errorf("a provider at an admins-only application through nginx: %d, want 403\n%s", status, body)
	}
	if status, body := open("ida@example.org", "+447546123457"); status != http.StatusOK || !strings.Contains(body, "Remote-User: ida@example.org<") {
		t.Errorf("an administrator at an admins-only application through nginx: %d, want 200\n%s", status, body)
	}
}

// TestForwardAuthCaddy: Caddy's forward_auth, as shipped.
func TestForwardAuthCaddy(t *testing.T) {
	s := newProxySetup(t)
	s.startCaddy(t)
	s.journeyOverHTTP(t)
}

// TestForwardAuthTwoInstances: two instances on one PostgreSQL; a session
// logged in on A is granted by B's /auth/verify, and refused by B within
// a second of a logout, an end of sessions or a deactivation on A. The
// session cookie is replayed as it was, as a copy kept by a proxy or an
// attacker would be.
func TestForwardAuthTwoInstances(t *testing.T) {
	db := pgtest.NewDatabase(t)
	c := startCluster(t, db.URL, 2, clusterEnv{"PORTAL_TRUSTED_PROXIES", "127.0.0.1"})
	A, B := c.Portals[0], c.Portals[1]
	uid := A.createUser(t, "hal@example.org", "Hal Jordan", "+447546123456")
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	verifyOnB := func(cookies []*http.Cookie) int {
		req, _ := http.NewRequest("GET", B.BaseURL+"/auth/verify", nil)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		resp, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	loginOnA := func() (*http.Client, []*http.Cookie) {
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if st, loc, _ := proxyDo(t, cl, "POST", A.BaseURL+"/login", loginForm("hal@example.org", e2ePassword)); st != http.StatusSeeOther || loc != "/login/code" {
			t.Fatalf("password on A: %d %q", st, loc)
		}
		code := twiliotest.ExtractCode(A.sms(t, "+447546123456").Body)
		if st, loc, _ := proxyDo(t, cl, "POST", A.BaseURL+"/login/code", codeForm(code)); st != http.StatusSeeOther || loc != "/" {
			t.Fatalf("code on A: %d %q", st, loc)
		}
		cookies := jar.Cookies(mustParse(t, A.BaseURL))
		if st := verifyOnB(cookies); st != http.StatusOK {
			t.Fatalf("B's /auth/verify after the login on A: %d, want 200", st)
		}
		return cl, cookies
	}
	refusedWithinASecond := func(what string, cookies []*http.Cookie) {
		start := time.Now()
		for verifyOnB(cookies) != http.StatusUnauthorized {
			if time.Since(start) > time.Second {
				t.Errorf("%s on A: B still grants the session after a second", what)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("%s on A: refused by B after %v", what, time.Since(start).Round(time.Millisecond))
	}
	ctx := t.Context()
	cl, cookies := loginOnA()
	if st, _, _ := proxyDo(t, cl, "POST", A.BaseURL+"/logout", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("logout on A: %d", st)
	}
	refusedWithinASecond("logout", cookies)
	_, cookies = loginOnA()
	if err := A.App.Admin.EndSessions(ctx, admin.Operator(), uid, "lost phone"); err != nil {
		t.Fatal(err)
	}
	refusedWithinASecond("ending the sessions", cookies)
	_, cookies = loginOnA()
	if err := A.App.Admin.SetActive(ctx, admin.Operator(), uid, false, "left"); err != nil {
		t.Fatal(err)
	}
	refusedWithinASecond("deactivation", cookies)
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestForwardAuthDocShowsTheTestedFiles: docs/forward-auth.md shows the
// configurations of deploy/ that the tests above run, word for word.
func TestForwardAuthDocShowsTheTestedFiles(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "forward-auth.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"nginx/forward-auth.conf", "caddy/Caddyfile"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "deploy", f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), string(b)) {
			t.Errorf("docs/forward-auth.md does not show deploy/%s as it is", f)
		}
	}
}

// TestForwardAuthTraefikShape: deploy/traefik/portal.yml cannot be run
// here (no Traefik in Debian); this checks it asks /auth/verify with
// ?rd=1, copies the four headers, and is shown in docs/forward-auth.md as
// it is.
func TestForwardAuthTraefikShape(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "traefik", "portal.yml"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for _, want := range []string{
		"      forwardAuth:\n",
		`        address: "http://127.0.0.1:8080/auth/verify?rd=1"` + "\n",
		"        trustForwardHeader: false\n",
		"        authResponseHeaders:\n          - Remote-User\n          - Remote-Email\n          - Remote-Name\n          - Remote-Groups\n",
		"      middlewares: [portal-auth]\n",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("deploy/traefik/portal.yml lacks %q", want)
		}
	}
	if strings.Contains(conf, "\t") {
		t.Error("deploy/traefik/portal.yml has a tab: YAML indents with spaces")
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "forward-auth.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), conf) {
		t.Error("docs/forward-auth.md does not show deploy/traefik/portal.yml as it is")
	}
}
