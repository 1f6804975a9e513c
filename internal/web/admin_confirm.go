package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// "Confirm it is you": an administrator whose login is older than the limit
// enters the password and a new code, then goes on to the page they asked
// for (next, always a page of the console).

const stepUpTitle = "Confirm it is you"

// stepUpView is what the confirmation page shows.
type stepUpView struct {
	Next   string // where to go afterwards
	Repeat bool   // an action was held back: say to repeat it
	Code   bool   // the password was right and a code was sent
	Limit  string // "15 minutes"
}

// renderStepUp shows the password step, or the code step when v.Code.
func (s *Server) renderStepUp(w http.ResponseWriter, r *http.Request, sess *login.Session, status int, v stepUpView, errs []problem) {
	p := s.newPage(stepUpTitle, sess)
	if v.Code {
		st, err := s.login.CodeStatus(r.Context(), sess, store.PurposeStepUp)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		// No StatusURL: this screen answers a POST, and the script's
		// reload once the message is out would post the password again
		// (and send another code). /admin/confirm/status answers all the
		// same, for a screen shown by GET.
		p.Code = codeView{CodeStatus: st, now: s.now()}
	}
	v.Limit = fmt.Sprintf("%d minutes", int(s.login.Rules.ReauthAfter.Minutes()))
	p.StepUp = v
	p.Errors = errs
	s.render(w, r, status, "admin_confirm", p)
}

// stepUpStatus answers where the confirmation code is on its way, as the
// other code screens' status does, behind the confirmation page's checks.
func (s *Server) stepUpStatus(w http.ResponseWriter, r *http.Request) {
	s.writeCodeStatus(w, r, sessionOf(r), store.PurposeStepUp)
}

func (s *Server) stepUpPage(w http.ResponseWriter, r *http.Request, sess *login.Session, status int, next string, repeat bool) {
	s.renderStepUp(w, r, sess, status, stepUpView{Next: next, Repeat: repeat}, nil)
}

func (s *Server) stepUpShow(w http.ResponseWriter, r *http.Request) {
	sess, fresh := sessionOf(r), loginFresh(r)
	next := safeNext(r.URL.Query().Get("next"))
	if fresh {
		http.Redirect(w, r, next, http.StatusSeeOther) // #nosec G710 -- next comes from safeNext: a path under /admin/ on this site
		return
	}
	s.stepUpPage(w, r, sess, http.StatusOK, next, false)
}

// stepUpForm reads the form of a confirmation step; done is true when the
// request has been answered already.
func (s *Server) stepUpForm(w http.ResponseWriter, r *http.Request) (sess *login.Session, next string, done bool) {
	sess, fresh := sessionOf(r), loginFresh(r)
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return nil, "", true
	}
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

func (s *Server) stepUpVerify(w http.ResponseWriter, r *http.Request) {
	sess, nextPage, done := s.stepUpForm(w, r)
	if done {
		return
	}
	next, err := s.login.VerifyStepUp(r.Context(), sess, r.PostForm.Get("code"), s.client(r))
	if err == nil {
		s.setSessionCookie(w, next.Token)
		http.Redirect(w, r, nextPage, http.StatusSeeOther) // #nosec G710 -- nextPage comes from safeNext, via stepUpForm
		return
	}
	s.stepUpFailed(w, r, sess, nextPage, err, "code")
}

func (s *Server) stepUpResend(w http.ResponseWriter, r *http.Request) {
	sess, nextPage, done := s.stepUpForm(w, r)
	if done {
		return
	}
	if err := s.login.ResendStepUpCode(r.Context(), sess, s.client(r)); err != nil {
		s.stepUpFailed(w, r, sess, nextPage, err, "")
		return
	}
	s.renderStepUp(w, r, sess, http.StatusOK, stepUpView{Next: nextPage, Code: true}, nil)
}

// stepUpFailed shows what went wrong with the code step: on the code step,
// or on the password step when there is no code to enter yet.
func (s *Server) stepUpFailed(w http.ResponseWriter, r *http.Request, sess *login.Session, next string, err error, field string) {
	pr, ok := userProblem(err, field)
	if !ok {
		s.internalError(w, r, err)
		return
	}
	v := stepUpView{Next: next, Code: true}
	var le *login.Error
	if errors.As(err, &le) && le.Kind == login.KindNoCode {
		v.Code = false
		pr = problem{Field: "password", Message: "Enter your password first; then a code is sent to your phone."}
	}
	s.renderStepUp(w, r, sess, stepUpStatus(err), v, []problem{pr})
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
