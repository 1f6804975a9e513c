package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery/twiliotest"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
)

// TestTwoServeProcesses starts two `portal serve` processes on one
// PostgreSQL database and walks a provider through the help article with
// the requests alternating between them: password on one, code on the
// other, My Details on the first, and so on. Nothing is sticky.
func TestTwoServeProcesses(t *testing.T) {
	t.Parallel()
	bin := buildPortal(t)
	db := pgtest.NewDatabase(t) // skips, or fails with PORTAL_REQUIRE_POSTGRES=1, without a server
	tw, common := processEnv(t, "PORTAL_DATABASE_URL="+db.URL, "PORTAL_SECRET_KEY="+strings.Repeat("5a", 32))
	// Both instances share one public address, as behind a load balancer.
	const public = "http://portal.test"
	runPortal(t, bin, common, e2ePassword+"\n", "user", "create", "--email", "nia@example.org", "--name", "Nia Two")
	runPortal(t, bin, common, "", "user", "set-phone", "--email", "nia@example.org", "--phone", "+447546123456", "--reason", "test set-up")

	var instances []string
	for range 2 {
		addr := freeAddr(t)
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(common, "PORTAL_ADDR="+addr, "PORTAL_BASE_URL="+public)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
		instances = append(instances, "http://"+addr)
	}
	for _, base := range instances {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			resp, err := http.Get(base + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not become ready", base)
			}
		}
	}

	// One browser: its cookie goes with every request, to whichever
	// instance the load balancer picks.
	jar, _ := cookiejar.New(nil)
	publicURL, _ := url.Parse(public)
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	step := 0
	do := func(method, path string, form url.Values) (int, string, string) {
		t.Helper()
		base := instances[step%2]
		step++
		req, _ := formRequest(method, base+path, form)
		for _, c := range jar.Cookies(publicURL) {
			req.AddCookie(c)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		jar.SetCookies(publicURL, resp.Cookies())
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}

	// A: Email and Password, Login.
	if c, loc, _ := do("POST", "/login", url.Values{"email": {"nia@example.org"}, "password": {e2ePassword}}); loc != "/login/code" {
		t.Fatalf("A: login: %d %s", c, loc)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	m, err := tw.Wait(ctx, "+447546123456")
	if err != nil {
		t.Fatal(err)
	}
	// B: the code screen; A: Verify Code.
	if c, _, body := do("GET", "/login/code", nil); c != 200 || !strings.Contains(body, "•••• 3456") {
		t.Fatalf("B: code screen: %d", c)
	}
	if c, loc, _ := do("POST", "/login/code", url.Values{"code": {twiliotest.ExtractCode(m.Body)}}); loc != "/" {
		t.Fatalf("A: Verify Code: %d %s", c, loc)
	}
	// B: home; A: My Details; B: Update; A: Verify Code; B: My Details.
	if c, _, body := do("GET", "/", nil); c != 200 || !strings.Contains(body, "My Details") {
		t.Fatalf("B: home: %d", c)
	}
	if c, _, body := do("GET", "/my-details", nil); c != 200 || !strings.Contains(body, "Multi-factor Authentication") {
		t.Fatalf("A: My Details: %d", c)
	}
	if c, loc, _ := do("POST", "/my-details/phone", url.Values{"phone": {"+44 7546 654321"}}); loc != "/my-details/phone/verify" {
		t.Fatalf("B: Update: %d %s", c, loc)
	}
	m, err = tw.Wait(ctx, "+447546654321")
	if err != nil {
		t.Fatal(err)
	}
	if c, loc, _ := do("POST", "/my-details/phone/verify", url.Values{"code": {twiliotest.ExtractCode(m.Body)}}); loc != "/my-details?m=phone-changed" {
		t.Fatalf("A: Verify Code: %d %s", c, loc)
	}
	if c, _, body := do("GET", "/my-details", nil); c != 200 || !strings.Contains(body, "•••• 4321") {
		t.Fatalf("B: My Details after the change: %d", c)
	}
	// A: Log out; B: the session is gone there too.
	do("POST", "/logout", url.Values{})
	if _, loc, _ := do("GET", "/", nil); !strings.HasPrefix(loc, "/login") {
		t.Fatalf("B after logging out on A: %q", loc)
	}
	if n := len(tw.Messages()); n != 2 {
		t.Fatalf("%d text messages for two codes: the instances' dispatchers sent one twice", n)
	}
	t.Logf("%d requests alternating between two portal serve processes on one PostgreSQL database", step)
}
