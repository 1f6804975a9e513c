package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery/twilio"
	"github.com/providerportal/portal/internal/delivery/twiliotest"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/web"
)

// httpClient is a browser without a browser: cookies, no redirects
// followed, and the Sec-Fetch-Site a same-origin form post carries.
type httpClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newHTTPClient(t *testing.T, base string) *httpClient {
	return &httpClient{t: t, base: base, c: browserClient(10 * time.Second)}
}

func (h *httpClient) do(method, path string, form url.Values) (int, string, string) {
	h.t.Helper()
	req, _ := formRequest(method, h.base+path, form)
	resp, err := h.c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// deliveryStatus asks the code screen's status endpoint.
func (h *httpClient) deliveryStatus() string {
	h.t.Helper()
	code, _, body := h.do("GET", "/login/code/status", nil)
	var s struct{ Status string }
	if code != 200 || json.Unmarshal([]byte(body), &s) != nil {
		h.t.Fatalf("status endpoint: %d %q", code, body)
	}
	return s.Status
}

func (h *httpClient) waitStatus(want string) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := h.deliveryStatus()
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("delivery status %q, want %q", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDeliveryReceipts(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	p.createUser(t, "ruth@example.org", "Ruth May", "+447546123456")
	h := newHTTPClient(t, p.BaseURL)
	if code, loc, _ := h.do("POST", "/login", url.Values{"email": {"ruth@example.org"}, "password": {e2ePassword}}); loc != "/login/code" {
		t.Fatalf("login: %d %s", code, loc)
	}
	sms := p.sms(t, "+447546123456")
	if sms.StatusCallback != p.BaseURL+web.TwilioStatusPath {
		t.Fatalf("StatusCallback = %q", sms.StatusCallback)
	}
	h.waitStatus("sent")

	// A callback that is not signed with the account's token changes nothing.
	forged := url.Values{"MessageSid": {sms.SID}, "MessageStatus": {"failed"}, "AccountSid": {p.App.Config.Twilio.AccountSID}}
	req, _ := http.NewRequest("POST", p.BaseURL+web.TwilioStatusPath, strings.NewReader(forged.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, twiliotest.Signature("not the token", p.BaseURL+web.TwilioStatusPath, forged))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("wrongly signed callback: %d, want 403", resp.StatusCode)
	}
	req, _ = http.NewRequest("POST", p.BaseURL+web.TwilioStatusPath, strings.NewReader(forged.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || h.deliveryStatus() != "sent" {
		t.Fatalf("unsigned callback: %d, status %s", resp.StatusCode, h.deliveryStatus())
	}

	// Twilio's own, signed receipt: delivered.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := p.Twilio.Deliver(ctx, sms.SID, "delivered", 0); err != nil {
		t.Fatal(err)
	}
	h.waitStatus("delivered")
	if _, _, body := h.do("GET", "/login/code", nil); !strings.Contains(body, "Code delivered to <strong>•••• 3456</strong>") {
		t.Fatalf("the code screen does not show the delivery:\n%s", body)
	}

	// Replayed and late receipts, signed as Twilio signs them, move it
	// neither back nor again (issue 14, 10): one "delivered" in the audit.
	for _, status := range []string{"delivered", "sent", "queued", "failed", "undelivered", "delivered"} {
		if err := p.Twilio.Deliver(ctx, sms.SID, status, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.deliveryStatus(); got != "delivered" {
		t.Fatalf("after replayed receipts: status %q, want delivered", got)
	}
	events, err := p.App.DB.ListAudit(ctx, store.AuditQuery{Event: "code.delivery", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	delivered := 0
	for _, e := range events {
		if e.Outcome == "delivered" {
			delivered++
		}
	}
	if delivered != 1 {
		t.Fatalf("%d code.delivery events say delivered, want 1", delivered)
	}
}

func TestUndeliveredReceiptPutsEmailFirst(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	p.createUser(t, "edith@example.org", "Edith Cavell", "+447546123456")
	h := newHTTPClient(t, p.BaseURL)
	h.do("POST", "/login", url.Values{"email": {"edith@example.org"}, "password": {e2ePassword}})
	sms := p.sms(t, "+447546123456")
	h.waitStatus("sent")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := p.Twilio.Deliver(ctx, sms.SID, "undelivered", 30003); err != nil {
		t.Fatal(err)
	}
	h.waitStatus("failed")
	_, _, body := h.do("GET", "/login/code", nil)
	if !strings.Contains(body, "could not be sent") || !strings.Contains(body, `class="email-first"`) {
		t.Fatalf("after an undelivered receipt the code screen does not offer email first:\n%s", body)
	}
	// A late "delivered" does not undo the failure.
	p.Twilio.Deliver(ctx, sms.SID, "delivered", 0)
	if h.deliveryStatus() != string(store.MessageFailed) {
		t.Fatal("a late receipt moved a failed message")
	}
}
