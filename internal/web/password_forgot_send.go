package web

import (
	"net/http"
)

// forgotPasswordSend answers the same whether or not an account uses the
// address: the work happens after the answer.
func (s *Server) forgotPasswordSend(w http.ResponseWriter, r *http.Request) {
	f := emailForm{Email: r.PostForm.Get("email")}
	if probs := f.Validate(); len(probs) > 0 {
		p := &forgotPage{chrome: s.newChrome(forgotTitle, nil), Form: f}
		p.Errors = probs
		s.render(w, r, http.StatusUnprocessableEntity, "forgot_password", p)
		return
	}
	// Answer first, completely (an empty body of known length, flushed),
	// and only then start the work, which differs with the account: even
	// a goroutine started before the answer competes with it for the CPU
	// and shows in its timing (BenchmarkEnumerationTiming in cmd/portal).
	start := s.login.PreparePasswordReset(f.Email, s.client(r))
	defer start() // also if the answer fails
	w.Header().Set("Location", "/forgot-password?m=sent")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusSeeOther)
	if err := http.NewResponseController(w).Flush(); err != nil {
		s.log.Debug("flush forgot-password answer", "err", err)
	}
}
