package web

import (
	"net/http"
)

const changeTitle = "Confirm your new number"

func (s *Server) phoneChangeShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if sess.PendingPhone == "" {
		http.Redirect(w, r, "/my-details", http.StatusSeeOther)
		return
	}
	p, err := s.newCodePage(r, changeScreen, sess)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.renderCode(w, r, http.StatusOK, changeScreen, p)
}
