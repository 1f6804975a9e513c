package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

func (s *Server) setupCreate(w http.ResponseWriter, r *http.Request) {
	p := &setupPage{chrome: s.newChrome(setupTitle, nil), Form: readSetupForm(r)}
	a := login.NewAccount{Name: p.Form.Name, Email: p.Form.Email, Password: p.Form.password}
	_, err := s.login.CreateFirstAdmin(r.Context(), p.Form.Token, a, s.client(r))
	if errors.Is(err, login.ErrSetupClosed) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.renderProblem(w, r, waitStatus(w, err, http.StatusUnprocessableEntity), "setup", p, err)
		return
	}
	http.Redirect(w, r, "/login?m=setup-done", http.StatusSeeOther)
}
