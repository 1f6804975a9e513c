package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

// Settings: the portal-wide MFA policy. Per-user exceptions are on each
// user's page.

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

func (s *Server) adminSettingsSave(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return
	}
	p, err := s.settingsPage(r, sess)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p.Form.Policy, p.Form.Reason = r.PostForm.Get("policy"), r.PostForm.Get("reason")
	if p.Form.Policy != "required" && p.Form.Policy != "optional" {
		p.Errors = []problem{{"policy-required", "Choose the policy."}}
		s.render(w, r, http.StatusUnprocessableEntity, "admin_settings", p)
		return
	}
	if err := s.admin.SetPortalMFA(r.Context(), s.actor(r, sess), p.Form.Policy == "required", p.Form.Reason); err != nil {
		pr, ok := userProblem(err, "")
		if !ok {
			s.internalError(w, r, err)
			return
		}
		p.Errors = []problem{pr}
		s.render(w, r, http.StatusUnprocessableEntity, "admin_settings", p)
		return
	}
	http.Redirect(w, r, "/admin/settings?m=saved", http.StatusSeeOther)
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
