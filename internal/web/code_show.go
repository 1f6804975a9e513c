package web

import (
	"net/http"
)

// codeShow is a code screen: the login's, or the new number's after
// Update on My Details.
func (s *Server) codeShow(sc codeScreen) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.newCodePage(r, sc, sessionOf(r))
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		s.renderCode(w, r, http.StatusOK, sc, p)
	}
}
