package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

func (s *Server) setupCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return
	}
	a := login.NewAccount{
		Name:     r.PostForm.Get("name"),
		Email:    r.PostForm.Get("email"),
		Password: r.PostForm.Get("password"),
	}
	p := s.newPage("Create the first administrator", nil)
	p.Form = form{Name: a.Name, Email: a.Email, Token: r.PostForm.Get("token")}
	_, err := s.login.CreateFirstAdmin(r.Context(), p.Form.Token, a, s.client(r))
	if errors.Is(err, login.ErrSetupClosed) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		pr, ok := userProblem(err, "")
		if !ok {
			s.internalError(w, r, err)
			return
		}
		p.Errors = []problem{pr}
		s.render(w, r, waitStatus(w, err, http.StatusUnprocessableEntity), "setup", p)
		return
	}
	http.Redirect(w, r, "/login?m=setup-done", http.StatusSeeOther)
}
