package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/store"
)

// stepUpStatus answers where the confirmation code is on its way, as the
// other code screens' status does, behind the confirmation page's checks.
func (s *Server) stepUpStatus(w http.ResponseWriter, r *http.Request) {
	s.writeCodeStatus(w, r, sessionOf(r), store.PurposeStepUp)
}
