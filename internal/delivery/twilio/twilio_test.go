package twilio_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/delivery/gatewaytest"
	"github.com/providerportal/portal/internal/delivery/twilio"
	"github.com/providerportal/portal/internal/delivery/twiliotest"
)

const (
	testSID   = "AC00000000000000000000000000000001"
	testToken = "test-auth-token"
	testFrom  = "+15005550006"
	testTo    = "+14155550123"
	testBody  = "Your Provider Portal code is 493027. It expires in 10 minutes."
	testCode  = "493027"
)

func newSender(t *testing.T) (*twilio.Sender, *twiliotest.Server) {
	t.Helper()
	srv := twiliotest.NewServer(testSID, testToken)
	t.Cleanup(srv.Close)
	return &twilio.Sender{
		APIURL:     srv.URL(),
		AccountSID: testSID,
		AuthToken:  testToken,
		From:       testFrom,
		Timeout:    5 * time.Second,
	}, srv
}

func TestSendFromNumber(t *testing.T) {
	s, srv := newSender(t)
	s.StatusCallback = "https://portal.example/sms/status"

	receipt, err := s.Send(t.Context(), delivery.SMS{To: testTo, Body: testBody})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(receipt.SID, "SM") || len(receipt.SID) != 34 || receipt.Status != "queued" {
		t.Errorf("receipt = %+v, want an SM… SID and status queued", receipt)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	want := twiliotest.Message{
		SID: receipt.SID, To: testTo, From: testFrom, Body: testBody,
		StatusCallback: "https://portal.example/sms/status",
	}
	if msgs[0] != want {
		t.Errorf("server got %+v, want %+v", msgs[0], want)
	}
	if code := twiliotest.ExtractCode(msgs[0].Body); code != testCode {
		t.Errorf("ExtractCode = %q", code)
	}
}

func TestSendWithMessagingService(t *testing.T) {
	s, srv := newSender(t)
	s.From = "MG11111111111111111111111111111111"

	if err := s.SendSMS(t.Context(), delivery.SMS{To: testTo, Body: testBody}); err != nil {
		t.Fatal(err)
	}
	m, err := srv.Wait(t.Context(), testTo)
	if err != nil {
		t.Fatal(err)
	}
	if m.MessagingServiceSid != s.From || m.From != "" || m.StatusCallback != "" {
		t.Errorf("server got %+v, want MessagingServiceSid %s and no From or StatusCallback", m, s.From)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		code      int
		permanent bool
	}{
		{"invalid To", http.StatusBadRequest, 21211, true},
		{"unsubscribed recipient", http.StatusBadRequest, 21610, true},
		{"forbidden", http.StatusForbidden, 20003, true},
		{"rate limited", http.StatusTooManyRequests, 20429, false},
		{"unavailable", http.StatusServiceUnavailable, 20500, false},
		// These codes are permanent whatever status they come with.
		{"unsubscribed with a 500", http.StatusInternalServerError, 21610, true},
		{"region not enabled with a 503", http.StatusServiceUnavailable, 21408, true},
		{"not a mobile with a 429", http.StatusTooManyRequests, 21614, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv := newSender(t)
			// Twilio's message quotes the body here, to prove it is cut out.
			srv.FailNext(tt.status, tt.code, "Refused: "+testBody)

			err := s.SendSMS(t.Context(), delivery.SMS{To: testTo, Body: testBody})
			var twErr *twilio.Error
			if !errors.As(err, &twErr) {
				t.Fatalf("err = %v, want *twilio.Error", err)
			}
			if twErr.Status != tt.status || twErr.Code != tt.code {
				t.Errorf("err = %+v, want status %d code %d", twErr, tt.status, tt.code)
			}
			if got := errors.Is(err, delivery.ErrPermanent); got != tt.permanent {
				t.Errorf("errors.Is(err, ErrPermanent) = %v, want %v", got, tt.permanent)
			}
			assertNoBody(t, err)
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server kept %d messages after a failure", n)
			}
		})
	}
}

func TestSendRetryAfterWhenDown(t *testing.T) {
	s, srv := newSender(t)
	srv.Down(90 * time.Second)

	err := s.SendSMS(t.Context(), delivery.SMS{To: testTo, Body: testBody})
	var twErr *twilio.Error
	if !errors.As(err, &twErr) || twErr.Status != http.StatusServiceUnavailable || twErr.Code != 20503 {
		t.Fatalf("err = %v, want *twilio.Error 503/20503", err)
	}
	if errors.Is(err, delivery.ErrPermanent) {
		t.Error("503 must not be permanent")
	}
	if d, ok := delivery.RetryAfter(fmt.Errorf("outbox: %w", err)); !ok || d != 90*time.Second {
		t.Errorf("delivery.RetryAfter = %v, %v; want 1m30s, true", d, ok)
	}
	if !strings.Contains(err.Error(), "retry after 1m30s") {
		t.Errorf("error %q does not say when to retry", err)
	}
	if err := s.Check(t.Context()); err == nil {
		t.Error("Check passed while Twilio is down")
	}

	srv.Down() // no Retry-After
	err = s.SendSMS(t.Context(), delivery.SMS{To: testTo, Body: testBody})
	if _, ok := delivery.RetryAfter(err); ok || err == nil {
		t.Errorf("err = %v; want an error without a retry hint", err)
	}

	srv.Up()
	if err := s.SendSMS(t.Context(), delivery.SMS{To: testTo, Body: testBody}); err != nil {
		t.Fatalf("after Up: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server has %d messages, want 1", n)
	}
}

func TestSendRetryAfterHeader(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		want       time.Duration // 0: no hint
	}{
		{"429 seconds", http.StatusTooManyRequests, "7", 7 * time.Second},
		{"503 HTTP date", http.StatusServiceUnavailable, "date+1m", time.Minute},
		{"503 date passed", http.StatusServiceUnavailable, "date-1m", 0},
		{"503 garbage", http.StatusServiceUnavailable, "later", 0},
		{"500 ignores it", http.StatusInternalServerError, "7", 0},
		{"400 ignores it", http.StatusBadRequest, "7", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				v := tt.retryAfter
				if d, ok := strings.CutPrefix(v, "date"); ok {
					offset, _ := time.ParseDuration(d)
					// A whole second more, since HTTP dates drop fractions.
					v = time.Now().Add(offset + time.Second).UTC().Format(http.TimeFormat)
				}
				w.Header().Set("Retry-After", v)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, `{"code": 20429, "message": "Too Many Requests", "status": %d}`, tt.status)
			}))
			t.Cleanup(api.Close)
			s := &twilio.Sender{APIURL: api.URL, AccountSID: testSID, AuthToken: testToken, From: testFrom}

			err := s.SendSMS(t.Context(), delivery.SMS{To: testTo, Body: testBody})
			var twErr *twilio.Error
			if !errors.As(err, &twErr) {
				t.Fatalf("err = %v, want *twilio.Error", err)
			}
			d, ok := delivery.RetryAfter(err)
			if tt.want == 0 {
				if ok || twErr.RetryDelay != 0 {
					t.Errorf("RetryAfter = %v, %v; want no hint", d, ok)
				}
				return
			}
			// Dates are to the second; allow for the request's own time.
			if !ok || d > tt.want+time.Second || d < tt.want-time.Second {
				t.Errorf("RetryAfter = %v, %v; want about %v", d, ok, tt.want)
			}
		})
	}
}

func TestSendInvalidNumberValidatedByServer(t *testing.T) {
	s, _ := newSender(t)
	err := s.SendSMS(t.Context(), delivery.SMS{To: "0123", Body: testBody})
	var twErr *twilio.Error
	if !errors.As(err, &twErr) || twErr.Code != 21211 || !errors.Is(err, delivery.ErrPermanent) {
		t.Fatalf("err = %v, want permanent *twilio.Error 21211", err)
	}
	assertNoBody(t, err)
}

func TestSendBadCredentials(t *testing.T) {
	s, _ := newSender(t)
	s.AuthToken = "wrong"
	err := s.SendSMS(t.Context(), delivery.SMS{To: testTo, Body: testBody})
	var twErr *twilio.Error
	if !errors.As(err, &twErr) || twErr.Status != http.StatusUnauthorized || twErr.Code != 20003 {
		t.Fatalf("err = %v, want *twilio.Error 401/20003", err)
	}
	if !errors.Is(err, delivery.ErrPermanent) {
		t.Errorf("bad credentials should be permanent: %v", err)
	}
	assertNoBody(t, err)
}

func TestSendNetworkErrorIsTemporary(t *testing.T) {
	s, srv := newSender(t)
	srv.Close()
	err := s.SendSMS(t.Context(), delivery.SMS{To: testTo, Body: testBody})
	gatewaytest.Temporary(t, err, testBody, testCode)
}

func TestSendTimeout(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs before hang.Close

	s := &twilio.Sender{APIURL: hang.URL, AccountSID: testSID, AuthToken: testToken, From: testFrom}
	gatewaytest.TimesOut(t, func(d time.Duration) { s.Timeout = d }, func(ctx context.Context) error {
		return s.SendSMS(ctx, delivery.SMS{To: testTo, Body: testBody})
	}, testBody, testCode)
}

func TestSendNonTwilioResponse(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A captive portal or misrouted proxy: HTML, and far too much of it.
		w.Header().Set("Content-Type", "text/html")
		if strings.HasPrefix(r.URL.Path, "/gateway/") {
			w.WriteHeader(http.StatusBadGateway)
		}
		w.Write([]byte("<html>" + strings.Repeat("x", 1<<20) + "</html>"))
	}))
	t.Cleanup(proxy.Close)

	s := &twilio.Sender{APIURL: proxy.URL, AccountSID: testSID, AuthToken: testToken, From: testFrom}
	err := s.SendSMS(t.Context(), delivery.SMS{To: testTo, Body: testBody})
	if err == nil {
		t.Fatal("a 200 HTML page was taken as a sent message")
	}
	if len(err.Error()) > 200 {
		t.Errorf("error is %d bytes long; the response body leaked into it", len(err.Error()))
	}
	if err := s.Check(t.Context()); err == nil {
		t.Fatal("Check accepted a 200 HTML page as a Twilio account")
	}

	s.APIURL = proxy.URL + "/gateway"
	err = s.SendSMS(t.Context(), delivery.SMS{To: testTo, Body: testBody})
	var twErr *twilio.Error
	if !errors.As(err, &twErr) || twErr.Status != http.StatusBadGateway || errors.Is(err, delivery.ErrPermanent) {
		t.Fatalf("err = %v, want temporary *twilio.Error with status 502", err)
	}
}

func TestCheck(t *testing.T) {
	s, srv := newSender(t)
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("Check sent %d messages", n)
	}

	s.AuthToken = "wrong"
	err := s.Check(t.Context())
	if err == nil || !strings.Contains(err.Error(), "Twilio rejected the account SID or auth token") {
		t.Fatalf("Check with a wrong token: %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error contains the token: %v", err)
	}

	s.AuthToken = testToken
	s.AccountSID = "AC00000000000000000000000000000002"
	if err := s.Check(t.Context()); err == nil {
		t.Fatal("Check accepted an account SID the token does not belong to")
	}
}

func TestValidate(t *testing.T) {
	ok := twilio.Sender{AccountSID: testSID, AuthToken: testToken, From: testFrom}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	gatewaytest.RefusesEach(t, ok, "Validate", (*twilio.Sender).Validate, []gatewaytest.Refusal[twilio.Sender]{
		{Name: "no SID", Change: func(s *twilio.Sender) { s.AccountSID = "" }, Want: "account SID"},
		{Name: "no token", Change: func(s *twilio.Sender) { s.AuthToken = "" }, Want: "auth token"},
		{Name: "no From", Change: func(s *twilio.Sender) { s.From = "" }, Want: "From"},
		{Name: "bad API URL", Change: func(s *twilio.Sender) { s.APIURL = "api.twilio.com" }, Want: "API URL"},
		{Name: "bad callback", Change: func(s *twilio.Sender) { s.StatusCallback = "/status" }, Want: "status callback"},
		{Name: "negative timeout", Change: func(s *twilio.Sender) { s.Timeout = -time.Second }, Want: "timeout"},
	})
	gatewaytest.RefusesZero(t, new(twilio.Sender).Validate(), 3)
}

// assertNoBody fails if the SMS body or the code in it leaked into err,
// since errors end up in logs.
func assertNoBody(t *testing.T, err error) {
	t.Helper()
	gatewaytest.NoBody(t, err, testBody, testCode)
}
