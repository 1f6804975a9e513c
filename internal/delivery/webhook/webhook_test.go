package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/delivery/gatewaytest"
	"github.com/providerportal/portal/internal/delivery/webhook"
	"github.com/providerportal/portal/internal/delivery/webhooktest"
)

const (
	testTo   = "+447700900123"
	testBody = "Your Provider Portal code is 493027. It expires in 10 minutes.\n\n@portal.example #493027"
	testCode = "493027"
)

var testSecret = []byte("test-secret-0123456789abcdef0123456789")

func newSender(t *testing.T) (*webhook.Sender, *webhooktest.Server) {
	t.Helper()
	srv := webhooktest.NewServer(testSecret)
	t.Cleanup(srv.Close)
	return &webhook.Sender{URL: srv.URL(), Secret: testSecret, Timeout: 5 * time.Second}, srv
}

func TestSend(t *testing.T) {
	s, srv := newSender(t)
	before := time.Now().Truncate(time.Second)
	if err := s.SendSMS(t.Context(), delivery.SMS{ID: "msg-0001", To: testTo, Body: testBody}); err != nil {
		t.Fatal(err)
	}
	m, err := srv.Wait(t.Context(), testTo)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "msg-0001" || m.To != testTo || m.Body != testBody {
		t.Errorf("server got %+v", m)
	}
	if m.Timestamp.Before(before) || m.Timestamp.After(time.Now()) {
		t.Errorf("timestamp %v, want about now", m.Timestamp)
	}

	// Sent again (a retry after a lost answer): accepted, not recorded twice.
	if err := s.SendSMS(t.Context(), delivery.SMS{ID: "msg-0001", To: testTo, Body: testBody}); err != nil {
		t.Fatal(err)
	}
	if n, d := len(srv.Messages()), srv.Duplicates(); n != 1 || d != 1 {
		t.Errorf("server has %d messages and %d duplicates, want 1 and 1", n, d)
	}
}

func TestSendWithoutIDMakesOne(t *testing.T) {
	s, srv := newSender(t)
	for range 2 {
		if err := s.SendSMS(t.Context(), delivery.SMS{To: testTo, Body: testBody}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 2 || len(msgs[0].ID) != 32 || msgs[0].ID == msgs[1].ID {
		t.Errorf("messages %+v, want two with distinct random ids", msgs)
	}
}

// TestSendWireFormat pins the request byte for byte. The expected
// signature was computed apart from this package, with
//
//	printf '%s' '1700000000.{"id":"msg-0001",…}' | openssl dgst -sha256 -hmac "$secret"
func TestSendWireFormat(t *testing.T) {
	type captured struct {
		method, contentType, timestamp, signature string
		body                                      []byte
	}
	got := make(chan captured, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- captured{r.Method, r.Header.Get("Content-Type"), r.Header.Get(webhook.TimestampHeader),
			r.Header.Get(webhook.SignatureHeader), body}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)

	s := &webhook.Sender{URL: receiver.URL, Secret: testSecret,
		Clock: func() time.Time { return time.Unix(1700000000, 0) }}
	if err := s.SendSMS(t.Context(), delivery.SMS{ID: "msg-0001", To: testTo, Body: testBody}); err != nil {
		t.Fatal(err)
	}
	c := <-got
	wantBody := `{"id":"msg-0001","to":"+447700900123","body":"Your Provider Portal code is 493027. It expires in 10 minutes.\n\n@portal.example #493027"}`
	const wantSig = "sha256=17988998f20ce6fa584746eb9ad0df2ec040340c72dd1033878fd08baa764164"
	if c.method != http.MethodPost || c.contentType != "application/json" || c.timestamp != "1700000000" ||
		string(c.body) != wantBody || c.signature != wantSig {
		t.Errorf("request %s %q, timestamp %q, signature %q, body\n%s\nwant POST application/json, 1700000000, %s, body\n%s",
			c.method, c.contentType, c.timestamp, c.signature, c.body, wantSig, wantBody)
	}
	if err := webhook.Verify(testSecret, c.timestamp, c.signature, c.body, time.Unix(1700000010, 0), time.Minute); err != nil {
		t.Errorf("Verify of the sent request: %v", err)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter time.Duration
		permanent  bool
		hint       time.Duration
	}{
		{http.StatusMovedPermanently, 0, true, 0},
		{http.StatusFound, 0, true, 0},
		{http.StatusBadRequest, 0, true, 0},
		{http.StatusUnauthorized, 0, true, 0},
		{http.StatusForbidden, 0, true, 0},
		{http.StatusNotFound, 0, true, 0},
		{http.StatusUnprocessableEntity, 0, true, 0},
		{http.StatusRequestTimeout, 0, false, 0},
		{http.StatusTooManyRequests, 0, false, 0},
		{http.StatusTooManyRequests, 5 * time.Second, false, 5 * time.Second},
		{http.StatusInternalServerError, 0, false, 0},
		{http.StatusInternalServerError, 5 * time.Second, false, 0}, // Retry-After only counts on 429 and 503
		{http.StatusBadGateway, 0, false, 0},
		{http.StatusServiceUnavailable, 30 * time.Second, false, 30 * time.Second},
		{http.StatusGatewayTimeout, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d retry %v", tt.status, tt.retryAfter), func(t *testing.T) {
			s, srv := newSender(t)
			srv.FailNext(tt.status, tt.retryAfter)

			err := s.SendSMS(t.Context(), delivery.SMS{ID: "m1", To: testTo, Body: testBody})
			var whErr *webhook.Error
			if !errors.As(err, &whErr) || whErr.Status != tt.status {
				t.Fatalf("err = %v, want *webhook.Error with status %d", err, tt.status)
			}
			if got := errors.Is(err, delivery.ErrPermanent); got != tt.permanent {
				t.Errorf("errors.Is(err, ErrPermanent) = %v, want %v", got, tt.permanent)
			}
			d, ok := delivery.RetryAfter(err)
			if d != tt.hint || ok != (tt.hint > 0) {
				t.Errorf("delivery.RetryAfter = %v, %v; want %v", d, ok, tt.hint)
			}
			assertNoBody(t, err)
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server kept %d messages after a failure", n)
			}
			// The fault is used up; the same message goes through now.
			if err := s.SendSMS(t.Context(), delivery.SMS{ID: "m1", To: testTo, Body: testBody}); err != nil {
				t.Errorf("second attempt: %v", err)
			}
		})
	}
}

func TestSendRefusedSignature(t *testing.T) {
	tests := []struct {
		name   string
		change func(*webhook.Sender)
	}{
		{"other secret", func(s *webhook.Sender) { s.Secret = []byte(strings.Repeat("x", 32)) }},
		{"clock ten minutes slow", func(s *webhook.Sender) { s.Clock = func() time.Time { return time.Now().Add(-10 * time.Minute) } }},
		{"clock ten minutes fast", func(s *webhook.Sender) { s.Clock = func() time.Time { return time.Now().Add(10 * time.Minute) } }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv := newSender(t)
			tt.change(s)
			err := s.SendSMS(t.Context(), delivery.SMS{ID: "m1", To: testTo, Body: testBody})
			var whErr *webhook.Error
			if !errors.As(err, &whErr) || whErr.Status != http.StatusUnauthorized || !errors.Is(err, delivery.ErrPermanent) {
				t.Fatalf("err = %v, want a permanent 401", err)
			}
			if !strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q does not point at the secret or clocks", err)
			}
			if srv.Refused() != 1 || len(srv.Messages()) != 0 {
				t.Errorf("server refused %d and kept %d", srv.Refused(), len(srv.Messages()))
			}
		})
	}
}

func TestSendRedirectNotFollowed(t *testing.T) {
	_, srv := newSender(t)
	redirect := httptest.NewServer(http.RedirectHandler(srv.URL(), http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)

	s := &webhook.Sender{URL: redirect.URL, Secret: testSecret}
	err := s.SendSMS(t.Context(), delivery.SMS{ID: "m1", To: testTo, Body: testBody})
	if !errors.Is(err, delivery.ErrPermanent) || !strings.Contains(err.Error(), "307") {
		t.Fatalf("err = %v, want a permanent error naming 307", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the redirect was followed: %d messages arrived", n)
	}
}

func TestSendDownAndUp(t *testing.T) {
	s, srv := newSender(t)
	srv.Down(time.Minute)
	err := s.SendSMS(t.Context(), delivery.SMS{ID: "m1", To: testTo, Body: testBody})
	if d, ok := delivery.RetryAfter(err); !ok || d != time.Minute || errors.Is(err, delivery.ErrPermanent) {
		t.Fatalf("err = %v (retry %v, %v), want a temporary error asking for a minute", err, d, ok)
	}
	srv.Up()
	if err := s.SendSMS(t.Context(), delivery.SMS{ID: "m1", To: testTo, Body: testBody}); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server has %d messages, want 1", n)
	}
}

func TestSendTimeout(t *testing.T) {
	s, srv := newSender(t)
	srv.Slow(time.Minute)
	gatewaytest.TimesOut(t, func(d time.Duration) { s.Timeout = d }, func(ctx context.Context) error {
		return s.SendSMS(ctx, delivery.SMS{ID: "m1", To: testTo, Body: testBody})
	}, testBody, testCode)
}

func TestSendNetworkErrorIsTemporary(t *testing.T) {
	s, srv := newSender(t)
	srv.Close()
	err := s.SendSMS(t.Context(), delivery.SMS{ID: "m1", To: testTo, Body: testBody})
	gatewaytest.Temporary(t, err, testBody, testCode)
}

func TestSendResponseBodyNeverInError(t *testing.T) {
	// A receiver that echoes the request in its error page.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write(body)
	}))
	t.Cleanup(echo.Close)
	s := &webhook.Sender{URL: echo.URL, Secret: testSecret}
	err := s.SendSMS(t.Context(), delivery.SMS{ID: "m1", To: testTo, Body: testBody})
	if err == nil {
		t.Fatal("a 500 was taken as sent")
	}
	assertNoBody(t, err)
}

func TestSendRefusesBadInput(t *testing.T) {
	s, srv := newSender(t)
	for _, m := range []delivery.SMS{{To: testTo}, {Body: testBody}} {
		if err := s.SendSMS(t.Context(), m); !errors.Is(err, delivery.ErrPermanent) {
			t.Errorf("SendSMS(%+v) = %v, want a permanent error", m, err)
		}
	}
	s.Secret = nil
	err := s.SendSMS(t.Context(), delivery.SMS{To: testTo, Body: testBody})
	if !errors.Is(err, delivery.ErrPermanent) || !strings.Contains(err.Error(), "secret") {
		t.Errorf("SendSMS without a secret = %v, want a permanent configuration error", err)
	}
	assertNoBody(t, err)
	if n := len(srv.Messages()) + srv.Refused(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestValidateAndCheck(t *testing.T) {
	ok := webhook.Sender{URL: "https://sms.example/send", Secret: testSecret}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for _, u := range []string{"http://127.0.0.1:8080/sms", "http://localhost/sms", "http://[::1]:9/sms"} {
		s := ok
		s.URL = u
		if err := s.Check(t.Context()); err != nil {
			t.Errorf("Check with %s: %v", u, err)
		}
	}
	check := func(s *webhook.Sender) error { return s.Check(t.Context()) }
	gatewaytest.RefusesEach(t, ok, "Check", check, []gatewaytest.Refusal[webhook.Sender]{
		{Name: "no URL", Change: func(s *webhook.Sender) { s.URL = "" }, Want: "URL is required"},
		{Name: "relative URL", Change: func(s *webhook.Sender) { s.URL = "/sms" }, Want: "absolute"},
		{Name: "other scheme", Change: func(s *webhook.Sender) { s.URL = "ftp://sms.example/" }, Want: "absolute"},
		{Name: "plain http off loopback", Change: func(s *webhook.Sender) { s.URL = "http://sms.example/send" }, Want: "https"},
		{Name: "no secret", Change: func(s *webhook.Sender) { s.Secret = nil }, Want: "secret is required"},
		{Name: "short secret", Change: func(s *webhook.Sender) { s.Secret = []byte("short") }, Want: "at least 32 bytes"},
		{Name: "negative timeout", Change: func(s *webhook.Sender) { s.Timeout = -time.Second }, Want: "timeout"},
	})
	gatewaytest.RefusesZero(t, new(webhook.Sender).Validate(), 2)
}

// assertNoBody fails if the SMS body or its code leaked into err, since
// errors end up in logs.
func assertNoBody(t *testing.T, err error) {
	t.Helper()
	gatewaytest.NoBody(t, err, testBody, testCode)
}
