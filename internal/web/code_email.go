package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/store"
)

func (s *Server) codeEmail(w http.ResponseWriter, r *http.Request) {
	s.codeSend(w, r, store.ChannelEmail)
}
