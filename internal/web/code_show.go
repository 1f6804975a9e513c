package web

import (
	"net/http"
)

func (s *Server) codeShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p, err := s.newCodePage(r, loginScreen, sess)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.renderCode(w, r, http.StatusOK, loginScreen, p)
}
