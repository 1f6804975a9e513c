package web

import "net/http"

func (s *Server) phoneChangeCancel(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if err := s.login.CancelPhoneChange(r.Context(), sess); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/my-details", http.StatusSeeOther)
}
