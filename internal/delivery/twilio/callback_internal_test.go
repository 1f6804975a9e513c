package twilio

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzOtherPort: the second URL a signature may be made for differs from
// the first only in its port, and going back and forth from a URL without
// a port returns it.
func FuzzOtherPort(f *testing.F) {
	for _, s := range []string{"https://portal.example.org/twilio/status", "https://portal.example.org:443/x?y=1", "http://u:p@h:8080/a#f",
		"http://[::1]/", "https://h:/x", "ftp://h/x", "https:///x", "https://h?q=http://x:1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		other := otherPort(raw)
		if other == "" {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("otherPort(%q) = %q for an unparsable URL", raw, other)
		}
		v, err := url.Parse(other)
		if err != nil {
			t.Fatalf("otherPort(%q) = %q, which does not parse: %v", raw, other, err)
		}
		if u.Scheme != v.Scheme || u.Hostname() != v.Hostname() || u.User.String() != v.User.String() ||
			u.EscapedPath() != v.EscapedPath() || u.RawQuery != v.RawQuery || u.Fragment != v.Fragment {
			t.Fatalf("otherPort(%q) = %q changes more than the port", raw, other)
		}
		if u.Port() == v.Port() {
			t.Fatalf("otherPort(%q) = %q keeps the port", raw, other)
		}
		if u.Port() == "" && !strings.HasSuffix(u.Host, ":") && otherPort(other) != raw {
			t.Fatalf("otherPort(otherPort(%q)) = %q", raw, otherPort(other))
		}
	})
}
