package web

import (
	"fmt"
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

// Rotate secret: a confidential application gets a new secret, shown once
// on the page answering the confirmation; the old one stops working at
// once. The reason given is audited.

var rotateSecret = appAction{
	Title: "Rotate secret",
	question: func(a appView) string {
		return fmt.Sprintf("Give %s a new client secret? The current secret stops working at once: the application cannot sign anyone in until it is configured with the new one.", a.Name)
	},
	run: func(s *Server, w http.ResponseWriter, r *http.Request, sess *login.Session, a appView, reason string) error {
		secret, err := s.admin.RotateSecret(r.Context(), s.actor(r, sess), a.ClientID, reason)
		if err != nil {
			return err
		}
		s.renderSecret(w, r, sess, "Secret rotated", a, secret)
		return nil
	},
}

// renderSecret is the one page that ever shows a client secret: the
// answer to a create or a rotation, never a URL or a later page (dynamic
// pages are not stored by browsers: Cache-Control: no-store).
func (s *Server) renderSecret(w http.ResponseWriter, r *http.Request, sess *login.Session, title string, a appView, secret string) {
	p := &secretPage{chrome: s.adminChrome(title, "applications", sess)}
	p.NewApp = &secretView{App: a, Secret: secret}
	s.render(w, r, http.StatusOK, "admin_app_secret", p)
}
