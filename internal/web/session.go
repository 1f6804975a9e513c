package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// cookieNames depend on the scheme: over HTTPS the session and device
// cookies carry the __Host- prefix (Secure, no Domain, Path=/), which
// browsers only accept over a secure connection; on plain-HTTP localhost
// for development they go without prefix and without Secure. With
// PORTAL_COOKIE_DOMAIN the session cookie is scoped to that parent domain,
// for the forward-auth applications on its other hosts, and so carries the
// __Secure- prefix instead (__Host- forbids a Domain). The device cookie and
// the return cookie (forward_auth.go) are only ever the portal's.
type cookieNames struct {
	session string
	device  string
	back    string // the address to go back to after login
	domain  string // "" unless PORTAL_COOKIE_DOMAIN
	secure  bool
}

func cookieNamesFor(u *url.URL, domain string) (cookieNames, error) {
	if domain == "" {
		if u.Scheme == "https" {
			return cookieNames{session: "__Host-portal_session", device: "__Host-portal_device", back: "__Host-portal_return", secure: true}, nil
		}
		return cookieNames{session: "portal_session", device: "portal_device", back: "portal_return"}, nil
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme != "https" || (host != domain && !strings.HasSuffix(host, "."+domain)) {
		return cookieNames{}, fmt.Errorf("web: cookie domain %q needs an https base URL on it or under it, not %q", domain, u.String())
	}
	return cookieNames{session: "__Secure-portal_session", device: "__Host-portal_device", back: "__Host-portal_return", domain: domain, secure: true}, nil
}

// reaches reports whether the session cookie is sent to host.
func (c cookieNames) reaches(host string) bool {
	host = strings.ToLower(host)
	return c.domain != "" && (host == c.domain || strings.HasSuffix(host, "."+c.domain))
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{ // #nosec G124 -- HttpOnly and SameSite=Lax always; Secure whenever PORTAL_BASE_URL is https, off only for a plain-http base URL (local development)
		Name: s.cookie.session, Value: token, Path: "/", Domain: s.cookie.domain,
		HttpOnly: true, Secure: s.cookie.secure, SameSite: http.SameSiteLaxMode,
		// No Expires: the server ends sessions (idle 30 minutes, absolute
		// 12 hours); the browser forgets the cookie when it closes.
	})
}

// setDeviceCookie leaves the device token of a completed login in the
// browser (login.Session.Device; nothing if empty). It outlives sessions
// and logouts: it is what lets this browser past a lock that others set
// on the account with wrong passwords.
func (s *Server) setDeviceCookie(w http.ResponseWriter, token string) {
	if token == "" {
		return
	}
	ttl := s.login.Rules.DeviceTokenTTL
	http.SetCookie(w, &http.Cookie{ // #nosec G124 -- HttpOnly and SameSite=Lax always; Secure whenever PORTAL_BASE_URL is https, off only for a plain-http base URL (local development)
		Name: s.cookie.device, Value: token, Path: "/",
		MaxAge: int(ttl / time.Second), Expires: time.Now().Add(ttl),
		HttpOnly: true, Secure: s.cookie.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{ // #nosec G124 -- HttpOnly and SameSite=Lax always; Secure whenever PORTAL_BASE_URL is https, off only for a plain-http base URL (local development)
		Name: s.cookie.session, Value: "", Path: "/", Domain: s.cookie.domain, MaxAge: -1,
		HttpOnly: true, Secure: s.cookie.secure, SameSite: http.SameSiteLaxMode,
	})
}

// session returns the live session of the request, or nil.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (*login.Session, error) {
	c, err := r.Cookie(s.cookie.session)
	if err != nil {
		return nil, nil
	}
	sess, err := s.login.Authenticate(r.Context(), c.Value)
	if errors.Is(err, login.ErrNoSession) {
		s.clearSessionCookie(w)
		return nil, nil
	}
	return sess, err
}

// stagePath is where a session at stage belongs.
func stagePath(stage store.Stage) string {
	switch stage {
	case store.StageCode:
		return "/login/code"
	case store.StageRegisterPhone:
		return "/login/phone"
	default:
		return "/"
	}
}

// sessionKey carries the session a route group's check let through.
type sessionKey struct{}

// sessionOf is the session that requireStage or requireAdmin let through
// to the handler of the request.
func sessionOf(r *http.Request) *login.Session {
	sess, _ := r.Context().Value(sessionKey{}).(*login.Session)
	return sess
}

func withSession(r *http.Request, sess *login.Session) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess))
}

// requireStage is the check of the routes of one login stage: it lets
// through only a session at stage (sessionOf gives it to the handler).
// Anyone else is sent where they belong (to log in, or to the step they
// are at): a half-finished login reaches no page of another stage.
func (s *Server) requireStage(stage store.Stage) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if sess := s.sessionAt(w, r, stage); sess != nil {
				next.ServeHTTP(w, withSession(r, sess))
			}
		})
	}
}

// requirePendingPhone is the check of the routes that act on a number
// waiting for its code (its screen, Verify Code, send again): without one
// (it was confirmed or dropped meanwhile) the person goes back to where a
// number is typed.
func requirePendingPhone(back string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if sessionOf(r).PendingPhone == "" {
				http.Redirect(w, r, back, http.StatusSeeOther)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// sessionAt returns the session if it is at stage; otherwise it answers
// and returns nil.
func (s *Server) sessionAt(w http.ResponseWriter, r *http.Request, stage store.Stage) *login.Session {
	_, cookieErr := r.Cookie(s.cookie.session)
	sess, err := s.session(w, r)
	if err != nil {
		s.internalError(w, r, err)
		return nil
	}
	if sess == nil {
		target := "/login"
		if cookieErr == nil {
			// There was a session, and it is over: say why the person is
			// asked to log in again.
			target = "/login?m=ended"
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	if sess.Stage != stage {
		http.Redirect(w, r, stagePath(sess.Stage), http.StatusSeeOther)
		return nil
	}
	return sess
}

// client describes the request for throttles and the audit log. The
// address is the connection's peer, or, when that peer is a trusted proxy,
// the nearest untrusted address in X-Forwarded-For.
//
// Device is the browser's device cookie, which the password step checks.
func (s *Server) client(r *http.Request) login.Client {
	c := login.Client{IP: s.clientIP(r), UserAgent: userAgent(r)}
	if d, err := r.Cookie(s.cookie.device); err == nil {
		c.Device = d.Value
	}
	return c
}

func (s *Server) clientIP(r *http.Request) string {
	addr, ok := peerAddr(r)
	if !ok {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		return host
	}
	if !s.trusted(addr) {
		return addr.Unmap().String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trusted(hop) {
			return hop.Unmap().String()
		}
	}
	return addr.Unmap().String()
}

// peerAddr is the address of the connection's peer.
func peerAddr(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	return addr, err == nil
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// isLoopback reports whether the request comes straight from this machine,
// not through a proxy: from a loopback address, with no header that a
// proxy adds (X-Real-IP, X-Forwarded-*, Forwarded, Via and the like), and
// addressed to a loopback name, since a proxy on this machine that adds
// no header still passes on the public Host it was asked for.
func isLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Unmap().IsLoopback() {
		return false
	}
	// Every header a proxy names a client or a hop with: Via, anything
	// "Forwarded" (Forwarded, X-Forwarded, X-Forwarded-*,
	// X-Original-Forwarded-For, …) and anything ending in "-IP" (X-Real-IP,
	// True-Client-IP, CF-Connecting-IP, Fastly-Client-IP, …).
	for name := range r.Header {
		name = http.CanonicalHeaderKey(name)
		if name == "Via" || strings.Contains(name, "Forwarded") || strings.HasSuffix(name, "-Ip") {
			return false
		}
	}
	return loopbackName(r.Host)
}

// loopbackName reports whether a Host header (with or without a port)
// names this machine: localhost, a name under .localhost (RFC 6761), or a
// loopback address.
func loopbackName(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
