package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery/webhooktest"
	"github.com/providerportal/portal/internal/store"
)

// Faults of the SMS provider, injected into the local servers that speak
// Twilio's Messages API and the webhook gateway's protocol.

// fastRetries makes the dispatcher retry within a test's patience: the
// same backoff schedule, shrunk.
func fastRetries(a *App) {
	a.Dispatch.BackoffBase = 100 * time.Millisecond
	a.Dispatch.BackoffMax = 400 * time.Millisecond
	a.Dispatch.Poll = 50 * time.Millisecond
}

func TestSlowProviderDoesNotHoldTheRequest(t *testing.T) {
	// Not parallel: it times a login, argon2id included, against 1 s.
	p := startPortal(t)
	p.createUser(t, "slow@example.org", "Sam Slow", "+447546123456")
	p.Twilio.Slow(5 * time.Second)
	h := newHTTPClient(t, p.BaseURL)
	start := time.Now()
	code, loc, _ := h.do("POST", "/login", url.Values{"email": {"slow@example.org"}, "password": {e2ePassword}})
	took := time.Since(start)
	if code != http.StatusSeeOther || loc != "/login/code" {
		t.Fatalf("login: %d %s", code, loc)
	}
	start = time.Now()
	_, _, body := h.do("GET", "/login/code", nil)
	page := time.Since(start)
	t.Logf("with Twilio taking 5 s per call: the login answered in %v, the code screen in %v", took.Round(time.Millisecond), page.Round(time.Millisecond))
	if took > time.Second || page > time.Second {
		t.Fatalf("a slow provider held the request: login %v, code screen %v", took, page)
	}
	if !strings.Contains(body, "Sending a code to") {
		t.Errorf("the code screen does not say the code is on its way:\n%s", body)
	}
	p.sms(t, "+447546123456") // it still goes out
	h.waitStatus("sent")
}

func TestProviderDownThenBack(t *testing.T) {
	t.Parallel()
	p := startPortal(t, withApp(fastRetries))
	p.createUser(t, "down@example.org", "Dora Down", "+447546123456")
	p.Twilio.Down()
	h := newHTTPClient(t, p.BaseURL)
	h.do("POST", "/login", url.Values{"email": {"down@example.org"}, "password": {e2ePassword}})
	time.Sleep(1500 * time.Millisecond) // several failed tries while it is down
	// Between tries it is queued; during one, sending. Never sent or failed.
	if st := h.deliveryStatus(); st != "queued" && st != "sending" {
		t.Fatalf("while the provider is down the message is %q, want it waiting for a retry", st)
	}
	p.Twilio.Up()
	start := time.Now()
	p.sms(t, "+447546123456")
	h.waitStatus("sent")
	t.Logf("provider down 1.5 s: the code went out %v after it came back", time.Since(start).Round(time.Millisecond))
}

func TestFailoverToSecondProvider(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("k", 32)
	hook := webhooktest.NewServer([]byte(secret))
	defer hook.Close()
	p := startPortal(t,
		withEnv("PORTAL_SMS_PROVIDER", "twilio,webhook"),
		withEnv("PORTAL_SMS_WEBHOOK_URL", hook.URL()),
		withEnv("PORTAL_SMS_WEBHOOK_SECRET", secret))
	p.createUser(t, "fo@example.org", "Flo Over", "+447546123456")
	p.Twilio.Down()
	h := newHTTPClient(t, p.BaseURL)
	start := time.Now()
	h.do("POST", "/login", url.Values{"email": {"fo@example.org"}, "password": {e2ePassword}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	m, err := hook.Wait(ctx, "+447546123456")
	if err != nil {
		t.Fatalf("the second provider did not get the message: %v", err)
	}
	t.Logf("Twilio down: the webhook gateway had the code %v after the login", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(m.Body, "@"+p.Host+" #") {
		t.Errorf("the webhook message lacks the WebOTP line: %q", m.Body)
	}
	h.waitStatus("sent")
	// And the code it carried logs in.
	code := m.Body[strings.LastIndex(m.Body, "#")+1:]
	if c, loc, _ := h.do("POST", "/login/code", url.Values{"code": {code}}); c != http.StatusSeeOther || loc != "/" {
		t.Fatalf("code from the second provider: %d %s", c, loc)
	}
}

func TestPermanentErrorIsNotRetried(t *testing.T) {
	t.Parallel()
	p := startPortal(t, withApp(fastRetries))
	p.createUser(t, "perm@example.org", "Pat Perm", "+447546123456")
	p.Twilio.FailNext(400, 21610, "Attempt to send to unsubscribed recipient")
	h := newHTTPClient(t, p.BaseURL)
	h.do("POST", "/login", url.Values{"email": {"perm@example.org"}, "password": {e2ePassword}})
	h.waitStatus("failed")
	time.Sleep(time.Second) // retries would have happened by now
	if n := len(p.Twilio.Messages()); n != 0 {
		t.Fatalf("%d messages went out after a permanent refusal", n)
	}
	_, _, body := h.do("GET", "/login/code", nil)
	if !strings.Contains(body, `class="email-first"`) {
		t.Fatal("email is not offered first after a permanent refusal")
	}
}

// TestSMSPumpingBudgetsHold is the script an SMS-pumping fraudster would
// run: many accounts (their passwords stolen), many client addresses, many
// premium-looking foreign numbers, hammering Send Verification Code. The
// budgets hold, and the number of text messages that leave is bounded.
func TestSMSPumpingBudgetsHold(t *testing.T) {
	t.Parallel()
	const (
		accounts   = 40
		perAccount = 8 // Send Verification Code presses per account
		perIPHour  = 6
		perCountry = 20
		perHour    = 50
	)
	p := startPortal(t,
		withEnv("PORTAL_TRUSTED_PROXIES", "127.0.0.1"),
		withEnv("PORTAL_SMS_LIMIT_PER_IP_HOUR", fmt.Sprint(perIPHour)),
		withEnv("PORTAL_SMS_LIMIT_PER_COUNTRY_HOUR", fmt.Sprint(perCountry)),
		withEnv("PORTAL_SMS_LIMIT_PER_HOUR", fmt.Sprint(perHour)),
		withEnv("PORTAL_SMS_COUNTRIES", "GB,IE,FR,DE,NL,BE,ES,IT,US,AU"),
		withEnv("PORTAL_LOG_LEVEL", "warn"))
	for i := 0; i < accounts; i++ {
		p.createUser(t, fmt.Sprintf("victim%d@example.org", i), "Victim", "")
	}
	numbers := []string{ // mobiles in several countries, and some the allow-list refuses
		"+447546%06d", "+3538512%05d", "+3361234%04d", "+4915123%05d", "+3161234%04d",
		"+2348031%06d", "+8613812%06d", "+8823%07d",
	}
	var mu sync.Mutex
	outcome := map[string]int{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := 0; i < accounts; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			h := newHTTPClient(t, p.BaseURL)
			ip := fmt.Sprintf("198.51.%d.%d", i/4, i%4) // a few accounts per address
			post := func(path string, form url.Values) (int, string, string) {
				req, _ := http.NewRequest("POST", p.BaseURL+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Forwarded-For", ip)
				resp, err := h.c.Do(req)
				if err != nil {
					t.Error(err)
					return 0, "", ""
				}
				resp.Body.Close()
				return resp.StatusCode, resp.Header.Get("Location"), ""
			}
			post("/login", url.Values{"email": {fmt.Sprintf("victim%d@example.org", i)}, "password": {e2ePassword}})
			for j := 0; j < perAccount; j++ {
				number := fmt.Sprintf(numbers[(i+j)%len(numbers)], i*100+j)
				code, loc, _ := post("/login/phone", url.Values{"phone": {number}})
				key := fmt.Sprint(code)
				if strings.Contains(loc, "m=send-") {
					key = loc[strings.Index(loc, "m=")+2:]
				} else if code == http.StatusSeeOther {
					key = "queued"
				}
				mu.Lock()
				outcome[key]++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	// Let the dispatcher send what was queued.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, err := p.App.DB.CountMessages(t.Context(), store.MessageCount{Channel: store.ChannelSMS, Since: time.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Twilio.Messages()) >= n {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	sent := p.Twilio.Messages()
	byCountry := map[string]int{}
	for _, m := range sent {
		byCountry[m.To[:3]]++
	}
	keys := make([]string, 0, len(outcome))
	for k := range outcome {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var summary []string
	for _, k := range keys {
		summary = append(summary, fmt.Sprintf("%s=%d", k, outcome[k]))
	}
	t.Logf("%d presses of Send Verification Code from %d accounts on %d addresses: %d text messages left (cap %d/hour); answers: %s; by prefix: %v",
		accounts*perAccount, accounts, (accounts+3)/4, len(sent), perHour, strings.Join(summary, " "), byCountry)
	if len(sent) > perHour {
		t.Fatalf("%d text messages left, over the portal-wide cap of %d", len(sent), perHour)
	}
	for prefix, n := range byCountry {
		if n > perCountry {
			t.Errorf("%d messages to %s…, over the per-country cap of %d", n, prefix, perCountry)
		}
	}
	for _, m := range sent {
		if strings.HasPrefix(m.To, "+234") || strings.HasPrefix(m.To, "+86") || strings.HasPrefix(m.To, "+882") {
			t.Errorf("a message went to %s, outside the allowed countries", m.To)
		}
	}
}
