package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

func (s *Server) phoneRegisterSend(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	f := readPhoneForm(r)
	_, err := s.login.StartPhoneRegistration(r.Context(), sess, f.Phone, s.client(r))
	le := s.toCodeScreen(w, r, err, "/login/phone", login.KindInvalidInput, login.KindCodeExhausted, login.KindCodeLocked, login.KindChangedMeanwhile)
	switch {
	case le == nil:
		return
	case le.Kind != login.KindInvalidInput:
		s.codeFailed(w, r, sess, err, registerScreen)
		return
	}
	p := &registerPage{codePage: codePage{chrome: s.newChrome(registerTitle, sess)}, Form: f}
	p.Errors = []problem{{Field: "phone", Message: le.Message}}
	s.render(w, r, http.StatusUnprocessableEntity, "register_phone", p)
}
