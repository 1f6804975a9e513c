package web

// "Confirm it is you": an administrator whose login is older than the limit
// enters the password and a new code, then goes on to the page they asked
// for (next, always a page of the console).

import (
	"fmt"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

const stepUpTitle = "Confirm it is you"

// stepUpView is what the confirmation page shows.
type stepUpView struct {
	Next   string // where to go afterwards
	Repeat bool   // an action was held back: say to repeat it
	Code   bool   // the password was right and a code was sent
	Limit  string // "15 minutes"
}

// stepUpPage is the confirmation page: the password step, or the code
// step with the code sent.
type stepUpPage struct {
	chrome
	StepUp stepUpView
	Code   codeView
}

// renderStepUp shows the password step, or the code step when v.Code.
func (s *Server) renderStepUp(w http.ResponseWriter, r *http.Request, sess *login.Session, status int, v stepUpView, errs []problem) {
	p := &stepUpPage{chrome: s.newChrome(stepUpTitle, sess)}
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
