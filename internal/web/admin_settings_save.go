package web

import "net/http"

func (s *Server) adminSettingsSave(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p, err := s.newSettingsPage(r, sess)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p.Form = settingsForm{Policy: r.PostForm.Get("policy"), Reason: r.PostForm.Get("reason")}
	if p.Errors = p.Form.Validate(); len(p.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "admin_settings", p)
		return
	}
	if err := s.admin.SetPortalMFA(r.Context(), s.actor(r, sess), p.Form.Policy == "required", p.Form.Reason); err != nil {
		s.renderProblem(w, r, http.StatusUnprocessableEntity, "admin_settings", p, err)
		return
	}
	http.Redirect(w, r, "/admin/settings?m=saved", http.StatusSeeOther)
}
