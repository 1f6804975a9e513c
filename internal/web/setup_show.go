package web

// The first administrator is created in the browser with the one-time link
// that `portal serve` prints on an empty database.

import "net/http"

func (s *Server) setupShow(w http.ResponseWriter, r *http.Request) {
	needed, err := s.login.SetupNeeded(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !needed {
		// Set-up is over: the address is no page any more.
		s.notFound(w, r)
		return
	}
	p := s.newPage("Create the first administrator", nil)
	p.Form.Token = r.URL.Query().Get("token")
	if p.Form.Token == "" {
		s.renderMessage(w, r, http.StatusBadRequest, "Set-up link incomplete",
			"Open the whole set-up link that the portal printed when it started.", "", "")
		return
	}
	s.render(w, r, http.StatusOK, "setup", p)
}
