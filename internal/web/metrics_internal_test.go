package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRouteLabel: the metrics name a request by the pattern that served
// it, never by its path or query, and call unknown paths "other".
func TestRouteLabel(t *testing.T) {
	mux := http.NewServeMux()
	for _, p := range []string{"GET /{$}", "GET /reset-password", "GET /admin/users/{id}", "/admin/", "/"} {
		mux.HandleFunc(p, func(http.ResponseWriter, *http.Request) {})
	}
	for _, c := range []struct{ method, target, route, methodLabel string }{
		{"GET", "/", "/{$}", "GET"},
		{"GET", "/reset-password?token=secret-token", "/reset-password", "GET"},
		{"HEAD", "/reset-password?token=secret-token", "/reset-password", "HEAD"},
		{"GET", "/admin/users/42", "/admin/users/{id}", "GET"},
		{"GET", "/admin/secret-token", "other", "GET"},
		{"GET", "/secret-token", "other", "GET"},
		{"BREW", "/reset-password", "other", "other"},
	} {
		r := httptest.NewRequest(c.method, c.target, nil)
		mux.ServeHTTP(httptest.NewRecorder(), r)
		if got := route(r); got != c.route {
			t.Errorf("%s %s: route %q, want %q", c.method, c.target, got, c.route)
		}
		if got := method(r.Method); got != c.methodLabel {
			t.Errorf("%s %s: method %q, want %q", c.method, c.target, got, c.methodLabel)
		}
	}
}
