package smtp_test

import (
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/delivery/smtp"
)

func TestNewURL(t *testing.T) {
	tests := []struct {
		url  string
		want string // String(), or "" for an error
	}{
		{"smtp://mail.example.com", "smtp://mail.example.com:587"},
		{"smtps://mail.example.com", "smtps://mail.example.com:465"},
		{"SMTP://mail.example.com:25", "smtp://mail.example.com:25"},
		{"smtp://user:pa%40ss@mail.example.com:2525/", "smtp://user@mail.example.com:2525"},
		{"smtp://apikey:x@[2001:db8::1]", "smtp://apikey@[2001:db8::1]:587"},
		{"smtp://127.0.0.1:1025", "smtp://127.0.0.1:1025"},
		{"http://mail.example.com", ""},
		{"mail.example.com:587", ""},
		{"smtp:mail.example.com", ""},
		{"smtp://", ""},
		{"smtp://:587", ""},
		{"smtp://mail.example.com:0", ""},
		{"smtp://mail.example.com:70000", ""},
		{"smtp://mail.example.com:abc", ""},
		{"smtp://user@mail.example.com", ""},
		{"smtp://:pass@mail.example.com", ""},
		{"smtp://mail.example.com/path", ""},
		{"smtp://mail.example.com?tls=off", ""},
		{"smtp://mail.example.com#x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		m, err := smtp.New(tt.url, "a@example.com")
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("New(%q) = %s, want an error", tt.url, m)
		case tt.want != "" && err != nil:
			t.Errorf("New(%q): %v", tt.url, err)
		case tt.want != "" && m.String() != tt.want:
			t.Errorf("New(%q).String() = %q, want %q", tt.url, m.String(), tt.want)
		}
	}
}

func TestNewFrom(t *testing.T) {
	for _, from := range []string{"no-reply@portal.example", "Provider Portal <no-reply@portal.example>", `"Portal, Inc." <a@b.example>`} {
		if _, err := smtp.New("smtp://localhost", from); err != nil {
			t.Errorf("New with from %q: %v", from, err)
		}
	}
	for _, from := range []string{"", "portal", "Portal <>", "a@b.example, c@d.example"} {
		if _, err := smtp.New("smtp://localhost", from); err == nil {
			t.Errorf("New accepted from %q", from)
		}
	}
}

func TestNewErrorHidesPassword(t *testing.T) {
	for _, raw := range []string{
		"smtp://user:s3cret@mail.example.com:bad",
		"smtp://user:s3cret@mail example.com",
		"smtp://user:s3cret@mail.example.com/path",
		"smtp://user:s3cret%zz@mail.example.com",
		"ftp://user:s3cret@mail.example.com",
		"smtp://user:s3cret/x@mail.example.com", // unescaped "/" puts the password in the host
		"smtp://user:s3cret#x@mail.example.com",
	} {
		_, err := smtp.New(raw, "a@example.com")
		if err == nil {
			t.Errorf("New(%q) succeeded", raw)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("New(%q): error shows the password: %v", raw, err)
		}
	}
}

// FuzzParseURL checks that no relay URL makes New panic, that errors are
// one plain line that never shows the password, and that accepted URLs
// describe themselves without it.
func FuzzParseURL(f *testing.F) {
	for _, seed := range []string{
		"smtp://mail.example.com", "smtps://u:p@mail.example.com:465", "smtp://[::1]:25",
		"smtp://u:p@h:0", "smtp://%zz", "smtp://h/p?q#f", "smtp:opaque", "smtp://u@h", "",
	} {
		f.Add(seed)
	}
	const secret = "Pw-7f3a9c"
	f.Fuzz(func(t *testing.T, raw string) {
		check := func(raw string) {
			m, err := smtp.New(raw, "a@example.com")
			if err != nil {
				msg := err.Error()
				if !strings.HasPrefix(msg, "smtp: ") || strings.ContainsAny(msg, "\r\n") {
					t.Errorf("New(%q): error %q is not one plain line", raw, msg)
				}
				if strings.Contains(msg, secret) {
					t.Errorf("New(%q): error shows the password: %q", raw, msg)
				}
				return
			}
			if s := m.String(); strings.Contains(s, secret) || !strings.HasPrefix(s, "smtp") {
				t.Errorf("New(%q).String() = %q", raw, s)
			}
		}
		check(raw)
		// The password sits in front of whatever else the input is; the
		// last "@" ends the user information, so raw cannot move the
		// password into the host.
		check("smtp://user:" + secret + "@" + raw)
		// An unescaped "/", "?" or "#" in a password ends the host early,
		// leaving the password where the host should be.
		check("smtp://user:" + secret + "/" + raw)
		check("smtp://user:" + secret + "#" + raw)
	})
}
