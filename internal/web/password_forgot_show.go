package web

// "Forgot your password?" and the pages behind emailed links: a reset
// (/reset-password, valid 30 minutes) and an invitation (/welcome, valid
// 72 hours). Both set a new password once; the link's secret travels in
// a hidden field, never in a log line (only paths are logged).

import (
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

const forgotTitle = "Forgot your password?"

// forgotPage is "Forgot your password?": the email form, or, once it was
// answered, where to look.
type forgotPage struct {
	chrome
	Sent bool
	Form emailForm
}

// emailForm is "Forgot your password?"'s form.
type emailForm struct{ Email string }

// Validate says what is missing.
func (f emailForm) Validate() []problem {
	if login.NormalizeEmail(f.Email) == "" {
		return []problem{{"email", "Enter your email address."}}
	}
	return nil
}

func (s *Server) forgotPasswordShow(w http.ResponseWriter, r *http.Request) {
	p := &forgotPage{chrome: s.newChrome(forgotTitle, nil)}
	if r.URL.Query().Get("m") == "sent" {
		p.Title = "Check your email"
		p.Sent = true
	}
	s.render(w, r, http.StatusOK, "forgot_password", p)
}
