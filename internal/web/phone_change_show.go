package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/store"
)

const changeTitle = "Confirm your new number"

func (s *Server) phoneChangeShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if sess.PendingPhone == "" {
		http.Redirect(w, r, "/my-details", http.StatusSeeOther)
		return
	}
	p, err := s.codePage(r, changeTitle, sess, store.PurposeChangePhone)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "change_phone_verify", p)
}
