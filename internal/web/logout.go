package web

import "net/http"

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.cookie.session); err == nil {
		if err := s.login.Logout(r.Context(), c.Value, s.client(r)); err != nil {
			s.internalError(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login?m=logged-out", http.StatusSeeOther)
}
