package web

import (
	"net/http"
)

// Create user: name, email and role. The person is emailed a single-use
// link to choose a password, then registers a phone at the first login.

const newUserTitle = "Create user"

func (s *Server) adminUserNewShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p := s.adminPage(newUserTitle, "users", sess)
	p.Form.Role = "provider"
	s.render(w, r, http.StatusOK, "admin_user_new", p)
}
