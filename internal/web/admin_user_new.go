package web

import (
	"net/http"
)

// Create user: name, email and role. The person is emailed a single-use
// link to choose a password, then registers a phone at the first login.

const newUserTitle = "Create user"

// newUserPage is Create user.
type newUserPage struct {
	chrome
	Form newUserForm
}

// newUserForm is what Create user sent.
type newUserForm struct {
	Name, Email string
	Role        string // "provider" or "administrator"
}

func readNewUserForm(r *http.Request) newUserForm {
	return newUserForm{Name: r.PostForm.Get("name"), Email: r.PostForm.Get("email"), Role: r.PostForm.Get("role")}
}

// Validate checks the role; the name and email are the admin service's to
// check.
func (f newUserForm) Validate() []problem {
	if f.Role != "provider" && f.Role != "administrator" {
		return []problem{{"role-provider", "Choose the role: provider or administrator."}}
	}
	return nil
}

func (s *Server) adminUserNewShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p := &newUserPage{chrome: s.adminChrome(newUserTitle, "users", sess), Form: newUserForm{Role: "provider"}}
	s.render(w, r, http.StatusOK, "admin_user_new", p)
}
