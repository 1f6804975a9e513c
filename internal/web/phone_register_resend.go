package web

import (
	"net/http"
)

func (s *Server) phoneRegisterResend(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if _, err := s.login.StartPhoneRegistration(r.Context(), sess, sess.PendingPhone, s.client(r)); err != nil {
		s.sendFailed(w, r, sess, err, registerScreen)
		return
	}
	http.Redirect(w, r, "/login/phone?m="+sentNoticeKey, http.StatusSeeOther)
}
