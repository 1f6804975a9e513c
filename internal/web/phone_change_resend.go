package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

func (s *Server) phoneChangeResend(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if _, err := s.login.StartPhoneChange(r.Context(), sess, sess.PendingPhone, s.client(r)); err != nil {
		var le *login.Error
		switch {
		case errors.As(err, &le) && le.Kind == login.KindReauthRequired:
			http.Redirect(w, r, "/my-details", http.StatusSeeOther)
		case errors.As(err, &le) && le.Kind == login.KindCodeExhausted:
			s.phoneChangeExhausted(w, r, sess)
		default:
			s.sendFailed(w, r, sess, err, changeScreen)
		}
		return
	}
	http.Redirect(w, r, "/my-details/phone/verify?m="+sentNoticeKey, http.StatusSeeOther)
}
