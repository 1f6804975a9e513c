package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

// stepUpForm reads the form of a confirmation step; done is true when the
// request has been answered already.
func (s *Server) stepUpForm(w http.ResponseWriter, r *http.Request) (sess *login.Session, next string, done bool) {
	sess, fresh := sessionOf(r), loginFresh(r)
	next = safeNext(r.PostForm.Get("next"))
	if fresh {
		// Confirmed already, for example in another tab.
		http.Redirect(w, r, next, http.StatusSeeOther) // #nosec G710 -- next comes from safeNext: a path under /admin/ on this site
		return nil, "", true
	}
	return sess, next, false
}

// stepUpPassword checks the password and sends a code (or, when MFA does
// not apply to the account, renews the login at once).
func (s *Server) stepUpPassword(w http.ResponseWriter, r *http.Request) {
	sess, nextPage, done := s.stepUpForm(w, r)
	if done {
		return
	}
	v := stepUpView{Next: nextPage}
	pw := r.PostForm.Get("password")
	if pw == "" {
		s.renderStepUp(w, r, sess, http.StatusUnprocessableEntity, v, []problem{{"password", "Enter your password."}})
		return
	}
	next, needCode, err := s.login.StartStepUp(r.Context(), sess, pw, s.client(r))
	switch {
	case err == nil && !needCode:
		s.setSessionCookie(w, next.Token)
		http.Redirect(w, r, nextPage, http.StatusSeeOther) // #nosec G710 -- nextPage comes from safeNext, via stepUpForm
	case err == nil:
		v.Code = true
		s.renderStepUp(w, r, sess, http.StatusOK, v, nil)
	default:
		pr, ok := userProblem(err, "password")
		if !ok {
			s.internalError(w, r, err)
			return
		}
		if needCode {
			// The password was right; sending the code was not.
			v.Code = true
			pr.Field = ""
		}
		s.renderStepUp(w, r, sess, waitStatus(w, err, stepUpStatus(err)), v, []problem{pr})
	}
}

func stepUpStatus(err error) int {
	var le *login.Error
	if !errors.As(err, &le) {
		return http.StatusInternalServerError
	}
	switch le.Kind {
	case login.KindThrottled, login.KindCooldown, login.KindTooManyCodes, login.KindCodeLocked:
		return http.StatusTooManyRequests
	case login.KindDeliveryFailed, login.KindUndeliverable:
		return http.StatusBadGateway
	}
	return http.StatusUnprocessableEntity
}
