package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestMetrics(t *testing.T) {
	addr := freeAddr(t)
	p := startPortal(t, withEnv("PORTAL_METRICS_ADDR", addr), withEnv("PORTAL_SMS_COUNTRIES", "GB"))
	p.createUser(t, "mia@example.org", "Mia Metric", "+447546123456")
	p.createUser(t, "abroad@example.org", "Abe Road", "")
	h := newHTTPClient(t, p.BaseURL)
	h.do("POST", "/login", url.Values{"email": {"mia@example.org"}, "password": {"wrong password entirely"}})
	h.do("POST", "/login", url.Values{"email": {"mia@example.org"}, "password": {e2ePassword}})
	h.do("POST", "/login/code", url.Values{"code": {p.smsCode(t, "+447546123456")}})
	a := newHTTPClient(t, p.BaseURL)
	a.do("POST", "/login", url.Values{"email": {"abroad@example.org"}, "password": {e2ePassword}})
	a.do("POST", "/login/phone", url.Values{"phone": {"+33612345678"}}) // France is not allowed here

	var body string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if body = string(b); strings.Contains(body, `portal_messages_final_total{channel="sms",provider="twilio",status="sent"} 1`) {
			break
		}
	}
	for _, want := range []string{
		`portal_login_steps_total{outcome="failure",step="password"} 1`,
		`portal_login_steps_total{outcome="success",step="password"} 2`,
		`portal_login_steps_total{outcome="success",step="code"} 1`,
		`portal_codes_issued_total{channel="sms",purpose="login"} 1`,
		`portal_messages_final_total{channel="sms",provider="twilio",status="sent"} 1`,
		`portal_sms_budget_refusals_total{budget="country not allowed"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, e2ePassword) || strings.Contains(body, "+447546123456") {
		t.Error("metrics show a password or a number")
	}
	// Metrics are not on the public address.
	if c, _, _ := h.do("GET", "/metrics", nil); c != http.StatusNotFound {
		t.Errorf("/metrics on the portal's address: %d", c)
	}
}
