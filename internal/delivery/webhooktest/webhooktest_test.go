package webhooktest_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery/webhook"
	"github.com/providerportal/portal/internal/delivery/webhooktest"
)

var secret = []byte("webhooktest-secret-0123456789abcdef")

// post sends a raw request signed with key (or unsigned if key is nil),
// so the server is tested on its own and not only through the sender.
func post(t *testing.T, srv *webhooktest.Server, key []byte, contentType, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if key != nil {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set(webhook.TimestampHeader, ts)
		req.Header.Set(webhook.SignatureHeader, webhook.Sign(key, ts, []byte(body)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

const good = `{"id":"m1","to":"+447700900123","body":"code 123456"}`

func TestReceive(t *testing.T) {
	srv := webhooktest.NewServer(secret)
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") || !strings.HasSuffix(srv.URL(), webhooktest.Path) {
		t.Errorf("URL = %s, want loopback and %s", srv.URL(), webhooktest.Path)
	}
	if resp := post(t, srv, secret, "application/json; charset=utf-8", good); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].ID != "m1" || msgs[0].To != "+447700900123" || msgs[0].Body != "code 123456" ||
		time.Since(msgs[0].Timestamp) > time.Minute {
		t.Errorf("Messages = %+v", msgs)
	}
	if resp := post(t, srv, secret, "application/json", good); resp.StatusCode != http.StatusOK {
		t.Errorf("repeat: status = %d, want 200", resp.StatusCode)
	}
	if len(srv.Messages()) != 1 || srv.Duplicates() != 1 {
		t.Errorf("after a repeat: %d messages, %d duplicates", len(srv.Messages()), srv.Duplicates())
	}
}

func TestReceiveRejects(t *testing.T) {
	tests := []struct {
		name        string
		key         []byte
		contentType string
		body        string
		status      int
		refused     bool
	}{
		{"unsigned", nil, "application/json", good, 401, true},
		{"other secret", []byte("another-secret-0123456789abcdef012"), "application/json", good, 401, true},
		{"not JSON", secret, "text/plain", good, 415, false},
		{"malformed", secret, "application/json", `{"id":`, 400, false},
		{"no id", secret, "application/json", `{"to":"+447700900123","body":"hi"}`, 400, false},
		{"no to", secret, "application/json", `{"id":"m1","body":"hi"}`, 400, false},
		{"no body", secret, "application/json", `{"id":"m1","to":"+447700900123"}`, 400, false},
		{"unknown field", secret, "application/json", `{"id":"m1","to":"+1","body":"hi","x":1}`, 400, false},
		{"two objects", secret, "application/json", good + good, 400, false},
		{"too large", secret, "application/json", `{"id":"m1","to":"+1","body":"` + strings.Repeat("x", 70<<10) + `"}`, 413, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := webhooktest.NewServer(secret)
			defer srv.Close()
			if resp := post(t, srv, tt.key, tt.contentType, tt.body); resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("recorded %d messages", n)
			}
			if got := srv.Refused() == 1; got != tt.refused {
				t.Errorf("Refused = %d", srv.Refused())
			}
		})
	}

	srv := webhooktest.NewServer(secret)
	defer srv.Close()
	resp, err := http.Get(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", resp.StatusCode)
	}
}

func TestFailNextQueue(t *testing.T) {
	srv := webhooktest.NewServer(secret)
	defer srv.Close()
	srv.FailNext(http.StatusBadRequest, 0)
	srv.FailNext(http.StatusTooManyRequests, 2500*time.Millisecond)

	// An unsigned request does not use up a fault.
	post(t, srv, nil, "application/json", good)
	resp := post(t, srv, secret, "application/json", good)
	if resp.StatusCode != 400 || resp.Header.Get("Retry-After") != "" {
		t.Errorf("first: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	resp = post(t, srv, secret, "application/json", good)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("second: %d, Retry-After %q; want 429 and 3", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := post(t, srv, secret, "application/json", good); resp.StatusCode != 202 {
		t.Errorf("third: %d", resp.StatusCode)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("Messages has %d, want 1", n)
	}
}

func TestDownUpSlow(t *testing.T) {
	srv := webhooktest.NewServer(secret)
	defer srv.Close()

	srv.Down(10 * time.Second)
	resp := post(t, srv, secret, "application/json", good)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "10" {
		t.Errorf("down: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	srv.Down()
	if resp := post(t, srv, secret, "application/json", good); resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "" {
		t.Errorf("Down(): %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	srv.Up()
	srv.Slow(200 * time.Millisecond)
	start := time.Now()
	if resp := post(t, srv, secret, "application/json", good); resp.StatusCode != 202 {
		t.Errorf("up: %d", resp.StatusCode)
	}
	if elapsed := time.Since(start); elapsed < 200*time.Millisecond {
		t.Errorf("Slow: answered after %v", elapsed)
	}
}

func TestNextAndWait(t *testing.T) {
	srv := webhooktest.NewServer(secret)
	defer srv.Close()
	got := make(chan webhooktest.Message, 1)
	go func() {
		m, err := srv.Wait(context.Background(), "+447700900002")
		if err != nil {
			t.Error(err)
		}
		got <- m
	}()
	post(t, srv, secret, "application/json", `{"id":"a","to":"+447700900001","body":"first"}`)
	post(t, srv, secret, "application/json", `{"id":"b","to":"+447700900002","body":"second"}`)
	if m := <-got; m.ID != "b" {
		t.Errorf("Wait returned %+v", m)
	}
	if m, err := srv.Next(t.Context()); err != nil || m.ID != "a" {
		t.Fatalf("Next = %+v, %v", m, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := srv.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next with nothing left = %v", err)
	}
}
