package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// Enumeration: an attacker must not learn whether an email address has an
// account, from the login form or from "Forgot your password?". The answer
// (status, page, cookies) must be the same, and so must the time it takes:
// an unknown address is checked against a dummy argon2id hash, and the
// reset email is sent after the answer.
//
// TestNoEnumeration proves the answers are the same and that the hashing
// work is done for an unknown address, measured in bytes allocated, which
// unlike time does not depend on what else the machine is doing.
// BenchmarkEnumerationTiming measures the time itself and prints it.

// enumSetup is a portal behind a trusted proxy, so that each try comes
// from a client address of its own, below the per-address limit, with
// accounts enough that each takes at most triesPerAccount wrong passwords
// (below the per-account limit): every try is a real password check.
type enumSetup struct {
	p        *testPortal
	accounts []string // active accounts with e2ePassword
	locked   string   // an account locked by failed passwords
	ghost    string   // an unknown address locked the same way
	ip       int
	cookies  []*http.Cookie // sent with each try, if any
}

const triesPerAccount = 3 // "Forgot password" allows 3 an hour; login 5 free

func newEnumSetup(t testing.TB, accounts int) *enumSetup {
	t.Helper()
	clock := new(testClock)
	p := startPortal(t, withClock(clock), withEnv("PORTAL_TRUSTED_PROXIES", "127.0.0.1"), withEnv("PORTAL_LOG_LEVEL", "warn"))
	e := &enumSetup{p: p}
	// One real hash, shared by every account: the set-up need not pay
	// one argon2id hash per account.
	p.createUser(t, "account0@example.org", "Account Zero", "+447546100000")
	hash := p.user(t, "account0@example.org").PasswordHash
	add := func(email, phone string) {
		u := &store.User{Email: email, Name: "Account", PasswordHash: hash, Phone: phone, CreatedAt: clock.Now()}
		if err := p.App.DB.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
	e.accounts = append(e.accounts, "account0@example.org")
	for i := 1; i < accounts; i++ {
		email := fmt.Sprintf("account%d@example.org", i)
		add(email, fmt.Sprintf("+4475461%05d", i))
		e.accounts = append(e.accounts, email)
	}
	e.locked, e.ghost = "locked@example.org", "ghost@example.org"
	add(e.locked, "+447546199999")
	// Lock both the same way, side by side: failed passwords, waiting
	// out each backoff as a patient attacker would.
	failures := map[string]int{}
	for failures[e.locked] < p.App.Login.Rules.PasswordLockAccount {
		var wait int
		for _, email := range []string{e.locked, e.ghost} {
			resp, _ := e.post(t, "/login", wrongPassword(email))
			if resp.StatusCode != http.StatusTooManyRequests {
				failures[email]++
				continue
			}
			w, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			if err != nil {
				t.Fatalf("429 without a Retry-After: %q", resp.Header.Get("Retry-After"))
			}
			wait = max(wait, w)
		}
		if failures[e.locked] != failures[e.ghost] {
			t.Fatalf("failures counted differently: %v", failures)
		}
		clock.Advance(time.Duration(wait) * time.Second)
	}
	return e
}

func wrongPassword(email string) url.Values {
	return url.Values{"email": {email}, "password": {"not the password at all"}}
}

// try posts form from a fresh client (no cookies) at a new client address
// and returns what an attacker can compare: status; Location and the
// cookies set, with their values removed (a new session token is random
// by design: whether one is set, and how, is what could differ); the page,
// with the address typed replaced by EMAIL.
func (e *enumSetup) try(t testing.TB, path string, form url.Values) (status int, head, body string) {
	t.Helper()
	resp, body := e.post(t, path, form)
	var cookies []string
	for _, c := range resp.Cookies() {
		c.Value = ""
		cookies = append(cookies, c.String())
	}
	sort.Strings(cookies)
	// The page keeps what was typed in the Email field: the one part
	// that differs by design.
	body = strings.ReplaceAll(body, form.Get("email"), "EMAIL")
	return resp.StatusCode, resp.Header.Get("Location") + "\n" + strings.Join(cookies, "\n"), body
}

// post sends form as a same-origin form post from a new client address.
func (e *enumSetup) post(t testing.TB, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	e.ip++
	req, _ := formRequest("POST", e.p.BaseURL+path, form)
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", e.ip>>16&255, e.ip>>8&255, e.ip&255))
	for _, c := range e.cookies {
		req.AddCookie(c)
	}
	resp, err := enumClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var enumClient = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func TestNoEnumeration(t *testing.T) {
	e := newEnumSetup(t, 3)

	// Unknown address and wrong password: the same answer, and both pay
	// for one argon2id check (19 MiB of memory each).
	type answer struct {
		status       int
		head, body   string
		allocatedMiB float64
	}
	ask := func(form url.Values) answer {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		status, head, body := e.try(t, "/login", form)
		runtime.ReadMemStats(&after)
		return answer{status, head, body, float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20)}
	}
	unknown := ask(wrongPassword("nobody@example.org"))
	wrong := ask(wrongPassword(e.accounts[1]))
	if unknown.status != wrong.status || unknown.head != wrong.head || unknown.body != wrong.body {
		t.Errorf("unknown address and wrong password answer differently:\nunknown: %d %q\n%s\nwrong: %d %q\n%s",
			unknown.status, unknown.head, unknown.body, wrong.status, wrong.head, wrong.body)
	}
	if !strings.Contains(wrong.body, "email or password") && !strings.Contains(wrong.body, "Email or password") {
		t.Errorf("wrong password page does not say so: %d\n%s", wrong.status, wrong.body)
	}
	memMiB := float64(e.p.App.Login.Passwords.Params.Memory) / 1024
	for name, a := range map[string]answer{"unknown address": unknown, "wrong password": wrong} {
		if a.allocatedMiB < memMiB {
			t.Errorf("%s: the request allocated %.1f MiB, less than one argon2id check (%.1f MiB): no password was checked", name, a.allocatedMiB, memMiB)
		}
	}
	t.Logf("allocated per try: unknown address %.1f MiB, wrong password %.1f MiB", unknown.allocatedMiB, wrong.allocatedMiB)

	// A locked account and an unknown address locked the same way: the
	// same answer, even to the right password.
	ls, lh, lb := e.try(t, "/login", wrongPassword(e.locked))
	gs, gh, gb := e.try(t, "/login", wrongPassword(e.ghost))
	if ls != http.StatusTooManyRequests || ls != gs || lh != gh || lb != gb {
		t.Errorf("locked account and locked unknown address answer differently:\nlocked: %d %q\n%s\nunknown: %d %q\n%s", ls, lh, lb, gs, gh, gb)
	}
	if s, h, b := e.try(t, "/login", url.Values{"email": {e.locked}, "password": {e2ePassword}}); s != gs || h != gh || b != gb {
		t.Errorf("the right password on a locked account answers differently from a locked unknown address: %d %q\n%s", s, h, b)
	}

	// With a device cookie (account0's, from a completed login), the same
	// again: it counts for its own account only, and tells nothing of
	// other addresses.
	resp, _ := e.post(t, "/login", url.Values{"email": {e.accounts[0]}, "password": {e2ePassword}})
	e.cookies = resp.Cookies()
	resp, _ = e.post(t, "/login/code", url.Values{"code": {e.p.smsCode(t, "+447546100000")}})
	e.cookies = nil
	for _, c := range resp.Cookies() {
		if c.Name == "portal_device" {
			e.cookies = []*http.Cookie{c}
		}
	}
	if e.cookies == nil {
		t.Fatalf("a completed login set no device cookie: %d %v", resp.StatusCode, resp.Cookies())
	}
	unknownC, wrongC := ask(wrongPassword("nobody@example.org")), ask(wrongPassword(e.accounts[1]))
	if unknownC.status != wrong.status || unknownC.head != wrong.head || unknownC.body != wrong.body ||
		wrongC.status != wrong.status || wrongC.head != wrong.head || wrongC.body != wrong.body {
		t.Errorf("with a device cookie, unknown address and wrong password answer differently, or not as without:\nunknown: %d %q\nwrong: %d %q", unknownC.status, unknownC.head, wrongC.status, wrongC.head)
	}
	for name, a := range map[string]answer{"unknown address with a device cookie": unknownC, "wrong password with a device cookie": wrongC} {
		if a.allocatedMiB < memMiB {
			t.Errorf("%s: the request allocated %.1f MiB, less than one argon2id check (%.1f MiB): no password was checked", name, a.allocatedMiB, memMiB)
		}
	}
	if s, h, b := e.try(t, "/login", url.Values{"email": {e.locked}, "password": {e2ePassword}}); s != gs || h != gh || b != gb {
		t.Errorf("with another account's device cookie, the right password on a locked account answers differently from a locked unknown address: %d %q\n%s", s, h, b)
	}
	if s, h, b := e.try(t, "/login", wrongPassword(e.ghost)); s != gs || h != gh || b != gb {
		t.Errorf("with a device cookie, a locked unknown address answers differently: %d %q\n%s", s, h, b)
	}
	e.cookies = nil

	// Forgot password: the same answer for an account and for nobody; the
	// email goes out after the answer.
	as, ah, ab := e.try(t, "/forgot-password", url.Values{"email": {e.accounts[2]}})
	ns, nh, nb := e.try(t, "/forgot-password", url.Values{"email": {"nobody@example.org"}})
	if as != ns || ah != nh || ab != nb {
		t.Errorf("forgot password answers differently for an account and for nobody:\naccount: %d %q\n%s\nnobody: %d %q\n%s", as, ah, ab, ns, nh, nb)
	}
	e.p.email(t, e.accounts[2])
}

// BenchmarkEnumerationTiming prints the median time of each kind of try
// an attacker could compare. One iteration is one try of every kind, in a
// random order each time so that the machine's load falls on all alike;
// the issue asks for medians over 200 tries within 10 % of each other:
//
//	go test -run XXX -bench EnumerationTiming -benchtime 200x ./cmd/portal
//
// Time is a figure to read on a quiet machine, not a pass/fail for CI,
// where other tests load the same cores.
func BenchmarkEnumerationTiming(b *testing.B) {
	e := newEnumSetup(b, b.N/triesPerAccount+2)
	kinds := []struct {
		name string
		path string
		form func(i int) url.Values
	}{
		{"login/unknown-address", "/login", func(i int) url.Values { return wrongPassword(fmt.Sprintf("nobody%d@example.org", i)) }},
		{"login/wrong-password", "/login", func(i int) url.Values { return wrongPassword(e.accounts[i/triesPerAccount]) }},
		{"login/locked-account", "/login", func(int) url.Values { return wrongPassword(e.locked) }},
		{"login/locked-unknown", "/login", func(int) url.Values { return wrongPassword(e.ghost) }},
		{"forgot/account", "/forgot-password", func(i int) url.Values { return url.Values{"email": {e.accounts[i/triesPerAccount]}} }},
		{"forgot/unknown-address", "/forgot-password", func(i int) url.Values { return url.Values{"email": {fmt.Sprintf("nobody%d@example.org", i)}} }},
	}
	times := make([][]time.Duration, len(kinds))
	order := make([]int, len(kinds))
	for i := range order {
		order[i] = i
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rand.Shuffle(len(order), func(a, c int) { order[a], order[c] = order[c], order[a] })
		for _, k := range order {
			start := time.Now()
			e.try(b, kinds[k].path, kinds[k].form(i))
			times[k] = append(times[k], time.Since(start))
			// The reset email is prepared after the answer; let it finish
			// before the next try, which it would otherwise slow down.
			b.StopTimer()
			e.p.App.Login.Wait()
			b.StartTimer()
		}
	}
	b.StopTimer()
	medians := map[string]time.Duration{}
	for k, kind := range kinds {
		medians[kind.name] = median(times[k])
		b.ReportMetric(float64(medians[kind.name].Microseconds())/1000, "ms-median-"+kind.name)
	}
	spread := func(a, c string) float64 {
		x, y := medians[a], medians[c]
		return float64(max(x, y)-min(x, y)) / float64(min(x, y)) * 100
	}
	b.ReportMetric(spread("login/unknown-address", "login/wrong-password"), "%-spread-login")
	b.ReportMetric(spread("login/locked-account", "login/locked-unknown"), "%-spread-locked")
	b.ReportMetric(spread("forgot/account", "forgot/unknown-address"), "%-spread-forgot")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
