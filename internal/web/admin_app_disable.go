package web

import (
	"fmt"
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

// Disable: the application signs no one in any more, and every token
// issued to it is revoked. The reason given is audited.

var disableApp = appAction{
	Title: "Disable application",
	question: func(a appView) string {
		return fmt.Sprintf("Disable %s? It will sign no one in, and every token issued to it is revoked at once, so people signed in to it are signed out. This cannot be undone here: register it again to use it.", a.Name)
	},
	run: func(s *Server, w http.ResponseWriter, r *http.Request, sess *login.Session, a appView, reason string) error {
		if err := s.admin.DisableApplication(r.Context(), s.actor(r, sess), a.ClientID, reason); err != nil {
			return err
		}
		http.Redirect(w, r, "/admin/applications?m=disabled", http.StatusSeeOther)
		return nil
	},
}
