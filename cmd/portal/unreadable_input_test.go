package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/store"
)

// TestUnreadableInputOnPostgres sends text PostgreSQL cannot store (bytes
// that are not UTF-8, NUL) through the forms anyone can reach, and a
// User-Agent long enough to be cut. PostgreSQL refuses such text outright,
// which was an internal error (500) at the first query; SQLite stores it.
func TestUnreadableInputOnPostgres(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts the portal on PostgreSQL")
	}
	p := startPortal(t, onPostgres(t))
	p.createUser(t, "pat@example.org", "Pat Example", "+447546123456")

	post := func(path, userAgent string, form url.Values) (int, string) {
		t.Helper()
		req, err := formRequest("POST", p.BaseURL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("User-Agent", userAgent)
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const ua = "Mozilla/5.0"
	// 255 bytes, then a two-byte letter: cut at 256 bytes, it was half a letter.
	longUA := strings.Repeat("a", 255) + "é"
	tests := []struct {
		name, path, userAgent string
		form                  url.Values
	}{
		{"email not UTF-8", "/login", ua, url.Values{"email": {"pat\xff@example.org"}, "password": {"wrong password here"}}},
		{"email with NUL", "/login", ua, url.Values{"email": {"pat\x00@example.org"}, "password": {"wrong password here"}}},
		{"forgotten password, email not UTF-8", "/forgot-password", ua, url.Values{"email": {"pat\xff@example.org"}}},
		{"User-Agent cut in a letter", "/login", longUA, url.Values{"email": {"pat@example.org"}, "password": {"wrong password here"}}},
	}
	for _, tt := range tests {
		status, body := post(tt.path, tt.userAgent, tt.form)
		if status >= 500 {
			t.Errorf("%s: status %d\n%.300s", tt.name, status, body)
		}
	}

	// A wrong password is kept in the audit log whatever the User-Agent:
	// one PostgreSQL could not store lost the event.
	for name, userAgent := range map[string]string{"cut in a letter": longUA, "not UTF-8": "Mozilla/5.0 \xff\xfe"} {
		before := p.auditCount(t, "login.password")
		if status, _ := post("/login", userAgent, url.Values{"email": {"pat@example.org"}, "password": {"wrong password here"}}); status != http.StatusUnprocessableEntity {
			t.Errorf("User-Agent %s: wrong password answered %d", name, status)
		}
		if after := p.auditCount(t, "login.password"); after != before+1 {
			t.Errorf("User-Agent %s: %d login.password events, want %d: the wrong password is missing from the audit log", name, after, before+1)
		}
	}
}

// auditCount is the number of audit events named event.
func (p *testPortal) auditCount(t *testing.T, event string) int {
	t.Helper()
	events, err := p.App.DB.ListAudit(t.Context(), store.AuditQuery{Event: event, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(events)
}
