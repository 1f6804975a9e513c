package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/oidc"
)

// An application sends the person to the provider's authorize endpoint,
// which sends them here (oidc.LoginPath?id=…) to log in. A person already
// logged in goes straight back; one who is not logs in as always, and a
// cookie holding the request's id (never a URL: nothing to redirect
// elsewhere with) brings them back here from the home page afterwards.

// pendingMax bounds the request id the cookie may hold.
const pendingMax = 64

func (s *Server) pendingCookieName() string {
	if s.cookie.secure {
		return "__Host-portal_signin"
	}
	return "portal_signin"
}

func (s *Server) setPending(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{ // #nosec G124 -- HttpOnly and SameSite=Lax always; Secure whenever PORTAL_BASE_URL is https
		Name: s.pendingCookieName(), Value: id, Path: "/", MaxAge: int((30 * time.Minute).Seconds()),
		HttpOnly: true, Secure: s.cookie.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearPending(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{ // #nosec G124 -- as setPending
		Name: s.pendingCookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cookie.secure, SameSite: http.SameSiteLaxMode,
	})
}

// validRequestID reports whether id looks like a request id (base64url,
// bounded), so that nothing else is put in a URL.
func validRequestID(id string) bool {
	return id != "" && len(id) <= pendingMax && strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}

// oidcLogin resumes an application's sign-in request.
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if !validRequestID(id) {
		s.signinExpired(w, r)
		return
	}
	sess, err := s.session(w, r)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	next, err := s.oidc.Resume(r.Context(), id, sess)
	if errors.Is(err, oidc.ErrUnknownRequest) {
		s.clearPending(w)
		s.signinExpired(w, r)
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if next.Login {
		if next.EndSession {
			// The application asked for a fresh login: the one this
			// browser has ends first.
			if c, err := r.Cookie(s.cookie.session); err == nil {
				if err := s.login.Logout(r.Context(), c.Value, s.client(r)); err != nil {
					s.internalError(w, r, err)
					return
				}
			}
			s.clearSessionCookie(w)
		}
		s.setPending(w, id)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.clearPending(w)
	http.Redirect(w, r, next.Redirect, http.StatusSeeOther)
}

// resumePending sends a person who has just logged in back to the
// application that sent them, if one did; it reports whether it did.
func (s *Server) resumePending(w http.ResponseWriter, r *http.Request) bool {
	if s.oidc == nil {
		return false
	}
	c, err := r.Cookie(s.pendingCookieName())
	if err != nil {
		return false
	}
	s.clearPending(w)
	if !validRequestID(c.Value) {
		return false
	}
	http.Redirect(w, r, oidc.LoginPath+"?id="+url.QueryEscape(c.Value), http.StatusSeeOther)
	return true
}

func (s *Server) signinExpired(w http.ResponseWriter, r *http.Request) {
	s.renderMessage(w, r, http.StatusBadRequest, "Sign-in expired",
		"This sign-in to an application has expired or is not known. Go back to the application and sign in again.", "/", "Home")
}
