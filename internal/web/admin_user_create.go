package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
)

func (s *Server) adminUserCreate(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return
	}
	p := s.adminPage(newUserTitle, "users", sess)
	p.Form.Name, p.Form.Email, p.Form.Role = r.PostForm.Get("name"), r.PostForm.Get("email"), r.PostForm.Get("role")
	if p.Form.Role != "provider" && p.Form.Role != "administrator" {
		p.Errors = []problem{{"role-provider", "Choose the role: provider or administrator."}}
		s.render(w, r, http.StatusUnprocessableEntity, "admin_user_new", p)
		return
	}
	u, err := s.admin.CreateUser(r.Context(), s.actor(r, sess), admin.NewUser{
		Name: p.Form.Name, Email: p.Form.Email, Admin: p.Form.Role == "administrator",
	})
	var le *login.Error
	switch {
	case err == nil:
		http.Redirect(w, r, fmt.Sprintf("/admin/users/%d?m=created", u.ID), http.StatusSeeOther) // #nosec G710 -- a fixed local path with a numeric id
	case u != nil && errors.As(err, &le):
		// Created, but the invitation did not go out: the user's page
		// says so and offers "Send password reset".
		http.Redirect(w, r, fmt.Sprintf("/admin/users/%d?m=invite-failed", u.ID), http.StatusSeeOther) // #nosec G710 -- a fixed local path with a numeric id
	default:
		pr, ok := userProblem(err, "")
		if !ok {
			s.internalError(w, r, err)
			return
		}
		p.Errors = []problem{pr}
		s.render(w, r, http.StatusUnprocessableEntity, "admin_user_new", p)
	}
}
