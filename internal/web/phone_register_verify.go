package web

import (
	"net/http"
)

func (s *Server) phoneRegisterVerify(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if err := s.login.VerifyPhoneRegistration(r.Context(), sess, r.PostForm.Get("code"), s.client(r)); err != nil {
		s.codeFailed(w, r, sess, err, registerScreen)
		return
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login?m=phone-registered", http.StatusSeeOther)
}
