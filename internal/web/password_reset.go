package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// "Forgot your password?" and the pages behind emailed links: a reset
// (/reset-password, valid 30 minutes) and an invitation (/welcome, valid
// 72 hours). Both set a new password once; the link's secret travels in
// a hidden field, never in a log line (only paths are logged).

const forgotTitle = "Forgot your password?"

func (s *Server) forgotPasswordShow(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(forgotTitle, nil)
	if r.URL.Query().Get("m") == "sent" {
		p.Title = "Check your email"
		p.Sent = true
	}
	s.render(w, r, http.StatusOK, "forgot_password", p)
}

// forgotPasswordSend answers the same whether or not an account uses the
// address: the work happens after the answer.
func (s *Server) forgotPasswordSend(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return
	}
	email := r.PostForm.Get("email")
	if login.NormalizeEmail(email) == "" {
		p := s.newPage(forgotTitle, nil)
		p.Errors = []problem{{"email", "Enter your email address."}}
		s.render(w, r, http.StatusUnprocessableEntity, "forgot_password", p)
		return
	}
	// Answer first, completely (an empty body of known length, flushed),
	// and only then start the work, which differs with the account: even
	// a goroutine started before the answer competes with it for the CPU
	// and shows in its timing (BenchmarkEnumerationTiming in cmd/portal).
	start := s.login.PreparePasswordReset(email, s.client(r))
	defer start() // also if the answer fails
	w.Header().Set("Location", "/forgot-password?m=sent")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusSeeOther)
	if err := http.NewResponseController(w).Flush(); err != nil {
		s.log.Debug("flush forgot-password answer", "err", err)
	}
}

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

func (s *Server) resetPasswordSet(w http.ResponseWriter, r *http.Request) {
	s.passwordLinkSet(w, r, resetLink)
}

func (s *Server) welcomeShow(w http.ResponseWriter, r *http.Request) {
	s.passwordLinkShow(w, r, welcomeLink)
}

func (s *Server) welcomeSet(w http.ResponseWriter, r *http.Request) {
	s.passwordLinkSet(w, r, welcomeLink)
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

func (s *Server) passwordLinkSet(w http.ResponseWriter, r *http.Request, l passwordLink) {
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return
	}
	ctx := r.Context()
	token, pw := r.PostForm.Get("token"), r.PostForm.Get("password")
	u, err := s.login.LinkAccount(ctx, token, l.purpose)
	if err != nil {
		s.linkFailed(w, r, err)
		return
	}
	p := s.passwordLinkPage(l, u, token)
	if pw == "" {
		p.Errors = []problem{{"password", "Enter a new password."}}
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
