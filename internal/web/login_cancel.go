package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/store"
)

// loginCancel abandons a half-finished login.
func (s *Server) loginCancel(w http.ResponseWriter, r *http.Request) {
	sess, err := s.session(w, r)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if sess != nil && sess.Stage != store.StageFull {
		if err := s.login.Abandon(r.Context(), sess); err != nil {
			s.internalError(w, r, err)
			return
		}
		s.clearSessionCookie(w)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
