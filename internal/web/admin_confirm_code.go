package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

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
