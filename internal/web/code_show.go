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
	if r.URL.Query().Get("m") == "sent-email" {
		p.Notice = "We emailed you a code. It may take a minute to arrive; check your junk folder too."
	}
	s.renderCode(w, r, http.StatusOK, loginScreen, p)
}
