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
	p := &newUserPage{chrome: s.adminChrome(newUserTitle, "users", sess), Form: readNewUserForm(r)}
	if p.Errors = p.Form.Validate(); len(p.Errors) > 0 {
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
		s.renderProblem(w, r, http.StatusUnprocessableEntity, "admin_user_new", p, err)
	}
}
