package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLoginFlood sends 1,000 login attempts at once to a real `portal
// serve` (not race-built) on SQLite. argon2id takes 19 MiB per hash, so
// unbounded they would need gigabytes; the portal hashes a few at a time
// (a slot per core), lets the rest wait briefly and then turns them away
// with 429, Retry-After and a sentence asking to try again in a moment.
// Every attempt must get an answer, none a 5xx, and the process must stay
// under 300 MB resident.
func TestLoginFlood(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the peak memory of the process from /proc")
	}
	const (
		attempts = 1000
		accounts = 200
		maxRSS   = 300 << 20
	)
	bin := buildPortal(t)
	dir := t.TempDir()
	env := append(os.Environ(),
		"PORTAL_DATABASE_URL="+filepath.Join(dir, "portal.db"),
		"PORTAL_SMS_PROVIDER=outbox",
		"PORTAL_LOG_LEVEL=warn",
		// The attempts come from many addresses (X-Forwarded-For), as
		// from a botnet behind the load balancer: one address would soon
		// be throttled for its wrong passwords, and the flood would test
		// the throttle rather than the hashing.
		"PORTAL_TRUSTED_PROXIES=127.0.0.1",
	)
	// Accounts without a phone: a right password leads to phone
	// registration, so that no text message is sent and the flood is
	// password hashing, and what the database does around it.
	emails := seedAccounts(t, bin, env, accounts, nil)
	p := startServe(t, bin, env, freeAddr(t))

	// Four in five attempts have the right password, spread over the
	// accounts; one in ten a wrong one; one in ten an email with no
	// account (checked against a dummy hash, as much work).
	type attempt struct {
		email, password, want string
	}
	tries := make([]attempt, attempts)
	for i := range tries {
		switch {
		case i%10 == 3:
			tries[i] = attempt{emails[i%accounts], "not the password at all", "wrong"}
		case i%10 == 7:
			tries[i] = attempt{fmt.Sprintf("nobody%d@example.org", i), e2ePassword, "wrong"}
		default:
			tries[i] = attempt{emails[i%accounts], e2ePassword, "in"}
		}
	}

	type answer struct {
		status     int
		location   string
		retryAfter string
		body       string
		err        error
		took       time.Duration
	}
	answers := make([]answer, attempts)
	// One connection per attempt, as from as many browsers.
	transport := &http.Transport{DisableKeepAlives: true, MaxConnsPerHost: 0}
	defer transport.CloseIdleConnections()
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for i, a := range tries {
		ready.Add(1)
		done.Go(func() {
			client := browserClient(60 * time.Second)
			client.Transport = transport
			req, _ := formRequest("POST", p.base+"/login", url.Values{"email": {a.email}, "password": {a.password}})
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
			ready.Done()
			<-start
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				answers[i] = answer{err: err, took: time.Since(t0)}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			answers[i] = answer{status: resp.StatusCode, location: resp.Header.Get("Location"),
				retryAfter: resp.Header.Get("Retry-After"), body: string(b), err: err, took: time.Since(t0)}
		})
	}
	ready.Wait()
	began := time.Now()
	close(start)
	done.Wait()
	took := time.Since(began)
	peak := p.peakRSS(t) // after the flood, while it still runs

	const (
		busyText     = "The portal is very busy just now. Please try again in a moment."
		throttleText = "Too many attempts."
		wrongText    = "The email or password is not right."
	)
	count := map[string]int{}
	var latencies []time.Duration
	for i, a := range answers {
		var kind string
		switch {
		case a.err != nil:
			kind = "no answer"
			t.Errorf("attempt %d got no answer: %v (after %v)", i, a.err, a.took)
		case a.status == http.StatusSeeOther && a.location == "/login/phone":
			kind = "in"
		case a.status == http.StatusUnprocessableEntity && strings.Contains(a.body, wrongText):
			kind = "wrong"
		case a.status == http.StatusTooManyRequests && a.retryAfter != "" && strings.Contains(a.body, busyText):
			kind = "busy"
		case a.status == http.StatusTooManyRequests && a.retryAfter != "" && strings.Contains(a.body, throttleText):
			kind = "throttled"
		default:
			kind = fmt.Sprint("unexpected ", a.status)
			t.Errorf("attempt %d: %d, Location %q, Retry-After %q: %.300q", i, a.status, a.location, a.retryAfter, a.body)
		}
		if (kind == "in" || kind == "wrong") && kind != tries[i].want {
			t.Errorf("attempt %d (%s, want %q) was answered %q", i, tries[i].email, tries[i].want, kind)
		}
		count[kind]++
		latencies = append(latencies, a.took)
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	hashed, shed := count["in"]+count["wrong"], count["busy"]
	t.Logf("%d concurrent login attempts (%d right passwords, %d wrong, %d unknown emails; %d accounts, %d hashing slots = cores) answered in %v: "+
		"%d logged in (303), %d wrong password (422), %d busy (429 Retry-After), %d throttled (429); hashed %d, shed %d; "+
		"latency median %v, p99 %v, max %v; peak RSS of portal serve %.1f MiB",
		attempts, attempts*8/10, attempts/10, attempts/10, accounts, runtime.NumCPU(), took.Round(time.Millisecond),
		count["in"], count["wrong"], count["busy"], count["throttled"], hashed, shed,
		latencies[len(latencies)/2].Round(time.Millisecond), latencies[len(latencies)*99/100].Round(time.Millisecond),
		latencies[len(latencies)-1].Round(time.Millisecond), float64(peak)/(1<<20))
	if hashed == 0 {
		t.Error("no attempt was hashed: the flood was turned away entirely")
	}
	if peak >= maxRSS {
		t.Errorf("portal serve peaked at %.1f MiB resident under the flood, want under %d MiB", float64(peak)/(1<<20), maxRSS>>20)
	}
}
