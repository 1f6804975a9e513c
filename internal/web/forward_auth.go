package web

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// Forward-auth: nginx (auth_request), Caddy (forward_auth) and Traefik
// (ForwardAuth) ask GET /auth/verify before they pass a request on to an
// application that does not speak OpenID Connect. The answer is the
// session's alone: one lookup of the session and its account, written to
// only when its last-seen time is a minute old (login.Authenticate), so
// that an application's traffic keeps the session alive without a write a
// request. No session is cached: a session ended on any instance (logout,
// an administrator, a deactivation) is refused by every instance at once.
// Which applications are for administrators only is asked of
// ForwardAuthHosts, which keeps the registry's list for a second
// (apps.ForwardAuthMaxAge), so that it costs no query a request.

// ForwardAuthHosts says whether a host belongs to a registered
// forward-auth application (`portal app create --forward-auth-host H`).
// The host is a lower-case name, with ":port" only when the port is not
// the scheme's default, and must match a registered host exactly. Only
// such hosts, and the portal's own origin, are places the portal sends a
// person back to after login.
type ForwardAuthHosts interface {
	ForwardAuthAllowed(ctx context.Context, host string) (bool, error)
	// ForwardAuthAdminsOnly reports whether host belongs to an
	// application for administrators only (`--admins-only`); with host
	// "" (not known), whether any forward-auth application is.
	ForwardAuthAdminsOnly(ctx context.Context, host string) (bool, error)
}

// Headers of a granted /auth/verify, as Authelia names them, so that an
// application configured for Authelia works unchanged.
const (
	headerRemoteUser   = "Remote-User"
	headerRemoteEmail  = "Remote-Email"
	headerRemoteName   = "Remote-Name"
	headerRemoteGroups = "Remote-Groups"
)

// maxReturnURL bounds the address a person is sent back to.
const maxReturnURL = 2048

// verify answers a reverse proxy: 200 with the Remote-* headers while the
// session is a complete login; otherwise 401 (with ?rd=1, 302) with the
// login page in Location, which brings the person back to the address the
// proxy was asked for.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	if sess, err := s.verifiedSession(r); err != nil {
		s.internalError(w, r, err)
		return
	} else if sess != nil {
		if ok, err := s.mayOpen(r, sess.User); err != nil {
			s.internalError(w, r, err)
			return
		} else if !ok {
			// nginx answers the person its own 403; Caddy and Traefik
			// pass this on.
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintln(w, "This application is for administrators only. Ask an administrator if you need it.")
			return
		}
		h := w.Header()
		h.Set(headerRemoteUser, headerValue(sess.User.Email))
		h.Set(headerRemoteEmail, headerValue(sess.User.Email))
		h.Set(headerRemoteName, headerValue(sess.User.Name))
		h.Set(headerRemoteGroups, strings.Join(groups(sess.User), ","))
		w.WriteHeader(http.StatusOK)
		return
	}
	target, err := s.returnTarget(r.Context(), s.forwardedURL(r))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	loginURL := s.baseURL.JoinPath("/login")
	if target != "" {
		loginURL.RawQuery = url.Values{"rd": {target}}.Encode()
	}
	// nginx's auth_request passes on only 2xx, 401 and 403: its
	// configuration redirects to Location on 401. Caddy and Traefik pass
	// the answer on as it is, so they ask for the redirect (?rd=1).
	w.Header().Set("Location", loginURL.String())
	status := http.StatusUnauthorized
	if r.URL.Query().Get("rd") == "1" {
		status = http.StatusFound
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, "Log in to continue.")
}

// verifiedSession is the request's session if it is a complete login,
// else nil. It sets no cookie: the answer goes to a proxy.
func (s *Server) verifiedSession(r *http.Request) (*login.Session, error) {
	c, err := r.Cookie(s.cookie.session)
	if err != nil {
		return nil, nil
	}
	sess, err := s.login.Authenticate(r.Context(), c.Value)
	if errors.Is(err, login.ErrNoSession) {
		return nil, nil
	}
	if err != nil || sess.Stage != store.StageFull {
		return nil, err
	}
	return sess, nil
}

// mayOpen reports whether u may open the application the proxy asks for:
// an administrator any, anyone else one not restricted to administrators.
// Only a non-administrator's answer asks the registry. When the proxy's
// host is not believed (no trusted X-Forwarded-Host), a non-administrator
// is refused while any forward-auth application is for administrators
// only: the portal cannot tell it is not that one.
func (s *Server) mayOpen(r *http.Request, u *store.User) (bool, error) {
	if u.Admin || s.forwardAuth == nil {
		return true, nil
	}
	host := ""
	if raw := s.forwardedURL(r); raw != "" {
		if fu, err := url.Parse(raw); err == nil {
			host = hostPort(fu)
		}
	}
	adminsOnly, err := s.forwardAuth.ForwardAuthAdminsOnly(r.Context(), host)
	if err != nil {
		return false, fmt.Errorf("web: forward-auth admins-only: %w", err)
	}
	return !adminsOnly, nil
}

// groups are the Remote-Groups of an account, the roles OpenID Connect
// gives too.
func groups(u *store.User) []string {
	if u.Admin {
		return []string{"provider", "admin"}
	}
	return []string{"provider"}
}

// headerValue keeps a name or address to what a header line can carry.
func headerValue(v string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, v)
}

// forwardedURL is the address the proxy was asked for, from
// X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Uri, believed only
// from a trusted proxy (PORTAL_TRUSTED_PROXIES) and only when each is
// given once; otherwise "".
func (s *Server) forwardedURL(r *http.Request) string {
	if peer, ok := peerAddr(r); !ok || !s.trusted(peer) {
		return ""
	}
	var parts [3]string
	for i, name := range []string{"X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Uri"} {
		v := r.Header.Values(name)
		if len(v) != 1 || v[0] == "" || (i < 2 && strings.Contains(v[0], ",")) {
			return ""
		}
		parts[i] = v[0]
	}
	if !strings.HasPrefix(parts[2], "/") {
		return ""
	}
	return parts[0] + "://" + parts[1] + parts[2]
}

// returnTarget is raw, normalised, when it is an address the portal may
// send a person to after login, else "". It must be an absolute https URL
// (http too while the portal itself runs on plain http) without user
// name or password, on the portal's own host or on the host of a
// registered forward-auth application that the session cookie reaches
// (PORTAL_COOKIE_DOMAIN): anywhere else would be an open redirect, or a
// loop of logins for a host that never sees the session.
func (s *Server) returnTarget(ctx context.Context, raw string) (string, error) {
	if raw == "" || len(raw) > maxReturnURL || strings.ContainsAny(raw, "\\ \t\r\n\x00") {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" || u.Host == "" {
		return "", nil
	}
	if u.Scheme != "https" && (u.Scheme != "http" || s.baseURL.Scheme != "http") {
		return "", nil
	}
	u.Host = strings.ToLower(u.Host)
	host := u.Hostname()
	if !apps.HostName(host) {
		return "", nil
	}
	// The portal's own origin is scheme, host and port alike: another
	// port of the same host is another server.
	own := u.Scheme == s.baseURL.Scheme && host == strings.ToLower(s.baseURL.Hostname()) &&
		effectivePort(u) == effectivePort(s.baseURL)
	if !own {
		if !s.cookie.reaches(host) || s.forwardAuth == nil {
			return "", nil
		}
		ok, err := s.forwardAuth.ForwardAuthAllowed(ctx, hostPort(u))
		if err != nil {
			return "", fmt.Errorf("web: forward-auth host: %w", err)
		}
		if !ok {
			return "", nil
		}
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String(), nil
}

// The return cookie carries the address to go back to across the steps of
// a login (password, code, perhaps the phone's registration and a second
// login); it is checked again when used, so a planted one can send the
// person nowhere returnTarget would not.
const returnCookieAge = 30 * 60 // seconds: the length of a login, with room

func (s *Server) setReturnCookie(w http.ResponseWriter, target string) {
	http.SetCookie(w, &http.Cookie{ // #nosec G124 -- HttpOnly and SameSite=Lax always; Secure whenever PORTAL_BASE_URL is https, off only for a plain-http base URL (local development)
		Name: s.cookie.back, Value: base64.RawURLEncoding.EncodeToString([]byte(target)), Path: "/",
		MaxAge: returnCookieAge, HttpOnly: true, Secure: s.cookie.secure, SameSite: http.SameSiteLaxMode,
	})
}

// afterLogin is where a complete login goes: back to the application the
// person came from, or the home page. The return cookie is used once.
func (s *Server) afterLogin(w http.ResponseWriter, r *http.Request) (string, error) {
	if _, err := r.Cookie(s.cookie.back); err != nil {
		return "/", nil
	}
	http.SetCookie(w, &http.Cookie{ // #nosec G124 -- HttpOnly and SameSite=Lax always; Secure whenever PORTAL_BASE_URL is https, off only for a plain-http base URL (local development)
		Name: s.cookie.back, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cookie.secure, SameSite: http.SameSiteLaxMode,
	})
	target, err := s.pendingReturn(r)
	if err != nil || target == "" {
		return "/", err
	}
	return target, nil
}

// pendingReturn is the checked address of the request's return cookie,
// or "".
func (s *Server) pendingReturn(r *http.Request) (string, error) {
	c, err := r.Cookie(s.cookie.back)
	if err != nil {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return "", nil
	}
	return s.returnTarget(r.Context(), string(raw))
}

// allowFormTarget lets the forms of this page lead to target's origin:
// browsers hold a form's redirects to the page's form-action, and the
// login's last form redirects to the application.
func allowFormTarget(w http.ResponseWriter, target string) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return
	}
	w.Header().Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+u.Scheme+"://"+u.Host, 1))
}

// effectivePort is u's port, or its scheme's default when it names none.
func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// hostPort is u's host as a forward-auth host is registered: the
// lower-case name, with ":port" only when the port is not the scheme's
// default.
func hostPort(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && !(u.Scheme == "https" && p == "443") && !(u.Scheme == "http" && p == "80") {
		return net.JoinHostPort(host, p)
	}
	return host
}
