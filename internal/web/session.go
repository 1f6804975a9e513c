package web

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// cookieNames depend on the scheme: over HTTPS the session cookie carries
// the __Host- prefix (Secure, no Domain, Path=/), which browsers only accept
// over a secure connection; on plain-HTTP localhost for development it goes
// without prefix and without Secure. With PORTAL_COOKIE_DOMAIN it is scoped
// to that parent domain, for the forward-auth applications on its other
// hosts, and so carries the __Secure- prefix instead (__Host- forbids a
// Domain). The return cookie (forward_auth.go) is only ever the portal's.
type cookieNames struct {
	session string
	back    string // the address to go back to after login
	domain  string // "" unless PORTAL_COOKIE_DOMAIN
	secure  bool
}

func cookieNamesFor(u *url.URL, domain string) (cookieNames, error) {
	if domain == "" {
		if u.Scheme == "https" {
			return cookieNames{session: "__Host-portal_session", back: "__Host-portal_return", secure: true}, nil
		}
		return cookieNames{session: "portal_session", back: "portal_return"}, nil
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme != "https" || (host != domain && !strings.HasSuffix(host, "."+domain)) {
		return cookieNames{}, fmt.Errorf("web: cookie domain %q needs an https base URL on it or under it, not %q", domain, u.String())
	}
	return cookieNames{session: "__Secure-portal_session", back: "__Host-portal_return", domain: domain, secure: true}, nil
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

// requireStage returns the session if it is at stage. Otherwise it sends
// the person where they belong (to log in, or to the step they are at) and
// returns nil: a half-finished login reaches no page of another stage.
func (s *Server) requireStage(w http.ResponseWriter, r *http.Request, stage store.Stage) *login.Session {
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
func (s *Server) client(r *http.Request) login.Client {
	return login.Client{IP: s.clientIP(r), UserAgent: userAgent(r)}
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

// isLoopback reports whether the request comes straight from this machine
// (not through a proxy).
func isLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Unmap().IsLoopback() {
		return false
	}
	return r.Header.Get("X-Forwarded-For") == "" && r.Header.Get("Forwarded") == ""
}
