package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/apps"
)

// Create application: what `portal app create` takes, in a form. The
// answer shows the client id and, for a confidential client, its secret,
// once.

const newAppTitle = "Create application"

// appForm is what the form sent, shown back after a problem: URIs and
// hosts one per line, as typed.
type appForm struct {
	Name, RedirectURIs, PostLogoutRedirectURIs, BackchannelLogoutURI, ForwardAuthHosts string
	Public, AdminsOnly                                                                 bool
}

// registration is the form as apps.Registration; apps.Validate checks it.
func (f appForm) registration() apps.Registration {
	return apps.Registration{
		Name: f.Name, RedirectURIs: lines(f.RedirectURIs), PostLogoutRedirectURIs: lines(f.PostLogoutRedirectURIs),
		BackchannelLogoutURI: f.BackchannelLogoutURI, ForwardAuthHosts: lines(f.ForwardAuthHosts),
		Public: f.Public, AdminsOnly: f.AdminsOnly,
	}
}

// newAppView is the answer to a create or a rotation.
type secretView struct {
	App    appView
	Secret string // "" for a public client
}

func (s *Server) adminAppNewShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p := &newAppPage{chrome: s.adminChrome(newAppTitle, "applications", sess)}
	p.AppForm = &appForm{}
	s.render(w, r, http.StatusOK, "admin_app_new", p)
}

func (s *Server) adminAppCreate(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	f := r.PostForm
	p := &newAppPage{chrome: s.adminChrome(newAppTitle, "applications", sess)}
	p.AppForm = &appForm{
		Name: f.Get("name"), RedirectURIs: f.Get("redirect-uri"), PostLogoutRedirectURIs: f.Get("post-logout-redirect-uri"),
		BackchannelLogoutURI: f.Get("backchannel-logout-uri"), ForwardAuthHosts: f.Get("forward-auth-host"),
		Public: f.Get("public") == "yes", AdminsOnly: f.Get("admins-only") == "yes",
	}
	app, secret, err := s.admin.CreateApplication(r.Context(), s.actor(r, sess), p.AppForm.registration())
	if err != nil {
		pr, ok := userProblem(err, "")
		if !ok {
			s.internalError(w, r, err)
			return
		}
		p.Errors = []problem{pr}
		s.render(w, r, http.StatusUnprocessableEntity, "admin_app_new", p)
		return
	}
	s.renderSecret(w, r, sess, "Application created", newAppView(app), secret)
}
