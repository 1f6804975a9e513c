package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/delivery/outbox"
)

// outboxPage lists the messages of the development outbox.
type outboxPage struct {
	chrome
	Messages []outbox.Message
}

// devOutbox lists the messages of the development outbox (codes included)
// to a browser on this machine. It is only routed when the outbox is in
// use, and it refuses requests from elsewhere or through a proxy.
func (s *Server) devOutbox(w http.ResponseWriter, r *http.Request) {
	if !isLoopback(r) {
		s.notFound(w, r)
		return
	}
	p := &outboxPage{chrome: s.newChrome("Development outbox", nil), Messages: s.outbox.Messages()}
	w.Header().Set("Refresh", "5")
	s.render(w, r, http.StatusOK, "outbox", p)
}
