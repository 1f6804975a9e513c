package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/apps"
)

func (s *Server) homeShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if s.resumePending(w, r) {
		return
	}
	p := s.newPage("Home", sess)
	p.LastLogin = sess.User.LastLoginAt
	list, err := s.login.Store.ListApplications(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p.Applications = apps.For(list, sess.User)
	s.render(w, r, http.StatusOK, "home", p)
}
