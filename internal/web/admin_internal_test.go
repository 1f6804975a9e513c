package web

import (
	"net/url"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/admin/users":                  "/admin/users",
		"/admin/users/7":                "/admin/users/7",
		"/admin/users?q=pat&after=x":    "/admin/users?after=x&q=pat",
		"/admin":                        "/admin",
		"/admin/./users/../audit":       "/admin/audit",
		"/adminx":                       "/admin/users",
		"/admin/../my-details":          "/admin/users",
		"/admin/..%2f..%2fmy-details":   "/admin/users",
		"/admin/confirm?next=/x":        "/admin/users",
		"//evil.example/admin":          "/admin/users",
		"/\\evil.example/admin":         "/admin/users",
		"https://evil.example/admin":    "/admin/users",
		"http:/admin":                   "/admin/users",
		"javascript:alert(1)//admin":    "/admin/users",
		"admin/users":                   "/admin/users",
		"/admin/users\r\nLocation: //x": "/admin/users",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/admin/users?q=a", "//evil", "/admin/../x", "https://x/admin", "/admin/%2e%2e/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
		if u.Path != "/admin" && !strings.HasPrefix(u.Path, "/admin/") {
			t.Fatalf("safeNext(%q) = %q leaves the console", next, got)
		}
	})
}
