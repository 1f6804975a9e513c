package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

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
