package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

func (s *Server) codeCheck(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	full, err := s.login.VerifyLoginCode(r.Context(), sess, r.PostForm.Get("code"), s.client(r))
	if err != nil {
		s.codeFailed(w, r, sess, err, loginScreen)
		return
	}
	s.setSessionCookie(w, full.Token)
	s.setDeviceCookie(w, full.Device)
	target, err := s.afterLogin(w, r)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther) // #nosec G710 -- target comes from afterLogin: the home page, the portal or a registered forward-auth host
}

// codeFailed answers a wrong, expired or used code on any code screen.
// When the login attempt can no longer succeed, the half-finished session
// ends and the person starts again at the login screen.
func (s *Server) codeFailed(w http.ResponseWriter, r *http.Request, sess *login.Session, err error, sc codeScreen) {
	var le *login.Error
	if !errors.As(err, &le) {
		s.internalError(w, r, err)
		return
	}
	if sess.Stage != store.StageFull && le.Kind == login.KindChangedMeanwhile {
		// The login service has ended the session: a phone was
		// registered for the account since it began.
		s.clearSessionCookie(w)
		http.Redirect(w, r, "/login?m=registered-since", http.StatusSeeOther)
		return
	}
	if sess.Stage != store.StageFull && (le.Kind == login.KindCodeExhausted || le.Kind == login.KindCodeLocked) {
		if err := s.login.Abandon(r.Context(), sess); err != nil {
			s.internalError(w, r, err)
			return
		}
		s.clearSessionCookie(w)
		key := "code-exhausted"
		if le.Kind == login.KindCodeLocked {
			key = "code-locked"
		}
		http.Redirect(w, r, "/login?m="+key, http.StatusSeeOther)
		return
	}
	p, perr := s.newCodePage(r, sc, sess)
	if perr != nil {
		s.internalError(w, r, perr)
		return
	}
	p.Errors = []problem{{Field: "code", Message: le.Message}}
	status := http.StatusUnprocessableEntity
	if le.Kind == login.KindCodeLocked {
		status = http.StatusTooManyRequests
	}
	s.renderCode(w, r, status, sc, p)
}
