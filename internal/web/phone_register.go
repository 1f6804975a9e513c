package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// The Update Phone Number screen of the first login with MFA: enter the
// number, Send Verification Code, enter the code, Verify Code, log in
// again.

const registerTitle = "Update Phone Number"

func (s *Server) phoneRegisterShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p, err := s.registerPage(r, sess)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "register_phone", p)
}

// registerPage shows the number form, or the code form once a code was
// sent to a pending number.
func (s *Server) registerPage(r *http.Request, sess *login.Session) (*page, error) {
	p, err := s.codePage(r, registerTitle, sess, store.PurposeRegisterPhone)
	if err != nil {
		return nil, err
	}
	switch {
	case sess.PendingPhone == "":
		p.Code = codeView{}
	case !p.Code.Sent:
		// Sending failed: offer the number again, to correct or retry.
		p.Form.Phone = sess.PendingPhone
		if p.Code.Undelivered && len(p.Errors) == 0 {
			p.Errors = []problem{{Field: "phone", Message: "The code could not be sent to " + p.Code.Destination + ". Check that this is a mobile number in international format, then click Send Verification Code again."}}
		}
	}
	return p, nil
}

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

func (s *Server) phoneRegisterVerify(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return
	}
	if sess.PendingPhone == "" {
		http.Redirect(w, r, "/login/phone", http.StatusSeeOther)
		return
	}
	if err := s.login.VerifyPhoneRegistration(r.Context(), sess, r.PostForm.Get("code"), s.client(r)); err != nil {
		s.codeFailed(w, r, sess, err, "register_phone", registerTitle, store.PurposeRegisterPhone)
		return
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login?m=phone-registered", http.StatusSeeOther)
}

func (s *Server) phoneRegisterResend(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if sess.PendingPhone == "" {
		http.Redirect(w, r, "/login/phone", http.StatusSeeOther)
		return
	}
	if _, err := s.login.StartPhoneRegistration(r.Context(), sess, sess.PendingPhone, s.client(r)); err != nil {
		s.sendFailed(w, r, sess, err, "register_phone", registerTitle, store.PurposeRegisterPhone)
		return
	}
	http.Redirect(w, r, "/login/phone", http.StatusSeeOther)
}

func (s *Server) phoneRegisterDifferent(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if err := s.login.CancelPhoneChange(r.Context(), sess); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/login/phone", http.StatusSeeOther)
}
