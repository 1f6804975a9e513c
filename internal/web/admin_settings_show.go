package web

// Settings: the portal-wide MFA policy. Per-user exceptions are on each
// user's page.

import (
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

const settingsTitle = "Settings"

func (s *Server) adminSettingsShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p, err := s.settingsPage(r, sess)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p.Form.Policy = policyValue(p.PortalMFA)
	if r.URL.Query().Get("m") == "saved" {
		p.Notice = "The MFA policy was saved. It applies from each person's next login."
	}
	s.render(w, r, http.StatusOK, "admin_settings", p)
}

func (s *Server) settingsPage(r *http.Request, sess *login.Session) (*page, error) {
	required, err := s.login.PortalRequiresMFA(r.Context())
	if err != nil {
		return nil, err
	}
	p := s.adminPage(settingsTitle, "settings", sess)
	p.PortalMFA = required
	return p, nil
}

func policyValue(required bool) string {
	if required {
		return "required"
	}
	return "optional"
}
