package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/phone"
	"github.com/providerportal/portal/internal/store"
)

// My Details and its Multi-factor Authentication section: a new number,
// Update, a code to the NEW number, Verify Code. The old number stays in
// force until the code is entered.

func (s *Server) myDetailsPage(sess *login.Session) *page {
	p := s.newPage("My Details", sess)
	if sess.User.Phone != "" {
		p.MaskedPhone = phone.Mask(sess.User.Phone)
	}
	return p
}

func (s *Server) myDetailsShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p := s.myDetailsPage(sess)
	if r.URL.Query().Get("m") == "phone-changed" {
		p.Notice = "Your phone number has been changed. Login codes now go to " + p.MaskedPhone + ", and your other devices were logged out."
	}
	s.render(w, r, http.StatusOK, "my_details", p)
}

// phoneChangeSend is Update. If the last full login is older than the
// re-authentication limit, it first asks for the password, keeping the
// number that was typed.
func (s *Server) phoneChangeSend(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return
	}
	raw := r.PostForm.Get("phone")
	p := s.myDetailsPage(sess)
	p.Form.Phone = raw

	if !s.login.Fresh(sess, login.ProofPassword) {
		pw := r.PostForm.Get("password")
		if pw == "" {
			p.ConfirmPassword = true
			if _, has := r.PostForm["password"]; has {
				p.Errors = []problem{{"password", "Enter your password."}}
			}
			s.render(w, r, http.StatusOK, "my_details", p)
			return
		}
		next, err := s.login.Reauthenticate(r.Context(), sess, pw, s.client(r))
		if err != nil {
			pr, ok := userProblem(err, "password")
			if !ok {
				s.internalError(w, r, err)
				return
			}
			p.ConfirmPassword = true
			p.Errors = []problem{pr}
			s.render(w, r, waitStatus(w, err, http.StatusUnprocessableEntity), "my_details", p)
			return
		}
		s.setSessionCookie(w, next.Token)
		sess = next
	}

	_, err := s.login.StartPhoneChange(r.Context(), sess, raw, s.client(r))
	if err == nil {
		http.Redirect(w, r, "/my-details/phone/verify", http.StatusSeeOther)
		return
	}
	var le *login.Error
	if !errors.As(err, &le) {
		s.internalError(w, r, err)
		return
	}
	switch le.Kind {
	case login.KindCodeExhausted:
		s.phoneChangeExhausted(w, r, sess)
		return
	case login.KindInvalidInput:
	default:
		http.Redirect(w, r, "/my-details/phone/verify?m="+sendProblemKey(err), http.StatusSeeOther)
		return
	}
	p.Errors = []problem{{Field: "phone", Message: le.Message}}
	s.render(w, r, http.StatusUnprocessableEntity, "my_details", p)
}

const changeTitle = "Confirm your new number"

func (s *Server) phoneChangeShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if sess.PendingPhone == "" {
		http.Redirect(w, r, "/my-details", http.StatusSeeOther)
		return
	}
	p, err := s.codePage(r, changeTitle, sess, store.PurposeChangePhone)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "change_phone_verify", p)
}

func (s *Server) phoneChangeVerify(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return
	}
	if sess.PendingPhone == "" {
		http.Redirect(w, r, "/my-details", http.StatusSeeOther)
		return
	}
	err := s.login.VerifyPhoneChange(r.Context(), sess, r.PostForm.Get("code"), s.client(r))
	var le *login.Error
	switch {
	case err == nil:
		http.Redirect(w, r, "/my-details?m=phone-changed", http.StatusSeeOther)
	case errors.As(err, &le) && le.Kind == login.KindReauthRequired:
		// The code took too long: confirm the password, keeping the number.
		p := s.myDetailsPage(sess)
		p.Form.Phone = sess.PendingPhone
		p.ConfirmPassword = true
		p.Errors = []problem{{Message: le.Message}}
		s.render(w, r, http.StatusOK, "my_details", p)
	case errors.As(err, &le) && le.Kind == login.KindCodeExhausted:
		s.phoneChangeExhausted(w, r, sess)
	default:
		s.codeFailed(w, r, sess, err, "change_phone_verify", changeTitle, store.PurposeChangePhone)
	}
}

func (s *Server) phoneChangeResend(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if sess.PendingPhone == "" {
		http.Redirect(w, r, "/my-details", http.StatusSeeOther)
		return
	}
	if _, err := s.login.StartPhoneChange(r.Context(), sess, sess.PendingPhone, s.client(r)); err != nil {
		var le *login.Error
		switch {
		case errors.As(err, &le) && le.Kind == login.KindReauthRequired:
			http.Redirect(w, r, "/my-details", http.StatusSeeOther)
		case errors.As(err, &le) && le.Kind == login.KindCodeExhausted:
			s.phoneChangeExhausted(w, r, sess)
		default:
			s.sendFailed(w, r, sess, err, "change_phone_verify", changeTitle, store.PurposeChangePhone)
		}
		return
	}
	http.Redirect(w, r, "/my-details/phone/verify", http.StatusSeeOther)
}

// phoneChangeExhausted ends a change whose code was tried too often; the
// person may start again with the number.
func (s *Server) phoneChangeExhausted(w http.ResponseWriter, r *http.Request, sess *login.Session) {
	if err := s.login.CancelPhoneChange(r.Context(), sess); err != nil {
		s.internalError(w, r, err)
		return
	}
	p := s.myDetailsPage(sess)
	p.Errors = []problem{{Field: "phone", Message: "The code was entered wrongly too many times. Your number was not changed. Enter the new number again to get a new code."}}
	s.render(w, r, http.StatusUnprocessableEntity, "my_details", p)
}

func (s *Server) phoneChangeCancel(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if err := s.login.CancelPhoneChange(r.Context(), sess); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/my-details", http.StatusSeeOther)
}
