package web

// Settings: the portal-wide MFA policy. Per-user exceptions are on each
// user's page.

import (
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

const settingsTitle = "Settings"

// settingsPage is the Settings page: the portal-wide MFA policy.
type settingsPage struct {
	chrome
	PortalMFA bool // MFA is required for everyone
	Form      settingsForm
}

// settingsForm is the MFA policy's form.
type settingsForm struct {
	Policy string // "required" or "optional"
	Reason string
}

// Validate says what is missing; the reason is the admin service's to
// check.
func (f settingsForm) Validate() []problem {
	if f.Policy != "required" && f.Policy != "optional" {
		return []problem{{"policy-required", "Choose the policy."}}
	}
	return nil
}

func (s *Server) adminSettingsShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p, err := s.newSettingsPage(r, sess)
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

func (s *Server) newSettingsPage(r *http.Request, sess *login.Session) (*settingsPage, error) {
	required, err := s.login.PortalRequiresMFA(r.Context())
	if err != nil {
		return nil, err
	}
	return &settingsPage{chrome: s.adminChrome(settingsTitle, "settings", sess), PortalMFA: required}, nil
}

func policyValue(required bool) string {
	if required {
		return "required"
	}
	return "optional"
}
