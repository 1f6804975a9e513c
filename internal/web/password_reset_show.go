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
	s.render(w, r, http.StatusOK, "reset_password", s.newPasswordLinkPage(l, u, passwordForm{Token: token}))
}

// passwordLinkPage is the page of an emailed link: the account's email
// and a new password.
type passwordLinkPage struct {
	chrome
	FormAction string // the link's path, where the form posts
	Form       passwordForm
}

// passwordForm is the form of an emailed link: the link's secret (a
// hidden field) and the new password, never shown back. Email is the
// account's, for the password manager.
type passwordForm struct {
	Token, Email string
	password     string
}

func readPasswordForm(r *http.Request) passwordForm {
	return passwordForm{Token: r.PostForm.Get("token"), password: r.PostForm.Get("password")}
}

// Validate says what is missing.
func (f passwordForm) Validate() []problem {
	if f.password == "" {
		return []problem{{"password", "Enter a new password."}}
	}
	return nil
}

func (s *Server) newPasswordLinkPage(l passwordLink, u *store.User, f passwordForm) *passwordLinkPage {
	f.Email = u.Email
	return &passwordLinkPage{chrome: s.newChrome(l.title, nil), FormAction: l.path, Form: f}
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
