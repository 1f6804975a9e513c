package web

import (
	"context"
	"net/http"

	"github.com/providerportal/portal/internal/oidc"
	"github.com/providerportal/portal/internal/store"
)

// oidcEndSession is RP-initiated logout: the provider decides whether the
// browser's portal session ends (its account is the one the application
// names) and where the browser goes; this gives it the session.
func (s *Server) oidcEndSession(w http.ResponseWriter, r *http.Request) {
	sess, err := s.session(w, r)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var b oidc.BrowserSession
	if sess != nil && sess.Stage == store.StageFull {
		b.Subject = s.oidc.Subject(sess.UserID)
		b.End = func(ctx context.Context) error {
			if c, err := r.Cookie(s.cookie.session); err == nil {
				if err := s.login.Logout(ctx, c.Value, s.client(r)); err != nil {
					return err
				}
			}
			s.clearSessionCookie(w)
			return nil
		}
	}
	s.oidc.Handler().ServeHTTP(w, r.WithContext(oidc.WithBrowserSession(r.Context(), b)))
}
