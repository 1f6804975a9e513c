package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/providerportal/portal/internal/store/enginetest"
	"github.com/providerportal/portal/internal/store/postgres"
	"github.com/providerportal/portal/internal/store/sqlite"
)

// Attacks from issue 6 that the journey tests do not already make: bad
// input thrown at every form, GET on every form's address, forged log
// lines, session fixation and secrets leaking through links. Each test
// fails if the protection it names is removed.

// postRoute is a form the portal accepts: its address and the fields its
// page sends, each with a plausible value so that the other fields do not
// stop the handler before it reads the one under attack.
type postRoute struct {
	path   string
	fields map[string]string
}

// postRoutes lists every POST route of server.go. {id} is filled in with
// the provider's id; routes without fields get a stray one, so that the
// body is still parsed.
func postRoutes(providerID int64) []postRoute {
	id := fmt.Sprint(providerID)
	r := []postRoute{
		{"/login", map[string]string{"email": "pat@example.org", "password": testPassword}},
		{"/login/code", map[string]string{"code": "123456"}},
		{"/login/code/resend", map[string]string{"x": "1"}},
		{"/login/code/email", map[string]string{"x": "1"}},
		{"/login/phone", map[string]string{"phone": "+447546999888"}},
		{"/login/phone/verify", map[string]string{"code": "123456"}},
		{"/login/phone/resend", map[string]string{"x": "1"}},
		{"/login/phone/different", map[string]string{"x": "1"}},
		{"/login/cancel", map[string]string{"x": "1"}},
		{"/logout", map[string]string{"x": "1"}},
		{"/my-details/phone", map[string]string{"phone": "+447546999888", "password": testPassword}},
		{"/my-details/phone/verify", map[string]string{"code": "123456"}},
		{"/my-details/phone/resend", map[string]string{"x": "1"}},
		{"/my-details/phone/cancel", map[string]string{"x": "1"}},
		{"/setup", map[string]string{"token": "abc", "name": "Eve", "email": "eve@example.org", "password": testPassword}},
		{"/forgot-password", map[string]string{"email": "pat@example.org"}},
		{"/reset-password", map[string]string{"token": "abc", "username": "pat@example.org", "password": testPassword}},
		{"/welcome", map[string]string{"token": "abc", "username": "pat@example.org", "password": testPassword}},
		{"/admin/confirm", map[string]string{"password": testPassword, "next": "/admin/users"}},
		{"/admin/confirm/code", map[string]string{"code": "123456", "next": "/admin/users"}},
		{"/admin/confirm/resend", map[string]string{"next": "/admin/users"}},
		{"/admin/users/new", map[string]string{"name": "Sam", "email": "sam@example.org", "role": "provider"}},
		{"/admin/settings", map[string]string{"policy": "required", "reason": "Ticket 1"}},
		// The id in the path is input too.
		{"/admin/users/" + url.PathEscape("1' OR 1=1 --") + "/unlock", map[string]string{"reason": "r", "confirm": "yes"}},
		{"/admin/users/99999999999999999999999/unlock", map[string]string{"reason": "r", "confirm": "yes"}},
		{"/admin/users/-1/unlock", map[string]string{"reason": "r", "confirm": "yes"}},
	}
	for _, action := range []string{
		"disable-mfa", "end-mfa-disable", "update-phone", "require-mfa", "exempt-mfa", "follow-policy",
		"unlock", "send-reset", "end-sessions", "deactivate", "reactivate", "make-admin", "remove-admin",
		"no-such-action",
	} {
		r = append(r, postRoute{"/admin/users/" + id + "/" + action, map[string]string{
			"reason": "Ticket 4711", "duration": "1h", "phone": "+447546999888", "confirm": "yes",
		}})
	}
	return r
}

// badValues are the values thrown at each field.
var badValues = map[string]string{
	"invalid UTF-8":     "pat\xff\xfe\xc3(@example.org",
	"NUL":               "pat\x00@example.org",
	"CRLF":              "pat@example.org\r\nSet-Cookie: portal_session=evil",
	"SQL":               "' OR 1=1 --",
	"SQL quote":         `pat@example.org'); DROP TABLE users; --`,
	"template":          "{{.}}{{template \"layout\"}}",
	"script":            `<script>alert("xss")</script>`,
	"attribute":         `" autofocus onfocus="alert(1)`,
	"20 KiB":            strings.Repeat("a", 20<<10),
	"percent":           "%00%0d%0a%ff",
	"long unicode line": strings.Repeat("é", 2000),
}

// leakText is what Go error strings and stack traces look like.
var leakText = []string{"runtime error", "goroutine ", "panic:", "sql:", "sqlite", "SQLITE", "pq:", "pgx", "template:", "html/template", ".go:", "invalid memory address"}

type rawResponse struct {
	status   int
	location string
	body     string // as sent, not unescaped
	header   http.Header
}

// raw sends body as is, so that malformed encodings reach the server.
func (e *env) raw(c *http.Client, method, path, body string) rawResponse {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{resp.StatusCode, resp.Header.Get("Location"), string(b), resp.Header}
}

// checkHarmless fails the test when an answer to bad input is a 500,
// shows an internal error or reflects a script.
func checkHarmless(t *testing.T, what string, r rawResponse) {
	t.Helper()
	if r.status >= 500 {
		t.Errorf("%s: status %d\n%.400s", what, r.status, r.body)
	}
	for _, s := range leakText {
		if strings.Contains(r.body, s) {
			t.Errorf("%s: the page shows %q", what, s)
		}
	}
	// "{{.}}" coming back as text is harmless: templates are parsed at
	// start-up, never from input.
	for _, s := range []string{"<script>alert", `onfocus="alert`} {
		if strings.Contains(r.body, s) {
			t.Errorf("%s: the page reflects %q unescaped", what, s)
		}
	}
	if strings.ContainsAny(r.location, "\r\n") {
		t.Errorf("%s: Location carries a line break: %q", what, r.location)
	}
	for _, c := range r.header.Values("Set-Cookie") {
		if strings.Contains(c, "evil") {
			t.Errorf("%s: header injection: Set-Cookie %q", what, c)
		}
	}
}

func oversizeRefused(status int) bool {
	switch status {
	case http.StatusRequestEntityTooLarge, http.StatusSeeOther, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests:
		return true
	}
	return false
}

// TestBadInputAtEveryForm throws each bad value into each field of each
// form, from a stranger, from someone past the password only and from a
// logged-in administrator.
func TestBadInputAtEveryForm(t *testing.T) {
	if testing.Short() {
		t.Skip("many requests")
	}
	enginetest.Each(t, func(t *testing.T, eng enginetest.Engine) {
		routes := postRoutes(0)
		for i := range routes {
			path := routes[i].path
			t.Run(strings.ReplaceAll(path, "/", "_"), func(t *testing.T) {
				e := newAdminEnvOn(t, eng)
				t.Cleanup(e.Login.Wait) // background work ends before the database closes
				route := postRoutes(e.provider.ID)[i]
				half := e.browser()
				if r := e.post(half, "/login", "email", e.provider.Email, "password", testPassword); r.location != "/login/code" {
					t.Fatalf("half login: %d %s", r.status, r.location)
				}
				clients := map[string]*http.Client{"anonymous": e.browser(), "half-logged-in": half, "logged-in": e.adminBrowser()}
				for who, c := range clients {
					for field := range route.fields {
						for name, bad := range badValues {
							f := url.Values{}
							for k, v := range route.fields {
								f.Set(k, v)
							}
							f.Set(field, bad)
							r := e.raw(c, "POST", route.path, f.Encode())
							checkHarmless(t, fmt.Sprintf("%s, %s=%s", who, field, name), r)
							// Over the limit: 413 when read; never read when the
							// client may not use the form or a handler reads none (a redirect,
							// 403, 404, 429).
							if name == "20 KiB" && !oversizeRefused(r.status) {
								t.Errorf("%s, %s=20 KiB: status %d, want 413 or a refusal", who, field, r.status)
							}
						}
					}
					// Bodies that are not valid form encoding at all.
					for _, body := range []string{"%zz=%", "a=%G1&b", strings.Repeat("&", 5000), "\x00\x01\x02", "=&=&=" + strings.Repeat("a=1&", 1000)} {
						checkHarmless(t, fmt.Sprintf("%s, body %.20q", who, body), e.raw(c, "POST", route.path, body))
					}
					// The same values in the query string, which no form uses.
					q := url.Values{}
					for k := range route.fields {
						q.Set(k, badValues["script"])
					}
					checkHarmless(t, who+", query", e.raw(c, "POST", route.path+"?"+q.Encode(), "x=1"))
				}
			})
		}
	})
}

// TestBadQueryParameters fuzzes the parameters the GET pages read.
func TestBadQueryParameters(t *testing.T) { adminOnEngines(t, testBadQueryParameters) }

func testBadQueryParameters(t *testing.T, e *adminEnv) {
	t.Cleanup(e.Login.Wait) // background work ends before the database closes
	c := e.adminBrowser()
	paths := []string{"/login", "/login/code", "/my-details", "/forgot-password", "/reset-password", "/welcome", "/setup",
		"/admin/confirm", "/admin/users", "/admin/audit", "/admin/users/" + fmt.Sprint(e.provider.ID)}
	params := []string{"m", "next", "token", "q", "user", "event", "from", "to", "page", "before", "after", "id"}
	for _, p := range paths {
		for _, who := range []*http.Client{e.browser(), c} {
			for name, bad := range badValues {
				if name == "20 KiB" {
					bad = strings.Repeat("a", 4<<10) // URLs have their own, smaller, limit
				}
				q := url.Values{}
				for _, k := range params {
					q.Set(k, bad)
				}
				checkHarmless(t, fmt.Sprintf("GET %s with %s", p, name), e.raw(who, "GET", p+"?"+q.Encode(), ""))
			}
		}
	}
}

// dbState counts the rows of every table: a GET that changes state adds
// a session, an audit event, a challenge, a message or a token.
func (e *env) dbState() map[string]int {
	e.t.Helper()
	ctx := context.Background()
	var db *sql.DB
	var listTables string
	switch s := e.Store.(type) {
	case *sqlite.DB:
		db = s.ReadOnly()
		listTables = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	case *postgres.DB:
		db = stdlib.OpenDBFromPool(s.Pool())
		defer db.Close()
		listTables = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	default:
		e.t.Fatalf("dbState: a store of type %T", e.Store)
	}
	rows, err := db.QueryContext(ctx, listTables)
	if err != nil {
		e.t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 5 {
		e.t.Fatalf("dbState: only the tables %v", tables)
	}
	state := map[string]int{}
	for _, tb := range tables {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM "`+tb+`"`).Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		state[tb] = n
	}
	// Changes in place that matter: a phone, a password, MFA or a role.
	rows, err = db.QueryContext(ctx, `SELECT id, phone, password_hash, admin, mfa, mfa_disabled_until, deactivated FROM users ORDER BY id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		cols := make([]any, 7)
		ptrs := make([]any, len(cols))
		for i := range cols {
			ptrs[i] = &cols[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			e.t.Fatal(err)
		}
		state[fmt.Sprintf("user %v", cols)] = 1
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return state
}

func sameState(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestGetNeverChangesState sends GET and HEAD, with the form's fields in
// the query string, to every POST route: the answer is 405 or a page,
// and nothing in the database changes. A logged-in person stays logged
// in after GET /logout.
func TestGetNeverChangesState(t *testing.T) { adminOnEngines(t, testGetNeverChangesState) }

func testGetNeverChangesState(t *testing.T, e *adminEnv) {
	t.Cleanup(e.Login.Wait) // background work ends before the database closes
	token, _, _ := e.Login.EnsureSetupToken(context.Background())
	full := e.adminBrowser()
	half := e.browser()
	if r := e.post(half, "/login", "email", e.provider.Email, "password", testPassword); r.location != "/login/code" {
		t.Fatalf("half login: %d %s", r.status, r.location)
	}
	code := e.lastCode(providerPhone)
	before := e.dbState()
	for _, route := range postRoutes(e.provider.ID) {
		q := url.Values{}
		for k, v := range route.fields {
			q.Set(k, v)
		}
		if _, ok := route.fields["code"]; ok {
			q.Set("code", code)
		}
		if _, ok := route.fields["token"]; ok {
			q.Set("token", token)
		}
		if route.path == "/login" {
			q.Set("email", e.provider.Email)
		}
		for _, c := range []*http.Client{e.browser(), half, full} {
			for _, method := range []string{"GET", "HEAD"} {
				r := e.raw(c, method, route.path+"?"+q.Encode(), "")
				// 405, or a page (the form, a redirect to it, not found,
				// an expired link): never a failure.
				if r.status >= 500 {
					t.Errorf("%s %s: status %d", method, route.path, r.status)
				}
			}
		}
		if after := e.dbState(); !sameState(before, after) {
			t.Fatalf("GET %s changed the database:\nbefore %v\nafter  %v", route.path, before, after)
		}
	}
	if r := e.get(full, "/"); r.status != http.StatusOK {
		t.Errorf("GET /logout logged the administrator out: %d %s", r.status, r.location)
	}
	if r := e.post(half, "/login/code", "code", code); r.location != "/" {
		t.Errorf("the code sent by GET was used or the half login ended: %d %s", r.status, r.location)
	}
}

// TestLogLinesCannotBeForged sends line breaks in the email, the password
// and the path: every line of the log is still one the portal wrote.
func TestLogLinesCannotBeForged(t *testing.T) { onEngines(t, testLogLinesCannotBeForged) }

func testLogLinesCannotBeForged(t *testing.T, e *env) {
	t.Cleanup(e.Login.Wait) // background work ends before the database closes
	e.user("x@example.org", "+447546123456")
	const forged = "level=INFO msg=forged"
	c := e.browser()
	for _, email := range []string{"x@example.org\n" + forged, "x@example.org\r\n" + forged, "nobody@example.org\n" + forged} {
		e.post(c, "/login", "email", email, "password", testPassword)
		e.post(c, "/login", "email", email, "password", "wrong password\n"+forged)
		e.post(c, "/forgot-password", "email", email)
	}
	e.raw(c, "GET", "/x%0A"+url.PathEscape(forged), "")
	e.raw(c, "GET", "/login?m=%0A"+url.QueryEscape(forged), "")
	e.Login.Wait()
	logs := e.logs.String()
	if logs == "" {
		t.Fatal("nothing was logged; the test would prove nothing")
	}
	// The attack reached the log, quoted: the test is not vacuous.
	if !strings.Contains(logs, `\n`+forged) {
		t.Fatalf("no request with the forged line was logged:\n%s", logs)
	}
	for _, line := range strings.Split(logs, "\n") {
		line = strings.TrimLeft(line, "\r")
		if strings.HasPrefix(line, forged) {
			t.Fatalf("a forged log line:\n%s", logs)
		}
		if line != "" && !strings.HasPrefix(line, "time=") {
			t.Errorf("a log line the logger did not start: %q", line)
		}
	}
}

// TestSessionFixationIsUseless sets a session cookie of the attacker's
// choosing before logging in: the portal replaces it at the password step
// and again at the code step, and the chosen value never becomes a
// session.
func TestSessionFixationIsUseless(t *testing.T) { onEngines(t, testSessionFixationIsUseless) }

func testSessionFixationIsUseless(t *testing.T, e *env) {
	t.Cleanup(e.Login.Wait) // background work ends before the database closes
	e.user("fix@example.org", "+447546123456")
	u := mustURL(e.srv.URL)
	chosen := strings.Repeat("Fixated_", 6)[:43]
	victim := e.browser()
	victim.Jar.SetCookies(u, []*http.Cookie{{Name: "portal_session", Value: chosen, Path: "/"}})
	token := func() string {
		for _, c := range victim.Jar.Cookies(u) {
			if c.Name == "portal_session" {
				return c.Value
			}
		}
		return ""
	}
	if r := e.post(victim, "/login", "email", "fix@example.org", "password", testPassword); r.location != "/login/code" {
		t.Fatalf("login: %d %s", r.status, r.location)
	}
	afterPassword := token()
	if afterPassword == chosen || afterPassword == "" {
		t.Fatalf("the password step kept the chosen token %q", afterPassword)
	}
	if r := e.post(victim, "/login/code", "code", e.lastCode("+447546123456")); r.location != "/" {
		t.Fatalf("code: %d %s", r.status, r.location)
	}
	afterCode := token()
	if afterCode == chosen || afterCode == afterPassword {
		t.Fatalf("the code step did not renew the token")
	}
	attacker := e.browser()
	for _, stale := range []string{chosen, afterPassword} {
		attacker.Jar.SetCookies(u, []*http.Cookie{{Name: "portal_session", Value: stale, Path: "/"}})
		for _, p := range []string{"/", "/my-details", "/login/code"} {
			if r := e.get(attacker, p); r.status == http.StatusOK || !strings.HasPrefix(r.location, "/login") {
				t.Errorf("token %.8s… reaches %s: %d %s", stale, p, r.status, r.location)
			}
		}
	}
	if r := e.get(victim, "/"); r.status != http.StatusOK {
		t.Fatalf("the victim's own session does not work: %d %s", r.status, r.location)
	}
}

var attrURLRE = regexp.MustCompile(`(?i)(?:href|action|src|formaction|content)\s*=\s*"([^"]*)"`)

// TestSecretsNeverInLinksAndNoReferrer runs a full login and a phone
// change, keeping every answer: no link, form action or redirect carries
// the code or the password, and every page tells the browser to send no
// Referer.
func TestSecretsNeverInLinksAndNoReferrer(t *testing.T) {
	onEngines(t, testSecretsNeverInLinksAndNoReferrer)
}

func testSecretsNeverInLinksAndNoReferrer(t *testing.T, e *env) {
	t.Cleanup(e.Login.Wait) // background work ends before the database closes
	e.user("leak@example.org", "+447546123456")
	c := e.browser()
	var answers []rawResponse
	keep := func(r rawResponse) rawResponse { answers = append(answers, r); return r }
	form := func(kv ...string) string {
		f := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f.Encode()
	}
	keep(e.raw(c, "GET", "/login", ""))
	keep(e.raw(c, "POST", "/login", form("email", "leak@example.org", "password", testPassword)))
	loginCode := e.lastCode("+447546123456")
	keep(e.raw(c, "GET", "/login/code", ""))
	keep(e.raw(c, "POST", "/login/code", form("code", "000000")))
	if r := keep(e.raw(c, "POST", "/login/code", form("code", loginCode))); r.location != "/" {
		t.Fatalf("code: %d %s", r.status, r.location)
	}
	keep(e.raw(c, "GET", "/", ""))
	keep(e.raw(c, "GET", "/my-details", ""))
	keep(e.raw(c, "POST", "/my-details/phone", form("phone", "+447546654321", "password", testPassword)))
	keep(e.raw(c, "GET", "/my-details/phone/verify", ""))
	changeCode := e.lastCode("+447546654321")
	keep(e.raw(c, "POST", "/my-details/phone/verify", form("code", "000000")))
	if r := keep(e.raw(c, "POST", "/my-details/phone/verify", form("code", changeCode))); !strings.HasPrefix(r.location, "/my-details") {
		t.Fatalf("change: %d %s", r.status, r.location)
	}
	keep(e.raw(c, "GET", "/my-details?m=phone-changed", ""))
	keep(e.raw(c, "GET", "/no/such/page", ""))
	keep(e.raw(c, "POST", "/logout", "x=1"))
	keep(e.raw(c, "GET", "/login", ""))
	secrets := []string{testPassword, url.QueryEscape(testPassword), loginCode, changeCode}
	for i, r := range answers {
		if got := r.header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("answer %d (%d): Referrer-Policy %q", i, r.status, got)
		}
		targets := []string{r.location}
		for _, m := range attrURLRE.FindAllStringSubmatch(r.body, -1) {
			targets = append(targets, m[1])
		}
		for _, target := range targets {
			for _, s := range secrets {
				if s != "" && strings.Contains(target, s) {
					t.Errorf("answer %d: link or redirect %q carries a secret", i, target)
				}
			}
		}
		if strings.Contains(r.body, testPassword) {
			t.Errorf("answer %d echoes the password", i)
		}
	}
	if len(answers) < 15 {
		t.Fatalf("only %d answers kept", len(answers))
	}
}
