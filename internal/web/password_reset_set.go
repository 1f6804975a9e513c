package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

func (s *Server) resetPasswordSet(w http.ResponseWriter, r *http.Request) {
	s.passwordLinkSet(w, r, resetLink)
}

func (s *Server) welcomeSet(w http.ResponseWriter, r *http.Request) {
	s.passwordLinkSet(w, r, welcomeLink)
}

func (s *Server) passwordLinkSet(w http.ResponseWriter, r *http.Request, l passwordLink) {
	ctx := r.Context()
	f := readPasswordForm(r)
	token, pw := f.Token, f.password
	u, err := s.login.LinkAccount(ctx, token, l.purpose)
	if err != nil {
		s.linkFailed(w, r, err)
		return
	}
	p := s.newPasswordLinkPage(l, u, f)
	if p.Errors = f.Validate(); len(p.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "reset_password", p)
		return
	}
	err = s.login.SetPasswordWithLink(ctx, token, l.purpose, pw, s.client(r))
	var le *login.Error
	switch {
	case err == nil && l.purpose == store.TokenInvite:
		http.Redirect(w, r, "/login?m=account-ready", http.StatusSeeOther)
	case err == nil:
		http.Redirect(w, r, "/login?m=password-set", http.StatusSeeOther)
	case errors.As(err, &le) && (le.Field == "password" || le.Kind == login.KindBusy):
		p.Errors = []problem{{"password", le.Message}}
		s.render(w, r, waitStatus(w, err, http.StatusUnprocessableEntity), "reset_password", p)
	default:
		s.linkFailed(w, r, err)
	}
}
