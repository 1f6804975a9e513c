package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

// phoneChangeSend is Update. If the last full login is older than the
// re-authentication limit, it first asks for the password, keeping the
// number that was typed.
func (s *Server) phoneChangeSend(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p := s.newMyDetailsPage(sess)
	p.Form = readPhoneForm(r)
	if !s.login.Fresh(sess, login.ProofPassword) {
		if sess = s.reauthenticate(w, r, sess, p); sess == nil {
			return
		}
	}
	_, err := s.login.StartPhoneChange(r.Context(), sess, p.Form.Phone, s.client(r))
	le := s.toCodeScreen(w, r, err, "/my-details/phone/verify", login.KindInvalidInput, login.KindCodeExhausted)
	switch {
	case le == nil:
		return
	case le.Kind == login.KindCodeExhausted:
		s.phoneChangeExhausted(w, r, sess)
		return
	}
	p.Errors = []problem{{Field: "phone", Message: le.Message}}
	s.render(w, r, http.StatusUnprocessableEntity, "my_details", p)
}

// reauthenticate checks the password of a login too old to change the
// number and returns the renewed session; without the password, or with a
// wrong one, it shows My Details again asking for it, keeping the number,
// and returns nil.
func (s *Server) reauthenticate(w http.ResponseWriter, r *http.Request, sess *login.Session, p *myDetailsPage) *login.Session {
	if p.Form.password == "" {
		p.ConfirmPassword = true
		if p.Form.passwordSent {
			p.Errors = []problem{{"password", "Enter your password."}}
		}
		s.render(w, r, http.StatusOK, "my_details", p)
		return nil
	}
	next, err := s.login.Reauthenticate(r.Context(), sess, p.Form.password, s.client(r))
	if err != nil {
		pr, ok := userProblem(err, "password")
		if !ok {
			s.internalError(w, r, err)
			return nil
		}
		p.ConfirmPassword = true
		p.Errors = []problem{pr}
		s.render(w, r, waitStatus(w, err, http.StatusUnprocessableEntity), "my_details", p)
		return nil
	}
	s.setSessionCookie(w, next.Token)
	return next
}
