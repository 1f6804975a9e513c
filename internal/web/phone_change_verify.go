package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

func (s *Server) phoneChangeVerify(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	err := s.login.VerifyPhoneChange(r.Context(), sess, r.PostForm.Get("code"), s.client(r))
	var le *login.Error
	switch {
	case err == nil:
		http.Redirect(w, r, "/my-details?m=phone-changed", http.StatusSeeOther)
	case errors.As(err, &le) && le.Kind == login.KindReauthRequired:
		// The code took too long: confirm the password, keeping the number.
		p := s.newMyDetailsPage(sess)
		p.Form.Phone = sess.PendingPhone
		p.ConfirmPassword = true
		p.Errors = []problem{{Message: le.Message}}
		s.render(w, r, http.StatusOK, "my_details", p)
	case errors.As(err, &le) && le.Kind == login.KindCodeExhausted:
		s.phoneChangeExhausted(w, r, sess)
	default:
		s.codeFailed(w, r, sess, err, changeScreen)
	}
}

// phoneChangeExhausted ends a change whose code was tried too often; the
// person may start again with the number.
func (s *Server) phoneChangeExhausted(w http.ResponseWriter, r *http.Request, sess *login.Session) {
	if err := s.login.CancelPhoneChange(r.Context(), sess); err != nil {
		s.internalError(w, r, err)
		return
	}
	p := s.newMyDetailsPage(sess)
	p.Errors = []problem{{Field: "phone", Message: "The code was entered wrongly too many times. Your number was not changed. Enter the new number again to get a new code."}}
	s.render(w, r, http.StatusUnprocessableEntity, "my_details", p)
}
