package web_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestLayoutFaviconAndSkipLink: every page names its icon, which is
// served (browsers otherwise ask for /favicon.ico on every page and get a
// 404), and starts with a link past the bar to the main content.
func TestLayoutFaviconAndSkipLink(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/login", "/forgot-password", "/no-such-page"} {
		r := e.get(e.browser(), path)
		icon := regexp.MustCompile(`<link rel="icon" href="([^"]+)" type="image/svg\+xml">`).FindStringSubmatch(r.body)
		if icon == nil {
			t.Fatalf("%s links no icon:\n%s", path, r.body)
		}
		got := e.get(e.browser(), icon[1])
		if got.status != 200 || got.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(got.body, "<svg") {
			t.Errorf("%s: the icon %s answers %d %q", path, icon[1], got.status, got.header.Get("Content-Type"))
		}
		body := r.body[strings.Index(r.body, "<body>"):]
		skip := `<a class="skip-link" href="#main">Skip to main content</a>`
		if !strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(body, "<body>")), skip) || !strings.Contains(body, `<main id="main">`) {
			t.Errorf("%s does not start with %s leading to <main id=\"main\">:\n%s", path, skip, body)
		}
	}
}
