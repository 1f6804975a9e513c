package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// Who reaches the console: the routes under /admin are registered behind
// requireAdmin (Handler), which answers before any handler reads a form, so
// a crafted request of a non-administrator does nothing. The rules
// themselves are admin.Service.Authorize.

// freshKey says, behind requireAdminStale, whether the login is fresh.
type freshKey struct{}

// requireAdmin lets through a fully logged-in administrator whose login is
// fresh. Anyone else is answered: no session → log in; a half-finished
// login → back to its step; not an administrator → 403; a login older than
// the limit → confirm it is you (a GET is sent there, a POST shows it in
// place and is not carried out).
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return s.requireStage(store.StageFull)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := sessionOf(r)
		err := s.admin.Authorize(s.actor(r, sess))
		switch {
		case err == nil:
			next.ServeHTTP(w, r)
		case errors.Is(err, admin.ErrForbidden):
			s.forbidden(w, r, sess)
		case errors.Is(err, admin.ErrStale):
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/admin/confirm?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.stepUpPage(w, r, sess, http.StatusOK, safeNext(postReturn(r)), true)
		default:
			s.internalError(w, r, err)
		}
	}))
}

// requireAdminStale is requireAdmin for the confirmation pages themselves:
// an administrator whose login is too old is let through, and loginFresh
// tells the handler whether it still is.
func (s *Server) requireAdminStale(next http.Handler) http.Handler {
	return s.requireStage(store.StageFull)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := sessionOf(r)
		err := s.admin.Authorize(s.actor(r, sess))
		switch {
		case err == nil || errors.Is(err, admin.ErrStale):
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), freshKey{}, err == nil)))
		case errors.Is(err, admin.ErrForbidden):
			s.forbidden(w, r, sess)
		default:
			s.internalError(w, r, err)
		}
	}))
}

// loginFresh reports, behind requireAdminStale, whether the
// administrator's login is fresh.
func loginFresh(r *http.Request) bool {
	fresh, _ := r.Context().Value(freshKey{}).(bool)
	return fresh
}

func (s *Server) actor(r *http.Request, sess *login.Session) admin.Actor {
	return admin.Actor{Session: sess, Client: s.client(r)}
}

// forbidden is the 403 page; it says no more than that.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, sess *login.Session) {
	s.render(w, r, http.StatusForbidden, "message",
		&messagePage{s.newChrome("No access", sess), "You do not have access to this page.", "/", "Go to the start"})
}

// postReturn is the page to come back to after confirming a login that was
// too old for a POST: the user's page for an action on a user, the list
// for an action on an application, else the page of the form.
func postReturn(r *http.Request) string {
	if id := r.PathValue("id"); id != "" {
		return "/admin/users/" + url.PathEscape(id)
	}
	if r.PathValue("client") != "" {
		return "/admin/applications"
	}
	return r.URL.Path
}

// safeNext returns next if it is a page of the console on this site, else
// the user list: the confirmation page never sends anyone elsewhere.
func safeNext(next string) string {
	const fallback = "/admin/users"
	if next == "" || len(next) > 1024 || strings.ContainsAny(next, "\\\x00\r\n\t") || strings.HasPrefix(next, "//") {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(next, "/") {
		return fallback
	}
	clean := path.Clean(u.Path)
	if clean != "/admin" && !strings.HasPrefix(clean, "/admin/") || strings.HasPrefix(clean, "/admin/confirm") {
		return fallback
	}
	out := (&url.URL{Path: clean}).EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.Query().Encode()
	}
	return out
}

func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}
