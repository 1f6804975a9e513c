package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/tabletest"
)

func TestReadable(t *testing.T) {
	tabletest.Check(t, "readable", readable, map[string]bool{
		"":                          true,
		"Pat Example":               true,
		"Zoë 李 ☃":                   true,
		"line one\r\nline two\tend": true,
		"pat\x00@example.org":       false,
		"pat\xff@example.org":       false,
		"half a letter \xc3":        false,
		"escape \x1b[31m":           false,
		"delete \x7f":               false,
		"C1 control \u0085":         false,
	})
}

// testServer is a Server with its pages, enough for the middleware: no
// store behind it.
func testServer(t testing.TB) *Server {
	s, err := New(Config{Login: &login.Service{}, Admin: &admin.Service{}, Records: struct{ Records }{}, BaseURL: "http://localhost"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzReadableInput: whatever the query string and form body, a page sees
// only readable text, and the answer otherwise is the plain 400 or 413.
func FuzzReadableInput(f *testing.F) {
	for _, s := range [][2]string{
		{"q=pat", "email=pat%40example.org&password=violet+tractor"},
		{"q=%FF", ""},
		{"after=pat%00", ""},
		{"", "email=pat%00%40example.org"},
		{"", "name=%1B%5B31mEve"},
		{"", "reason=Ticket%0D%0A4711"},
		{"%zz=1", "a=%G1&b"},
		{"", strings.Repeat("a", maxFormBytes+1)},
		{"m=sent", "x=1&x=%C3"},
	} {
		f.Add(s[0], s[1], true)
	}
	s := testServer(f)
	f.Fuzz(func(t *testing.T, query, body string, post bool) {
		reached := false
		h := limitBodies(s.readableInput(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reached = true
			for k, vs := range r.URL.Query() {
				for _, v := range append(vs, k) {
					if !readable(v) {
						t.Fatalf("a page got the query value %q", v)
					}
				}
			}
			if err := r.ParseForm(); err == nil {
				for k, vs := range r.PostForm {
					for _, v := range append(vs, k) {
						if !readable(v) {
							t.Fatalf("a page got the form value %q", v)
						}
					}
				}
			}
			w.WriteHeader(http.StatusNoContent)
		})))
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		r := httptest.NewRequest(method, "/", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch {
		case reached && w.Code == http.StatusNoContent:
		case !reached && (w.Code == http.StatusBadRequest || w.Code == http.StatusRequestEntityTooLarge):
			if !strings.Contains(w.Body.String(), "What was sent was too long or garbled.") {
				t.Fatalf("refused without the plain message:\n%s", w.Body)
			}
		default:
			t.Fatalf("status %d, page reached: %v", w.Code, reached)
		}
	})
}

func TestUserAgent(t *testing.T) {
	tabletest.Check(t, "userAgent", userAgentOf, map[string]string{
		"Mozilla/5.0":                       "Mozilla/5.0",
		strings.Repeat("a", 300):            strings.Repeat("a", 256),
		strings.Repeat("a", 255) + "é":      strings.Repeat("a", 255), // never half a letter
		"Mozilla/5.0 \xff\xfe":              "Mozilla/5.0 \uFFFD",
		"Mozilla/5.0\x00\x1b[31m red \x7f!": "Mozilla/5.0[31m red !",
	})
}

// userAgentOf is what userAgent keeps of a request sent with ua as its
// User-Agent header.
func userAgentOf(ua string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("User-Agent", ua)
	return userAgent(r)
}

// FuzzUserAgent: what the audit log keeps of a User-Agent is readable, at
// most 256 bytes, and a readable one that fits is kept as it is.
func FuzzUserAgent(f *testing.F) {
	for _, s := range []string{"Mozilla/5.0 (X11; Linux x86_64)", strings.Repeat("a", 255) + "é", "\xff\xfe", "a\x00b", strings.Repeat("日本", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["User-Agent"] = []string{ua} // as sent, unchecked
		got := userAgent(r)
		if !utf8.ValidString(got) || len(got) > userAgentMax || strings.ContainsFunc(got, unicode.IsControl) {
			t.Fatalf("userAgent(%q) = %q", ua, got)
		}
		if readable(ua) && !strings.ContainsFunc(ua, unicode.IsControl) && len(ua) <= userAgentMax && got != ua {
			t.Fatalf("userAgent(%q) = %q, changed a readable one", ua, got)
		}
	})
}
