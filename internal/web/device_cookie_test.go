package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDeviceCookieKeepsOwnerIn is issue 14's item 5 over HTTP: others lock
// the account with wrong passwords; the owner's browser, which logged in
// before and kept its device cookie, still logs in; a browser without it,
// or with a forged one, is locked out as before.
func TestDeviceCookieKeepsOwnerIn(t *testing.T) { onEngines(t, testDeviceCookieKeepsOwnerIn) }

func testDeviceCookieKeepsOwnerIn(t *testing.T, e *env) {
	const phone = "+447546123456"
	e.user("owner@example.org", phone)
	clk := e.setClock(time.Now())

	owner := e.browser()
	r := e.post(owner, "/login", "email", "owner@example.org", "password", testPassword)
	if strings.Contains(strings.Join(r.header.Values("Set-Cookie"), "\n"), "portal_device") {
		t.Error("the password step alone set a device cookie")
	}
	r = e.post(owner, "/login/code", "code", e.lastCode(phone))
	var device *http.Cookie
	for _, raw := range r.header.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(raw); err == nil && c.Name == "portal_device" {
			device = c
			if !strings.Contains(raw, "HttpOnly") || !strings.Contains(raw, "SameSite=Lax") || !strings.Contains(raw, "Path=/") ||
				!strings.Contains(raw, fmt.Sprintf("Max-Age=%d", int(e.Login.Rules.DeviceTokenTTL/time.Second))) || strings.Contains(raw, "Domain") {
				t.Errorf("device cookie: %s", raw)
			}
		}
	}
	if device == nil {
		t.Fatalf("a completed login set no device cookie: %v", r.header.Values("Set-Cookie"))
	}
	if strings.Contains(device.Value, "owner") || strings.Contains(device.Value, "example.org") {
		t.Errorf("the device cookie shows the email: %s", device.Value)
	}
	if r := e.post(owner, "/logout"); r.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.status)
	}

	// The attack: wrong passwords from another browser, each as soon as
	// the backoff lets it, until the account is locked.
	attacker := e.browser()
	for i := 0; ; i++ {
		if i == 50 {
			t.Fatal("50 wrong passwords did not lock the account")
		}
		r := e.post(attacker, "/login", "email", "owner@example.org", "password", fmt.Sprint("guess number ", i))
		if r.status == http.StatusTooManyRequests {
			if r.header.Get("Retry-After") == "3600" {
				break
			}
			clk.Advance(15 * time.Minute)
		}
	}
	if r := e.post(e.browser(), "/login", "email", "owner@example.org", "password", testPassword); r.status != http.StatusTooManyRequests {
		t.Fatalf("right password from a browser without a device cookie: %d, want 429", r.status)
	}
	forged := e.browser()
	u, _ := url.Parse(e.srv.URL)
	forged.Jar.SetCookies(u, []*http.Cookie{{Name: "portal_device", Value: strings.TrimSuffix(device.Value, device.Value[len(device.Value)-2:]) + "AA"}})
	if r := e.post(forged, "/login", "email", "owner@example.org", "password", testPassword); r.status != http.StatusTooManyRequests {
		t.Fatalf("right password with a forged device cookie: %d, want 429", r.status)
	}

	// The owner's browser logs in all the way.
	e.loginFull(owner, "owner@example.org", phone)
	if r := e.get(owner, "/"); r.status != http.StatusOK {
		t.Fatalf("home after login with the device cookie: %d", r.status)
	}
}

func TestHTTPSDeviceCookieIsHostPrefixedAndSecure(t *testing.T) {
	// No code needed: the password completes the login.
	rec := httpsLogin(t, true)
	var set string
	for _, raw := range rec.Header().Values("Set-Cookie") {
		if strings.HasPrefix(raw, "__Host-portal_device=") {
			set = raw
		}
	}
	if set == "" {
		t.Fatalf("no __Host-portal_device cookie: %v", rec.Header().Values("Set-Cookie"))
	}
	for _, want := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age="} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
}
