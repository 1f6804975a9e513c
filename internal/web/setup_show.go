package web

// The first administrator is created in the browser with the one-time link
// that `portal serve` prints on an empty database.

import "net/http"

// setupPage is the first administrator's form.
type setupPage struct {
	chrome
	Form setupForm
}

// setupForm is what the set-up form sent: the link's secret (a hidden
// field), the name and email, shown back, and the password, never. The
// login service checks them all, the link first.
type setupForm struct {
	Token, Name, Email string
	password           string
}

func readSetupForm(r *http.Request) setupForm {
	return setupForm{Token: r.PostForm.Get("token"), Name: r.PostForm.Get("name"), Email: r.PostForm.Get("email"), password: r.PostForm.Get("password")}
}

const setupTitle = "Create the first administrator"

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
	p := &setupPage{chrome: s.newChrome(setupTitle, nil), Form: setupForm{Token: r.URL.Query().Get("token")}}
	if p.Form.Token == "" {
		s.renderMessage(w, r, http.StatusBadRequest, "Set-up link incomplete",
			"Open the whole set-up link that the portal printed when it started.", "", "")
		return
	}
	s.render(w, r, http.StatusOK, "setup", p)
}
