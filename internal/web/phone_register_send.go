package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

func (s *Server) phoneRegisterSend(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return
	}
	raw := r.PostForm.Get("phone")
	_, err := s.login.StartPhoneRegistration(r.Context(), sess, raw, s.client(r))
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
		s.codeFailed(w, r, sess, err, "register_phone", registerTitle, store.PurposeRegisterPhone)
		return
	case login.KindInvalidInput:
	default:
		// The number was fine but sending was not: the screen shows why
		// and offers to send again.
		http.Redirect(w, r, "/login/phone?m="+sendProblemKey(err), http.StatusSeeOther)
		return
	}
	p := s.newPage(registerTitle, sess)
	p.Form.Phone = raw
	p.Errors = []problem{{Field: "phone", Message: le.Message}}
	s.render(w, r, http.StatusUnprocessableEntity, "register_phone", p)
}
