package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/providerportal/portal/internal/delivery/twiliotest"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
)

// TestTerminateDuringLogins sends SIGTERM to a real `portal serve` while
// providers are in the middle of logging in (password, code by text
// message, home page), on SQLite and on PostgreSQL. The process must exit
// 0 within its shutdown deadline, leave the database intact, and every
// login it completed must still be logged in after a restart. Logins cut
// off half-way may fail; they are counted.
func TestTerminateDuringLogins(t *testing.T) {
	bin := buildPortal(t)
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "portal.db")
		terminateDuringLogins(t, bin, "PORTAL_DATABASE_URL="+path, func(t *testing.T) {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var result string
			if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&result); err != nil || result != "ok" {
				t.Fatalf("PRAGMA integrity_check after SIGTERM: %q, %v", result, err)
			}
			var violations int
			if err := db.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&violations); err != nil || violations != 0 {
				t.Fatalf("PRAGMA foreign_key_check after SIGTERM: %d violations, %v", violations, err)
			}
			var sending int
			if err := db.QueryRow(`SELECT count(*) FROM messages WHERE status = 'sending'`).Scan(&sending); err != nil || sending != 0 {
				t.Fatalf("%d messages left half-sent (status sending) after a graceful shutdown, %v", sending, err)
			}
			t.Log("SQLite: PRAGMA integrity_check ok, no foreign key violations, no message left half-sent")
		})
	})
	t.Run("postgres", func(t *testing.T) {
		pg := pgtest.NewDatabase(t) // skips, or fails with PORTAL_REQUIRE_POSTGRES=1, without a server
		terminateDuringLogins(t, bin, "PORTAL_DATABASE_URL="+pg.URL, func(t *testing.T) {
			// PostgreSQL survives a client that goes away by design; check
			// the tables and indexes anyway (amcheck, part of the server).
			ctx := t.Context()
			conn, err := pgx.Connect(ctx, pg.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS amcheck`); err != nil {
				t.Logf("PostgreSQL: amcheck not available (%v); tables not checked", err)
				return
			}
			var indexes, corrupt int
			err = conn.QueryRow(ctx, `
				SELECT count(*), count(*) FILTER (WHERE NOT ok) FROM (
					SELECT bt_index_check(c.oid, true) IS NOT NULL AS ok
					FROM pg_index i
					JOIN pg_class c ON c.oid = i.indexrelid
					JOIN pg_am am ON am.oid = c.relam
					JOIN pg_namespace n ON n.oid = c.relnamespace
					WHERE am.amname = 'btree' AND n.nspname = current_schema()
				) checks`).Scan(&indexes, &corrupt)
			if err != nil || corrupt != 0 {
				t.Fatalf("amcheck bt_index_check after SIGTERM: %d of %d indexes corrupt, %v", corrupt, indexes, err)
			}
			var tables, damaged int
			err = conn.QueryRow(ctx, `
				SELECT count(DISTINCT c.oid), count(v.blkno)
				FROM pg_class c
				JOIN pg_namespace n ON n.oid = c.relnamespace
				LEFT JOIN LATERAL verify_heapam(c.oid) v ON true
				WHERE c.relkind = 'r' AND n.nspname = current_schema()`).Scan(&tables, &damaged)
			if err != nil || damaged != 0 || tables == 0 {
				t.Fatalf("amcheck verify_heapam after SIGTERM: %d problems in %d tables, %v", damaged, tables, err)
			}
			var sending int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM messages WHERE status = 'sending'`).Scan(&sending); err != nil || sending != 0 {
				t.Fatalf("%d messages left half-sent (status sending) after a graceful shutdown, %v", sending, err)
			}
			t.Logf("PostgreSQL: amcheck found %d tables and %d indexes intact; no message left half-sent", tables, indexes)
		}, "PORTAL_SECRET_KEY="+strings.Repeat("7e", 32))
	})
}

// loginRecord is one provider's login as the test saw it.
type loginRecord struct {
	email, phone string
	cookies      []*http.Cookie // the browser's, after the last step answered
	code         string         // from the text message, once it came
	reached      int            // the last step answered (reached…); 0: none
	held         bool           // a request of it was held across the signal (holdPost)
}

const (
	reachedPassword     = 1 + iota // the password was accepted: a code is owed
	reachedCodeSent                // the text message came
	reachedCodeAccepted            // the code was accepted: logged in
	reachedHome                    // the home page answered
)

// terminateDuringLogins runs the test on the database that dbURL names;
// checkDB checks the database after the process has exited.
func terminateDuringLogins(t *testing.T, bin, dbURL string, checkDB func(*testing.T), moreEnv ...string) {
	const (
		workers   = 8
		accounts  = 240 // more than the workers get through before the signal
		completed = 16  // logins completed before the signal
	)
	tw, env := processEnv(t, append([]string{dbURL,
		// Every login comes from 127.0.0.1: no per-address text budget.
		"PORTAL_SMS_LIMIT_PER_IP_HOUR=0",
	}, moreEnv...)...)
	phone := func(i int) string { return fmt.Sprintf("+4475461%05d", i) }
	// Two accounts more than the workers use: for the requests held in
	// the portal's hands across the signal.
	emails := seedAccounts(t, bin, env, accounts+2, phone)
	p := startServe(t, bin, env, freeAddr(t))

	// Each worker logs its accounts in one after another, each with a
	// browser of its own, until the portal stops answering.
	var (
		mu        sync.Mutex
		records   []*loginRecord
		done      atomic.Int32 // home pages seen
		signalled atomic.Bool
	)
	transport := &http.Transport{MaxIdleConnsPerHost: workers}
	defer transport.CloseIdleConnections()
	gone, cancelGone := context.WithCancel(context.Background())
	defer cancelGone()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < accounts; i += workers {
				r := &loginRecord{email: emails[i], phone: phone(i)}
				mu.Lock()
				records = append(records, r)
				mu.Unlock()
				if !logInOnce(t, transport, p.base, tw, gone, r, &signalled) {
					return
				}
				done.Add(1)
			}
			t.Errorf("worker %d logged in all its accounts before the signal: seed more", w)
		})
	}

	for done.Load() < completed {
		select {
		case <-p.exited:
			t.Fatalf("portal serve exited under load: %v", p.err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	// Two requests that the portal is handling when the signal comes: it
	// has read their headers and asked for their bodies (100 Continue),
	// which come only once it has stopped listening. A graceful shutdown
	// answers them; an abrupt one would cut them off. One is the code
	// that completes a login, the other a password.
	held := []*loginRecord{{email: emails[accounts], phone: phone(accounts), held: true}, {email: emails[accounts+1], phone: phone(accounts + 1), held: true}}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if status, loc, _, err := post(c, p.base+"/login", url.Values{"email": {held[0].email}, "password": {e2ePassword}}); err != nil || loc != "/login/code" {
		t.Fatalf("%s: password: %d %q (%v)", held[0].email, status, loc, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	m, err := tw.Wait(ctx, held[0].phone)
	cancel()
	if err != nil {
		t.Fatalf("%s: no code: %v", held[0].email, err)
	}
	base, _ := url.Parse(p.base)
	holdCode := holdPost(t, p.base, "/login/code", url.Values{"code": {twiliotest.ExtractCode(m.Body)}}, jar.Cookies(base))
	holdPassword := holdPost(t, p.base, "/login", url.Values{"email": {held[1].email}, "password": {e2ePassword}}, nil)

	before := int(done.Load())
	signalled.Store(true)
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitRefused(t, base.Host)
	heldAnswered := 0
	for _, h := range []struct {
		req     *heldRequest
		r       *loginRecord
		wantLoc string
		reached int
	}{{holdCode, held[0], "/", reachedCodeAccepted}, {holdPassword, held[1], "/login/code", reachedPassword}} {
		resp, err := h.req.finish()
		if err != nil || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != h.wantLoc {
			t.Errorf("%s: a request the portal had begun when SIGTERM came was not answered: %v, %v", h.r.email, resp, err)
			continue
		}
		heldAnswered++
		jar.SetCookies(base, resp.Cookies())
		h.r.reached, h.r.cookies = h.reached, jar.Cookies(base)
		jar, _ = cookiejar.New(nil) // the second is another browser
		mu.Lock()
		records = append(records, h.r)
		mu.Unlock()
	}
	var exitTook time.Duration
	select {
	case <-p.exited:
		exitTook = time.Since(sent)
	case <-time.After(20 * time.Second):
		t.Fatal("portal serve did not exit within 20 s of SIGTERM")
	}
	cancelGone() // no code will come now
	wg.Wait()
	if p.err != nil {
		t.Fatalf("portal serve exited with %v after SIGTERM, want status 0", p.err)
	}
	// http.Server.Shutdown is given 10 s; the dispatcher's message under
	// way and closing the database come after.
	if exitTook > 11*time.Second {
		t.Errorf("portal serve took %v to exit after SIGTERM, beyond its 10 s shutdown deadline", exitTook)
	}

	checkDB(t)
	recorded := checkLoginsRecorded(t, env, records)

	// After a restart on the same database: every completed login is
	// still logged in, and a login cut off after its password was
	// accepted goes on where it stopped (its session and its code, sent
	// or still in the outbox, are in the database).
	p2 := startServe(t, bin, env, freeAddr(t))
	base, _ = url.Parse(p2.base)
	var reached [reachedHome + 1]int
	kept, resumed := 0, 0
	for _, r := range records {
		if !r.held {
			reached[r.reached]++
		}
		c := browserClient(15 * time.Second)
		c.Jar.SetCookies(base, r.cookies)
		switch r.reached {
		case 0:
			continue // no session to go on with
		case reachedPassword, reachedCodeSent:
			if r.reached == reachedPassword {
				ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
				m, err := tw.Wait(ctx, r.phone)
				cancel()
				if err != nil {
					t.Errorf("%s: the password was accepted before the portal stopped, but no code came after the restart: %v", r.email, err)
					continue
				}
				r.code = twiliotest.ExtractCode(m.Body)
			}
			status, loc, _, err := post(c, p2.base+"/login/code", url.Values{"code": {r.code}})
			if err != nil || status != http.StatusSeeOther || loc != "/" {
				t.Errorf("%s: cut off at step %d, the code after the restart answers %d %q (%v)", r.email, r.reached, status, loc, err)
				continue
			}
			resumed++
		default:
			kept++
		}
		status, loc, body, err := get(c, p2.base+"/my-details")
		if err != nil || status != 200 || !strings.Contains(body, "<h1>My Details</h1>") {
			t.Errorf("%s (step %d before the signal): after the restart My Details answers %d %q (%v)", r.email, r.reached, status, loc, err)
		}
	}
	t.Logf("SIGTERM with %d workers logging in (password, code by SMS, home page): "+
		"%d logins completed before the signal, %d more during the shutdown (%d of them with the home page cut off), and %d of the 2 requests held across the signal (a code, a password) answered; "+
		"cut off: %d at the password, %d waiting for the code, %d at the code; "+
		"exit status 0 %v after SIGTERM; %d completed logins recorded (last login, audit event); "+
		"after a restart %d completed logins still open My Details and %d cut off after the password finished",
		workers, before, reached[reachedCodeAccepted]+reached[reachedHome]-before, reached[reachedCodeAccepted], heldAnswered,
		reached[0], reached[reachedPassword], reached[reachedCodeSent],
		exitTook.Round(time.Millisecond), recorded, kept, resumed)
}

// checkLoginsRecorded checks, in the database the stopped portal left,
// that every login whose code was accepted is recorded as the portal
// records a completed login: the account's last login time and a "login"
// success event in the audit log. It returns how many it checked.
func checkLoginsRecorded(t *testing.T, env []string, records []*loginRecord) int {
	t.Helper()
	ctx := t.Context()
	db := openPortalDB(t, env)
	defer db.Close()
	n := 0
	for _, r := range records {
		if r.reached < reachedCodeAccepted {
			continue
		}
		n++
		u, err := db.UserByEmail(ctx, r.email)
		if err != nil {
			t.Fatal(err)
		}
		if u.LastLoginAt.IsZero() {
			t.Errorf("%s completed a login, but the account has no last login time", r.email)
		}
		events, err := db.ListAudit(ctx, store.AuditQuery{UserID: u.ID, Event: "login"})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range events {
			found = found || e.Outcome == "success"
		}
		if !found {
			t.Errorf("%s completed a login, but the audit log has no login success for it: %+v", r.email, events)
		}
	}
	return n
}

// logInOnce walks one provider through the login: password, the code
// from the text message, the home page. It records how far it got in r
// and returns false once the portal stops answering. Before the signal
// (signalled) every step must work; after it, a step without an answer
// ends the worker, and an answer must still be a right one.
func logInOnce(t *testing.T, transport http.RoundTripper, base string, tw *twiliotest.Server, gone context.Context, r *loginRecord, signalled *atomic.Bool) bool {
	c := browserClient(15 * time.Second)
	c.Transport = transport
	u, _ := url.Parse(base)
	fail := func(step string, err error, status int, loc string) bool {
		if err != nil && signalled.Load() {
			return false // cut off by the shutdown
		}
		t.Errorf("%s: %s: %d %q (%v)", r.email, step, status, loc, err)
		return false
	}

	status, loc, _, err := post(c, base+"/login", url.Values{"email": {r.email}, "password": {e2ePassword}})
	if err != nil || status != http.StatusSeeOther || loc != "/login/code" {
		return fail("password", err, status, loc)
	}
	r.reached, r.cookies = reachedPassword, c.Jar.Cookies(u)
	ctx, cancel := context.WithTimeout(gone, 15*time.Second)
	m, err := tw.Wait(ctx, r.phone)
	cancel()
	if err != nil {
		if signalled.Load() {
			return false // the portal stopped before sending it
		}
		t.Errorf("%s: no text message: %v", r.email, err)
		return false
	}
	r.reached, r.code = reachedCodeSent, twiliotest.ExtractCode(m.Body)
	status, loc, _, err = post(c, base+"/login/code", url.Values{"code": {r.code}})
	if err != nil || status != http.StatusSeeOther || loc != "/" {
		return fail("code", err, status, loc)
	}
	r.reached, r.cookies = reachedCodeAccepted, c.Jar.Cookies(u)
	status, loc, body, err := get(c, base+"/")
	if err != nil || status != 200 || !strings.Contains(body, "Welcome, ") {
		return fail("home page", err, status, loc)
	}
	r.reached = reachedHome
	return true
}

// heldRequest is a form post whose body is held back: the portal has
// begun handling it (it asked for the body with 100 Continue) and waits
// for the rest.
type heldRequest struct {
	conn net.Conn
	br   *bufio.Reader
	body string
}

// holdPost sends the headers of a form post to path with Expect:
// 100-continue and returns once the portal's handler asks for the body.
func holdPost(t *testing.T, base, path string, form url.Values, cookies []*http.Cookie) *heldRequest {
	t.Helper()
	u, _ := url.Parse(base)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	body := form.Encode()
	var head strings.Builder
	fmt.Fprintf(&head, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Sec-Fetch-Site: same-origin\r\nContent-Length: %d\r\nExpect: 100-continue\r\n", path, u.Host, len(body))
	for _, c := range cookies {
		fmt.Fprintf(&head, "Cookie: %s=%s\r\n", c.Name, c.Value)
	}
	head.WriteString("\r\n")
	if _, err := io.WriteString(conn, head.String()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusContinue {
		conn.Close()
		t.Fatalf("POST %s with Expect: 100-continue: %v, %v", path, resp, err)
	}
	return &heldRequest{conn: conn, br: br, body: body}
}

// finish sends the body and reads the answer.
func (h *heldRequest) finish() (*http.Response, error) {
	defer h.conn.Close()
	if _, err := io.WriteString(h.conn, h.body); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(h.br, nil)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}

// waitRefused waits until nothing listens on addr any more: the portal
// has begun its shutdown.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("portal serve still listens on %s 10 s after SIGTERM", addr)
		}
	}
}

func post(c *http.Client, u string, form url.Values) (status int, location, body string, err error) {
	req, _ := formRequest("POST", u, form)
	return roundTrip(c, req)
}

func get(c *http.Client, u string) (status int, location, body string, err error) {
	req, _ := http.NewRequest("GET", u, nil)
	return roundTrip(c, req)
}

func roundTrip(c *http.Client, req *http.Request) (status int, location, body string, err error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b), err
}
