package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/store"
)

func (s *Server) codeShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p, err := s.codePage(r, "Enter your code", sess, store.PurposeLogin)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if r.URL.Query().Get("m") == "sent-email" {
		p.Notice = "We emailed you a code. It may take a minute to arrive; check your junk folder too."
	}
	s.render(w, r, http.StatusOK, "code", p)
}
