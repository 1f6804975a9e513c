package web

// "Forgot your password?" and the pages behind emailed links: a reset
// (/reset-password, valid 30 minutes) and an invitation (/welcome, valid
// 72 hours). Both set a new password once; the link's secret travels in
// a hidden field, never in a log line (only paths are logged).

import "net/http"

const forgotTitle = "Forgot your password?"

func (s *Server) forgotPasswordShow(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(forgotTitle, nil)
	if r.URL.Query().Get("m") == "sent" {
		p.Title = "Check your email"
		p.Sent = true
	}
	s.render(w, r, http.StatusOK, "forgot_password", p)
}
