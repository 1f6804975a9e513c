package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

// The first administrator is created in the browser with the one-time link
// that `portal serve` prints on an empty database.

func (s *Server) setupShow(w http.ResponseWriter, r *http.Request) {
	needed, err := s.login.SetupNeeded(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !needed {
		// Set-up is over: the address is no page any more.
		s.notFound(w, r)
		return
	}
	p := s.newPage("Create the first administrator", nil)
	p.Form.Token = r.URL.Query().Get("token")
	if p.Form.Token == "" {
		s.renderMessage(w, r, http.StatusBadRequest, "Set-up link incomplete",
			"Open the whole set-up link that the portal printed when it started.", "", "")
		return
	}
	s.render(w, r, http.StatusOK, "setup", p)
}

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
