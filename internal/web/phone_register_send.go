package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

func (s *Server) phoneRegisterSend(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	f := readPhoneForm(r)
	_, err := s.login.StartPhoneRegistration(r.Context(), sess, f.Phone, s.client(r))
	if err == nil {
		http.Redirect(w, r, "/login/phone", http.StatusSeeOther)
		return
	}
	var le *login.Error
	if !errors.As(err, &le) {
		s.internalError(w, r, err)
		return
	}
	switch le.Kind {
	case login.KindCodeExhausted, login.KindCodeLocked, login.KindChangedMeanwhile:
		s.codeFailed(w, r, sess, err, registerScreen)
		return
	case login.KindInvalidInput:
	default:
		// The number was fine but sending was not: the screen shows why
		// and offers to send again.
		http.Redirect(w, r, "/login/phone?m="+sendProblemKey(err), http.StatusSeeOther)
		return
	}
	p := &registerPage{codePage: codePage{chrome: s.newChrome(registerTitle, sess)}, Form: f}
	p.Errors = []problem{{Field: "phone", Message: le.Message}}
	s.render(w, r, http.StatusUnprocessableEntity, "register_phone", p)
}
