package web

import "net/http"

// devOutbox lists the messages of the development outbox (codes included)
// to a browser on this machine. It is only routed when the outbox is in
// use, and it refuses requests from elsewhere or through a proxy.
func (s *Server) devOutbox(w http.ResponseWriter, r *http.Request) {
	if !isLoopback(r) {
		s.notFound(w, r)
		return
	}
	p := s.newPage("Development outbox", nil)
	p.Messages = s.outbox.Messages()
	w.Header().Set("Refresh", "5")
	s.render(w, r, http.StatusOK, "outbox", p)
}
