package web

import "net/http"

// phoneChangeCancel drops the number waiting for its code, then goes back
// to where a number is typed: My Details for a change, Update Phone Number
// ("Use a different number") for a registration.
func (s *Server) phoneChangeCancel(back string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := sessionOf(r)
		if err := s.login.CancelPhoneChange(r.Context(), sess); err != nil {
			s.internalError(w, r, err)
			return
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
}
