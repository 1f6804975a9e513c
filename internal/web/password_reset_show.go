package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/store"
)

// passwordLink is one kind of emailed link.
type passwordLink struct {
	purpose store.TokenPurpose
	path    string
	title   string
}

var (
	resetLink   = passwordLink{store.TokenPasswordReset, "/reset-password", "Choose a new password"}
	welcomeLink = passwordLink{store.TokenInvite, "/welcome", "Welcome \u2014 choose your password"}
)

func (s *Server) resetPasswordShow(w http.ResponseWriter, r *http.Request) {
	s.passwordLinkShow(w, r, resetLink)
}

func (s *Server) welcomeShow(w http.ResponseWriter, r *http.Request) {
	s.passwordLinkShow(w, r, welcomeLink)
}

func (s *Server) passwordLinkShow(w http.ResponseWriter, r *http.Request, l passwordLink) {
	token := r.URL.Query().Get("token")
	u, err := s.login.LinkAccount(r.Context(), token, l.purpose)
	if err != nil {
		s.linkFailed(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "reset_password", s.passwordLinkPage(l, u, token))
}

func (s *Server) passwordLinkPage(l passwordLink, u *store.User, token string) *page {
	p := s.newPage(l.title, nil)
	p.FormAction = l.path
	p.Form.Token = token
	p.Form.Email = u.Email
	return p
}

// linkFailed explains a link that no longer works and offers a new one.
func (s *Server) linkFailed(w http.ResponseWriter, r *http.Request, err error) {
	pr, ok := userProblem(err, "")
	if !ok {
		s.internalError(w, r, err)
		return
	}
	s.renderMessage(w, r, http.StatusGone, "This link does not work", pr.Message, "/forgot-password", forgotTitle)
}
