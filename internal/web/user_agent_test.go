package web

import (
	"regexp"
	"testing"

	"github.com/providerportal/portal/internal/tabletest"
)

func TestShortBrowser(t *testing.T) {
	tabletest.Check(t, "shortBrowser", shortBrowser, map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.7511.94 Safari/537.36":                                       "Chrome 156 on Linux",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.7511.94 Safari/537.36":                               "Headless Chrome 156 on Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.3485.54":               "Edge 140 on Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15":                           "Safari 18 on macOS",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1":         "Safari 18 on iPhone",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/138.0.7204.156 Mobile/15E148 Safari/604.1": "Chrome 138 on iPhone",
		"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36":      "Samsung Internet 28 on Android",
		"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Mobile Safari/537.36":                                 "Chrome 139 on Android",
		"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0":                                                                  "Firefox 141 on Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36 OPR/121.0.0.0":                   "Opera 121 on Windows",
		"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36":                                  "Chrome 138 on ChromeOS",
		"curl/8.14.1":               "curl 8",
		"Go-http-client/1.1":        "Go HTTP client 1",
		"Chrome/":                   "Chrome",
		"<script>alert(1)</script>": "Unknown browser",
		"Linux 12345678901234":      "Unknown browser on Linux",
		"Chrome/12345678901234":     "Chrome 123456",
		"":                          "",
		"   ":                       "",
	})
}

// shortBrowserForm is every answer shortBrowser may give: its own words
// and a version of at most six digits.
var shortBrowserForm = regexp.MustCompile(`^([A-Za-z][A-Za-z ]*( [0-9]{1,6})?( on [A-Za-z]+)?)?$`)

// FuzzShortBrowser: the header is written by the client, so whatever it
// holds the answer is short, of the shortener's own words, and never
// holds the header's other text.
func FuzzShortBrowser(f *testing.F) {
	for _, s := range []string{"", "curl/8.1", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36",
		"Version/1 Safari/ iPhone", "Edg/\x00\xff", "Firefox/９９"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		got := shortBrowser(ua)
		if len(got) > 40 || !shortBrowserForm.MatchString(got) {
			t.Fatalf("shortBrowser(%q) = %q", ua, got)
		}
	})
}
