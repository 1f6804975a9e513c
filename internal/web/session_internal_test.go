package web

import (
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	s := &Server{proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	tests := []struct {
		remote, xff, want string
	}{
		{"192.0.2.1:5000", "", "192.0.2.1"},
		{"192.0.2.1:5000", "203.0.113.7", "192.0.2.1"},                // untrusted peer: header ignored
		{"10.1.2.3:5000", "203.0.113.7", "203.0.113.7"},               // trusted proxy
		{"10.1.2.3:5000", "198.51.100.1, 203.0.113.7", "203.0.113.7"}, // nearest untrusted hop, not the spoofable first
		{"10.1.2.3:5000", "203.0.113.7, 10.9.9.9", "203.0.113.7"},
		{"10.1.2.3:5000", "garbage", "10.1.2.3"},
		{"[::ffff:192.0.2.1]:5000", "", "192.0.2.1"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := s.clientIP(r); got != tt.want {
			t.Errorf("clientIP(%s, %q) = %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
}

func FuzzClientIP(f *testing.F) {
	f.Add("10.1.2.3:5000", "203.0.113.7, 10.9.9.9")
	f.Add("192.0.2.1:1", "")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		s := &Server{proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		ip := s.clientIP(r)
		host, _, err := net.SplitHostPort(remote)
		if err != nil {
			host = remote
		}
		peer, err := netip.ParseAddr(host)
		if err != nil {
			return
		}
		peerIP := peer.Unmap().String()
		if !s.trusted(peer) && ip != peerIP {
			t.Fatalf("untrusted peer %s, but client IP %s taken from X-Forwarded-For %q", remote, ip, xff)
		}
		if ip != peerIP {
			a, err := netip.ParseAddr(ip)
			inHeader := false
			for _, hop := range strings.Split(xff, ",") {
				h, err := netip.ParseAddr(strings.TrimSpace(hop))
				inHeader = inHeader || (err == nil && h.Unmap().String() == ip)
			}
			if err != nil || s.trusted(a) || !inHeader {
				t.Fatalf("client IP %q from X-Forwarded-For %q is not an untrusted hop in it", ip, xff)
			}
		}
	})
}
