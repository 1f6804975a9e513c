package web

import (
	"net/http"
	"time"

	"github.com/providerportal/portal/internal/apps"
)

// homePage is the home page: the login before this one (zero: this is
// the first) and the person's applications.
type homePage struct {
	chrome
	PreviousLogin time.Time
	Applications  []apps.Link
}

func (s *Server) homeShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if s.resumePending(w, r) {
		return
	}
	list, err := s.records.ListApplications(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p := &homePage{chrome: s.newChrome("Home", sess), PreviousLogin: sess.PreviousLoginAt, Applications: apps.For(list, sess.User)}
	s.render(w, r, http.StatusOK, "home", p)
}
